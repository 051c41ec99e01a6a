from __future__ import annotations

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
