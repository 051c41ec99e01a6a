from netcron.executors.base import JobType
from netcron.executors.cleanup_history.executor import execute
from netcron.executors.cleanup_history.params import CleanupParams

JOB_TYPE = JobType(
    name="cleanup_history",
    label="History cleanup",
    description="Deletes finished runs, run logs and reachability history older than the retention periods.",
    queue="default",
    params=CleanupParams,
    execute=execute,
    uses_devices=False,
    system=True,
)
