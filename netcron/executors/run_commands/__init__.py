from netcron.executors.base import JobType
from netcron.executors.run_commands.executor import execute
from netcron.executors.run_commands.params import RunCommandsParams

JOB_TYPE = JobType(
    name="run_commands",
    label="Run commands",
    description="Sends commands (or configuration lines) rendered per device from a Jinja template over SSH; "
                "keeps each command's output, status and timing.",
    queue="network",
    params=RunCommandsParams,
    execute=execute,
)
