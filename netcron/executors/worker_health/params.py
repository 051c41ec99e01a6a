from pydantic import Field

from netcron.executors.base import Params


class WorkerHealthParams(Params):
    inspect_timeout: float = Field(3.0, gt=0, le=60, description="Seconds to wait for workers to answer")
    forget_after_hours: int = Field(24, ge=1, le=24 * 30,
                                    description="Remove heartbeat rows of workers silent this long")
