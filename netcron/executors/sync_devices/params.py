from pydantic import Field

from netcron.sources.monitor_params import MonitorParams


class SyncDevicesParams(MonitorParams):
    dry_run: bool = Field(False, description="Only compute the plan (stored in the run result); change nothing")
    delete_missing: bool = Field(False, description="Delete hosts in scope that netcron does not know")
    activate_changes_after_sync: bool = Field(False, description="CheckMK: activate changes once at the end")
    force_foreign_changes: bool = Field(False, description="CheckMK: also activate other users' pending changes")
    activation_timeout_seconds: float = Field(120, ge=0, le=3600, description="Wait this long for the activation")
    discover_services: bool = Field(False, description="CheckMK: start service discovery on hosts created")
    batch_size: int = Field(500, ge=1, le=5000, description="Hosts per bulk API call")
