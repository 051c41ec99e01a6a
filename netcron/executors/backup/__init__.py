from netcron.executors.backup.executor import execute
from netcron.executors.backup.params import BackupParams
from netcron.executors.base import JobType

JOB_TYPE = JobType(
    name="backup",
    label="Config backup",
    description="Fetches running/startup configs over SSH and commits every changed one to git in a single "
                "commit per run; history, diffs and search per device.",
    queue="backup",
    params=BackupParams,
    execute=execute,
)
