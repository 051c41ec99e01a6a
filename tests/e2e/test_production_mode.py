"""Production shape: real Redis broker, real `netcron worker` processes, the test database (SQLite or PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from netcron.jobs import dispatch
from netcron.jobs.models import JobRun, JobTemplate
from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def finished(run_id: int):
    run = JobRun.objects.get(pk=run_id)
    return run if run.is_finished else None


def test_a_worker_process_on_redis_executes_a_run_to_completion(workers):
    workers.start()
    template = JobTemplate.objects.create(name="sleepy", job_type="sleep", params={"seconds": 0.2, "steps": 2})
    run = dispatch.launch(template)
    done = wait_until(lambda: finished(run.pk), 60, "the run to finish", workers.logs)
    assert done.status == "completed", done.error
    assert done.executed_by.startswith("all@")
    assert (done.progress_done, done.progress_total) == (2, 2)


def test_a_duplicate_delivery_over_redis_runs_the_job_once(workers):
    workers.start(concurrency=2)
    template = JobTemplate.objects.create(name="sleepy", job_type="sleep", params={"seconds": 0.5, "steps": 5})
    run = dispatch.launch(template)
    dispatch.publish_run(run)
    dispatch.publish_run(run)
    done = wait_until(lambda: finished(run.pk), 60, "the run to finish", workers.logs)
    assert done.status == "completed"
    assert done.logs.filter(message__startswith="started on").count() == 1


def test_a_backup_only_worker_takes_only_backup_queue_runs(workers):
    workers.start(queues="backup")
    on_default = dispatch.launch(JobTemplate.objects.create(name="d", job_type="sleep", params={"seconds": 0}))
    on_backup = dispatch.launch(JobTemplate.objects.create(name="b", job_type="sleep", params={"seconds": 0},
                                                           queue="backup"))
    done = wait_until(lambda: finished(on_backup.pk), 60, "the backup-queue run", workers.logs)
    assert done.executed_by.startswith("backup@")
    assert JobRun.objects.get(pk=on_default.pk).status == "pending"


def test_a_run_over_its_templates_timeout_is_stopped_and_failed_with_the_reason(workers):
    workers.start()
    template = JobTemplate.objects.create(name="stuck", job_type="sleep", params={"seconds": 30, "steps": 3},
                                          timeout_seconds=1)
    run = dispatch.launch(template)
    done = wait_until(lambda: finished(run.pk), 60, "the run to time out", workers.logs)
    assert (done.status, done.error) == ("failed", "timed out after 1 s")
    assert (done.finished_at - done.started_at).total_seconds() < 15


def test_a_run_queued_behind_a_long_run_is_not_published_again_by_the_reaper(workers, settings):
    settings.NETCRON_REPUBLISH_AFTER_SECONDS = 1
    workers.start(concurrency=1)
    template = JobTemplate.objects.create(name="slow", job_type="sleep", params={"seconds": 6, "steps": 6})
    first = dispatch.launch(template)
    wait_until(lambda: JobRun.objects.get(pk=first.pk).status == "running", 60, "the first run to start",
               workers.logs)
    second = dispatch.launch(template)  # waits in Redis behind the first (one worker process)
    task_id = JobRun.objects.get(pk=second.pk).celery_task_id
    time.sleep(2)  # longer than republish_after_seconds
    assert [dispatch.reap()["republished"] for _ in range(3)] == [0, 0, 0]
    done = wait_until(lambda: finished(second.pk), 60, "the second run to finish", workers.logs)
    assert done.status == "completed"
    assert done.celery_task_id == task_id  # started by its one and only message
