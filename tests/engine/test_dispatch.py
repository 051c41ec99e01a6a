from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.utils import timezone

from netcron.jobs import dispatch
from netcron.jobs.models import DeviceResult, JobRun
from tests.engine.conftest import make_run, make_template

pytestmark = pytest.mark.django_db


def test_launch_publishes_the_run_only_after_commit(devices, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = dispatch.launch(make_template())
    assert JobRun.objects.get(pk=run.pk).published_at is None
    for callback in callbacks:
        callback()
    run.refresh_from_db()
    assert run.published_at is not None and run.celery_task_id


def test_launch_rejects_params_that_do_not_validate(db):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        dispatch.launch(make_template(job_type="sleep"), param_overrides={"seconds": "soon"})
    assert JobRun.objects.count() == 0


def test_the_reaper_republishes_a_run_that_was_never_published(db):
    run = make_run(make_template(), queued_at=timezone.now() - timedelta(seconds=30))
    assert dispatch.reap()["republished"] == 1
    run.refresh_from_db()
    assert run.published_at is not None


def test_the_reaper_leaves_a_freshly_published_run_alone(db):
    make_run(make_template(), published_at=timezone.now())
    assert dispatch.reap()["republished"] == 0


def test_the_reaper_does_not_publish_a_delayed_retry_before_it_is_due(db):
    make_run(make_template(), queued_at=timezone.now() + timedelta(seconds=60))
    assert dispatch.reap()["republished"] == 0


def test_the_reaper_fails_a_run_whose_worker_stopped_beating(db, settings):
    stale = timezone.now() - timedelta(seconds=settings.NETCRON_LEASE_SECONDS + 5)
    run = make_run(make_template(), status="running", executed_by="w@h-1", started_at=stale, heartbeat_at=stale)
    assert dispatch.reap()["lost"] == 1
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith("lost worker w@h-1: no heartbeat since")


def test_the_reaper_retries_a_lost_run_when_the_template_allows(db, settings):
    stale = timezone.now() - timedelta(seconds=settings.NETCRON_LEASE_SECONDS + 5)
    run = make_run(make_template(max_retries=2), status="running", heartbeat_at=stale)
    dispatch.reap()
    retry = JobRun.objects.get(retry_of=run)
    assert (retry.status, retry.attempt, retry.triggered_by) == ("pending", 2, "retry")


def test_a_live_run_is_not_reaped(db):
    make_run(make_template(), status="running", heartbeat_at=timezone.now())
    assert dispatch.reap()["lost"] == 0


def test_retry_failed_devices_targets_exactly_the_failed_ones(devices):
    template = make_template()
    run = make_run(template, status="completed", finished_at=timezone.now())
    for device, status in zip(devices, ["ok", "failed", "failed"], strict=True):
        DeviceResult.objects.create(run=run, device=device, device_name=device.name, status=status)
    retry = dispatch.retry_failed_devices(run)
    assert sorted(retry.target_device_ids) == sorted([devices[1].pk, devices[2].pk])
    assert (retry.triggered_by, retry.retry_of_id) == ("retry", run.pk)


def test_retry_failed_devices_refuses_a_run_without_failures(devices):
    from netcron.executors.base import JobFailed

    run = make_run(make_template(), status="completed", finished_at=timezone.now())
    with pytest.raises(JobFailed, match="no failed devices"):
        dispatch.retry_failed_devices(run)


@pytest.fixture
def broker_queues():
    """The test process's real broker (the embedded one in the data dir), emptied before and after."""
    from netcron.celery import app
    from netcron.conf import ALL_QUEUES

    def purge():
        with app.connection_for_write() as conn:
            for name in ALL_QUEUES:
                with contextlib.suppress(Exception):  # a queue nothing was ever sent to
                    conn.default_channel.queue_purge(name)

    purge()
    yield
    purge()


def published_long_ago(template, seconds: int = 120, **extra) -> JobRun:
    """A pending run whose message was really sent, `seconds` ago."""
    run = make_run(template, **extra)
    dispatch.publish_runs([run])
    ago = timezone.now() - timedelta(seconds=seconds)
    JobRun.objects.filter(pk=run.pk).update(queued_at=ago, published_at=ago)
    return JobRun.objects.get(pk=run.pk)


def test_the_reaper_leaves_a_run_queued_behind_a_backlog_alone(db, broker_queues):
    run = published_long_ago(make_template())  # its message still waits in the queue
    assert dispatch.reap()["republished"] == 0
    assert JobRun.objects.get(pk=run.pk).celery_task_id == run.celery_task_id


def test_the_reaper_republishes_a_run_whose_queue_has_moved_past_it(db, broker_queues):
    template = make_template()
    run = published_long_ago(template)
    started = timezone.now() - timedelta(seconds=30)
    # A run published after it has started: the FIFO queue is past the first run's message, which is lost.
    make_run(template, status="running", published_at=started - timedelta(seconds=30), started_at=started,
             heartbeat_at=timezone.now())
    assert dispatch.reap()["republished"] == 1
    assert JobRun.objects.get(pk=run.pk).published_at > run.published_at


def test_the_reaper_republishes_a_run_whose_queue_in_the_broker_is_empty(db, broker_queues):
    from netcron.celery import app

    run = published_long_ago(make_template())
    with app.connection_for_write() as conn:  # the message is gone, as with a Redis restart
        conn.default_channel.queue_purge(run.queue)
    assert dispatch.reap()["republished"] == 1


def test_the_reaper_republishes_eventually_even_without_evidence_of_a_loss(db, broker_queues, settings):
    period = settings.NETCRON_REPUBLISH_AFTER_SECONDS
    run = published_long_ago(make_template(), seconds=dispatch.BACKSTOP_FACTOR * period + 1)
    assert dispatch.reap()["republished"] == 1
    run.refresh_from_db()
    assert dispatch.reap(now=run.published_at + timedelta(seconds=dispatch.BACKSTOP_FACTOR * period))[
        "republished"] == 0  # the next one waits longer: at least as long as the run had already waited


def test_publishing_many_runs_marks_them_published_in_one_statement(db, broker_queues):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    template = make_template()
    runs = [make_run(template) for _ in range(20)]
    with CaptureQueriesContext(connection) as captured:
        assert sorted(dispatch.publish_runs(runs)) == sorted(r.pk for r in runs)
    assert len([q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]) == 1
    published = JobRun.objects.filter(pk__in=[r.pk for r in runs])
    assert not published.filter(published_at__isnull=True).exists()
    assert len(set(published.values_list("celery_task_id", flat=True))) == 20


def test_marking_runs_published_keeps_the_task_id_of_a_run_a_worker_claimed_meanwhile(db):
    template = make_template()
    waiting, taken = make_run(template), make_run(template)
    JobRun.objects.filter(pk=taken.pk).update(status="running", celery_task_id="run-0-started-by-the-worker")
    dispatch.mark_published([waiting.pk, taken.pk], stamp=1765000000000)
    waiting.refresh_from_db()
    taken.refresh_from_db()
    assert waiting.celery_task_id == dispatch.task_id(waiting.pk, 1765000000000)
    assert taken.celery_task_id == "run-0-started-by-the-worker"
    assert waiting.published_at is not None and taken.published_at is not None
