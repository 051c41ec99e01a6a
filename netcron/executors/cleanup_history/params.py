from pydantic import Field

from netcron.executors.base import Params

SETTING = "Empty: the system settings' value"


class CleanupParams(Params):
    runs_days: int | None = Field(None, ge=1, le=3650,
                                  description=f"Keep finished runs (with results and logs) this long. {SETTING}")
    logs_days: int | None = Field(None, ge=1, le=3650, description=f"Keep run log lines this long. {SETTING}")
    reachability_days: int | None = Field(None, ge=1, le=3650,
                                          description=f"Keep reachability history this long. {SETTING}")
    batch_size: int = Field(5000, ge=100, le=100000, description="Rows deleted per statement")
