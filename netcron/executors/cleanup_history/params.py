from pydantic import Field

from netcron.executors.base import Params


class CleanupParams(Params):
    runs_days: int = Field(90, ge=1, le=3650, description="Keep finished runs (with results and logs) this long")
    logs_days: int = Field(30, ge=1, le=3650, description="Keep run log lines this long")
    reachability_days: int = Field(30, ge=1, le=3650, description="Keep reachability history this long")
    batch_size: int = Field(5000, ge=100, le=100000, description="Rows deleted per statement")
