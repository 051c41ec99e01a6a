"""Outbox publishing of committed runs, manual launches, retries and the reaper."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from netcron import audit
from netcron.jobs.choices import LogLevel, RunStatus, TriggeredBy
from netcron.jobs.models import DeviceLock, JobRun, JobSchedule, JobTemplate

logger = logging.getLogger(__name__)


def publish(run_id: int, queue: str, timeout_seconds: int | None = None) -> bool:
    """Send execute_run(run_id) to the run's queue. Must only be called after the run row is committed."""
    from netcron.jobs.tasks import execute_run

    options = {}
    if timeout_seconds:
        # Soft limit first so the runner can record "timed out"; the hard limit kills a stuck process.
        options = {"soft_time_limit": timeout_seconds, "time_limit": timeout_seconds + 30}
    try:
        result = execute_run.apply_async(args=[run_id], queue=queue, **options)
    except Exception as exc:  # broker down: the reaper republishes pending runs later
        logger.warning("could not publish run %s to %s: %s", run_id, queue, exc)
        return False
    JobRun.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
        published_at=timezone.now(), celery_task_id=result.id or ""
    )
    return True


def publish_run(run: JobRun) -> bool:
    return publish(run.pk, run.queue, run.template.timeout_seconds if run.template else None)


def publish_on_commit(run: JobRun) -> None:
    transaction.on_commit(lambda: publish_run(run))


def new_run(template: JobTemplate, triggered_by: str, *, user=None, schedule: JobSchedule | None = None,
            scheduled_for=None, param_overrides: dict | None = None, credential=None,
            target_device_ids: list[int] | None = None, retry_of: JobRun | None = None) -> JobRun:
    """An unsaved pending run of a template, with parameters and credential snapshotted."""
    params = {**template.params, **(param_overrides or {})}
    return JobRun(
        template=template, schedule=schedule, scheduled_for=scheduled_for, job_name=template.name,
        job_type=template.job_type, triggered_by=triggered_by, requested_by=user,
        # A private schedule makes its runs private too, even on a global template.
        is_global=template.is_global and (schedule is None or schedule.is_global),
        owner=schedule.owner if schedule is not None and not schedule.is_global else template.owner,
        queue=template.effective_queue(),
        params=params, credential=credential or template.credential, target_device_ids=target_device_ids,
        retry_of=retry_of, attempt=(retry_of.attempt + 1) if retry_of else 1,
    )


def launch(template: JobTemplate, triggered_by: str = TriggeredBy.MANUAL, **kwargs) -> JobRun:
    """Create a run now and publish it once the row is committed."""
    template.job_type_spec.validate_params({**template.params, **(kwargs.get("param_overrides") or {})})
    with transaction.atomic():
        run = new_run(template, triggered_by, **kwargs)
        run.save()
        schedule = kwargs.get("schedule")
        audit.record("execute" if schedule else "run", schedule or template,
                     details={"run_id": run.pk, "param_overrides": kwargs.get("param_overrides") or {}})
        publish_on_commit(run)
    return run


def retry_failed_devices(run: JobRun, user=None) -> JobRun:
    """A new run of the same template over only the devices that failed in `run`."""
    from netcron.executors.base import JobFailed

    failed = list(run.device_results.filter(status="failed").values_list("device_id", flat=True))
    failed = [d for d in failed if d is not None]
    if not run.is_finished:
        raise JobFailed("the run has not finished yet")
    if not failed:
        raise JobFailed("the run has no failed devices to retry")
    if run.template is None:
        raise JobFailed("the run's template has been deleted")
    with transaction.atomic():
        retry = new_run(run.template, TriggeredBy.RETRY, user=user, target_device_ids=failed, retry_of=run,
                        credential=run.credential)
        retry.params = run.params
        retry.save()
        audit.record("retry", run, object_type="run", details={"run_id": retry.pk, "devices": len(failed)})
        publish_on_commit(retry)
    return retry


def schedule_retry(run: JobRun) -> JobRun | None:
    """Retry a failed run as a whole when its template allows more attempts, with exponential backoff."""
    template = run.template
    if template is None or run.attempt > template.max_retries:
        return None
    delay = min(2 ** run.attempt * 5, 600)
    with transaction.atomic():
        retry = new_run(template, TriggeredBy.RETRY, retry_of=run, credential=run.credential,
                        target_device_ids=run.target_device_ids)
        retry.params = run.params
        retry.queued_at = timezone.now() + timedelta(seconds=delay)
        retry.save()
    run.log(f"will retry as run #{retry.pk} in {delay} s (attempt {retry.attempt})", LogLevel.WARNING)
    return retry


def reap(now=None) -> dict:
    """Republish pending runs nobody has picked up, and fail runs whose worker stopped beating."""
    from netcron.system.models import current

    now = now or timezone.now()
    timings = current()  # the database setting wins over NETCRON_* when an administrator set one
    republish_before = now - timedelta(seconds=timings.republish_after_seconds)
    stale = JobRun.objects.filter(status=RunStatus.PENDING, queued_at__lte=now).filter(
        Q(published_at__isnull=True, queued_at__lte=now - timedelta(seconds=2)) | Q(published_at__lte=republish_before)
    ).select_related("template")[:500]
    republished = 0
    for run in stale:
        # Claim the republish so several schedulers don't all send it again.
        claimed = JobRun.objects.filter(pk=run.pk, status=RunStatus.PENDING, published_at=run.published_at).update(
            published_at=now
        )
        if claimed and publish_run(run):
            republished += 1
    lost_before = now - timedelta(seconds=timings.lease_seconds)
    lost = 0
    for run in JobRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=lost_before).select_related(
        "template"
    )[:500]:
        error = f"lost worker {run.executed_by or '?'}: no heartbeat since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
        if JobRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, heartbeat_at=run.heartbeat_at).update(
            status=RunStatus.FAILED, finished_at=now, error=error
        ):
            lost += 1
            DeviceLock.release(run.pk)
            run.refresh_from_db()
            run.log(error, LogLevel.ERROR)
            if schedule_retry(run) is None:
                logger.warning("run %s failed: %s", run.pk, error)
            notify_finished(run)
    return {"republished": republished, "lost": lost}


def notify_finished(run: JobRun) -> None:
    """Queue the notifications of a finished run; a failure here is logged, never raised into the engine."""
    try:
        from netcron.notifications.service import run_finished

        run_finished(run)
    except Exception:
        logger.exception("notifications of run %s could not be queued", run.pk)
