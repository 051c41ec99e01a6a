from netcron.executors.base import JobType
from netcron.executors.sleep.executor import execute
from netcron.executors.sleep.params import SleepParams

JOB_TYPE = JobType(
    name="sleep",
    label="Sleep",
    description="Waits a number of seconds in steps, honouring cancel. For testing timeouts, leases and cancel.",
    queue="default",
    params=SleepParams,
    execute=execute,
    uses_devices=False,
    system=True,
)
