from netcron.executors.base import JobType
from netcron.executors.worker_health.executor import execute
from netcron.executors.worker_health.params import WorkerHealthParams

JOB_TYPE = JobType(
    name="worker_health",
    label="Worker health",
    description="Asks every worker (Celery inspect) for its queues and stats, reads queue lengths, "
                "and flags workers whose heartbeat stopped.",
    queue="default",
    params=WorkerHealthParams,
    execute=execute,
    uses_devices=False,
    system=True,
)
