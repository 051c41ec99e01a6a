from netcron.executors.base import JobType
from netcron.executors.sync_inventory.executor import execute
from netcron.executors.sync_inventory.params import SyncInventoryParams

JOB_TYPE = JobType(
    name="sync_inventory",
    label="Sync inventory from NetBox/Nautobot",
    description="Creates, updates and deactivates (never deletes) devices to match a NetBox or Nautobot "
                "source of truth.",
    queue="heavy",
    params=SyncInventoryParams,
    execute=execute,
    uses_devices=False,
)
