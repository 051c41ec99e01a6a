from pydantic import Field

from netcron.executors.base import Params


class NoopParams(Params):
    message: str = Field("", max_length=500, description="Written to the run log")
    fail_devices: list[str] = Field(default_factory=list,
                                    description="Device names to report as failed (for testing)")
