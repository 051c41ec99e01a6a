from netcron.executors.base import JobType
from netcron.executors.noop.executor import execute
from netcron.executors.noop.params import NoopParams

JOB_TYPE = JobType(
    name="noop",
    label="No-op",
    description="Touches nothing: records an OK result per target device. For testing the engine and targets.",
    queue="default",
    params=NoopParams,
    execute=execute,
)
