"""Thin Celery tasks: the broker carries only a run id; the runner does the rest."""

from __future__ import annotations

from celery import shared_task
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

from netcron.jobs import runner
from netcron.jobs.workers import worker_name


@shared_task(name="netcron.execute_run", bind=True, acks_late=True, reject_on_worker_lost=True)
def execute_run(self, run_id: int) -> str:
    return runner.execute_run(run_id, worker=worker_name(self.request.hostname), task_id=self.request.id or "")


# As Django does around each request: drop connections that died or outlived CONN_MAX_AGE.
task_prerun.connect(lambda **_: close_old_connections(), weak=False)
task_postrun.connect(lambda **_: close_old_connections(), weak=False)
