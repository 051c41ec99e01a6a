from netcron.executors.base import JobType
from netcron.executors.sync_devices.executor import execute
from netcron.executors.sync_devices.params import SyncDevicesParams

JOB_TYPE = JobType(
    name="sync_devices",
    label="Sync devices to monitoring",
    description="Creates and updates (optionally deletes) CheckMK hosts or Prometheus targets to match the target "
                "devices, in bulk calls; dry_run stores the exact plan; activates CheckMK changes once at the end.",
    queue="heavy",
    params=SyncDevicesParams,
    execute=execute,
)
