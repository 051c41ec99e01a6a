"""Thin Celery tasks: the broker carries only a run id; the runner does the rest."""

from __future__ import annotations

from celery.signals import task_postrun, task_prerun, worker_init
from django.db import close_old_connections

from netcron.celery import app
from netcron.executors import job_types
from netcron.jobs import runner
from netcron.jobs.workers import worker_name


# Bound to netcron's app (not shared_task): another Celery app created in the same process must not
# capture the task and publish it to its own broker.
@app.task(name="netcron.execute_run", bind=True, acks_late=True, reject_on_worker_lost=True)
def execute_run(self, run_id: int) -> str:
    return runner.execute_run(run_id, worker=worker_name(self.request.hostname), task_id=self.request.id or "")


# As Django does around each request: drop connections that died or outlived CONN_MAX_AGE.
task_prerun.connect(lambda **_: close_old_connections(), weak=False)
task_postrun.connect(lambda **_: close_old_connections(), weak=False)
@worker_init.connect(weak=False)
def load_job_types(**_) -> None:
    """Every job type is loaded in the worker's main process before it forks its pool: no pool process
    imports one inside its first run."""
    job_types()
