"""A scheduler dying between insert and publish, made deterministic in-process.

The other faults (killed worker or scheduler, Redis outage, dropped database sessions, full disk, hanging
device, clock jump) run against real processes in test_fault_matrix.py.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from netcron.jobs import dispatch, scheduler
from netcron.jobs.models import JobRun, JobSchedule, JobTemplate
from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def reap_until(predicate, timeout: float, what: str, logs=lambda: ""):
    """Run the reaper as a scheduler would, until the predicate holds."""
    def step():
        dispatch.reap()
        return predicate()

    return wait_until(step, timeout, what, logs)


def run_state(run_id: int) -> JobRun:
    return JobRun.objects.get(pk=run_id)


def test_a_run_committed_by_a_scheduler_that_died_before_publishing_is_still_executed_once(workers, monkeypatch):
    template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 0.1, "steps": 1})
    JobSchedule.objects.create(name="s", template=template, cron_expr="* * * * *",
                               next_fire_at=timezone.now() - timezone.timedelta(seconds=1))

    def die(*_args):
        raise KeyboardInterrupt("scheduler killed between insert and publish")

    for name in ("publish_run", "publish_runs"):  # one run or a tick's batch
        if hasattr(dispatch, name):
            monkeypatch.setattr(dispatch, name, die)
    with pytest.raises(KeyboardInterrupt):
        scheduler.tick()
    monkeypatch.undo()
    [run] = JobRun.objects.all()
    assert (run.status, run.published_at) == ("pending", None)

    workers.start()
    done = reap_until(lambda: run_state(run.pk).is_finished and run_state(run.pk), 60, "the run", workers.logs)
    assert done.status == "completed"
    assert done.logs.filter(message__startswith="started on").count() == 1
    assert JobRun.objects.count() == 1
