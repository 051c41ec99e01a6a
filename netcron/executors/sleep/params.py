from pydantic import Field

from netcron.executors.base import Params


class SleepParams(Params):
    seconds: float = Field(1.0, ge=0, le=86400, description="How long to sleep in total")
    steps: int = Field(10, ge=1, le=10000, description="Progress steps (cancel is checked between steps)")
    fail: bool = Field(False, description="Fail at the end (for testing)")
