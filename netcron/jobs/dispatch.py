"""Outbox publishing of committed runs, manual launches, retries and the reaper."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper
from django.db.models.functions import Now
from django.utils import timezone

from netcron import audit
from netcron.jobs.choices import LogLevel, RunStatus, TriggeredBy
from netcron.jobs.models import DeviceLock, JobRun, JobSchedule, JobTemplate

logger = logging.getLogger(__name__)


def time_limits(timeout_seconds: int | None) -> dict:
    # Soft limit first so the runner can record "timed out"; the hard limit kills a stuck process.
    return {"soft_time_limit": timeout_seconds, "time_limit": timeout_seconds + 30} if timeout_seconds else {}


def publish_runs(runs: list[JobRun]) -> list[int]:
    """Send execute_run(run_id) for each run over one broker connection, then mark them published in one
    UPDATE; returns the ids sent. Must only be called after the run rows are committed.

    On Redis the messages go out in one pipeline (kombu's publish batch: one round trip, not one per
    run); on a broker without batches one by one. If sending fails, no run is marked published: the
    reaper publishes them again, and a worker drops a second delivery of a run already taken.
    """
    from netcron.celery import app
    from netcron.jobs.tasks import execute_run

    if not runs:
        return []
    stamp = int(timezone.now().timestamp() * 1000)
    sent: list[int] = []
    amqp, declared = app.amqp, set()
    try:
        with app.producer_or_acquire() as producer, producer.batch(max_size=len(runs)):
            for run in runs:
                timeout = run.template.timeout_seconds if run.template_id and run.template else None
                # The message apply_async() would send (same headers, properties and body), built without its
                # per-call routing and configuration lookups: half the scheduler's cost per run sent.
                message = amqp.create_task_message(task_id(run.pk, stamp), execute_run.name, [run.pk], {},
                                                   reply_to=app.thread_oid, ignore_result=True,
                                                   **time_limits(timeout))
                queue = amqp.queues[run.queue]
                amqp.send_task_message(producer, execute_run.name, message, queue=queue,
                                       declare=[] if queue.name in declared else [queue])
                declared.add(queue.name)
                sent.append(run.pk)
    except Exception as exc:  # broker down: the reaper publishes them later
        logger.warning("could not publish %d run(s): %s", len(runs), exc)
        sent = []
    mark_published(sent, stamp)
    return sent


def task_id(run_id: int, stamp: int) -> str:
    """The message's task id: unique per publish, and computable by the database (see mark_published)."""
    return f"run-{run_id}-{stamp}"


def mark_published(ids: list[int], stamp: int) -> None:
    """published_at = now and the message's task id, for many runs in one statement per 500.

    A worker may have claimed a run already (it records the task id it ran): that id is kept. Plain SQL
    with the task id computed by the database: the ORM's CASE/Concat/Cast expression cost ~1 ms to
    compile, a sixth of a "Run now". No transaction around the statements: should the process die between
    two of them, the reaper publishes the runs left unmarked once more and the worker drops the duplicate.
    """
    runs = JobRun._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        # Only the table name from model metadata goes into the SQL; values are parameters.
        sql = (f"UPDATE {runs} SET published_at = %s, celery_task_id = CASE WHEN status = %s "  # noqa: S608
               f"THEN 'run-' || CAST(id AS TEXT) || %s ELSE celery_task_id END "
               f"WHERE id IN ({', '.join(['%s'] * len(chunk))})")
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, RunStatus.PENDING, f"-{stamp}", *chunk])


def publish_run(run: JobRun) -> bool:
    return bool(publish_runs([run]))


def publish_on_commit(run: JobRun) -> None:
    transaction.on_commit(lambda: publish_run(run))


def new_run(template: JobTemplate, triggered_by: str, *, user=None, schedule: JobSchedule | None = None,
            scheduled_for=None, param_overrides: dict | None = None, credential=None,
            credential_id: int | None = None, target_device_ids: list[int] | None = None,
            retry_of: JobRun | None = None) -> JobRun:
    """An unsaved pending run of a template, with parameters and credential snapshotted.

    Reads only ids of related rows (owner, credential), so building many runs costs no queries.
    """
    params = {**template.params, **(param_overrides or {})}
    if credential is not None:
        credential_id = credential.pk
    return JobRun(
        template=template, schedule=schedule, scheduled_for=scheduled_for, job_name=template.name,
        job_type=template.job_type, triggered_by=triggered_by, requested_by=user,
        # A private schedule makes its runs private too, even on a global template.
        is_global=template.is_global and (schedule is None or schedule.is_global),
        owner_id=schedule.owner_id if schedule is not None and not schedule.is_global else template.owner_id,
        queue=template.effective_queue(),
        params=params, credential_id=credential_id or template.credential_id, target_device_ids=target_device_ids,
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
                        credential_id=run.credential_id)
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
        retry = new_run(template, TriggeredBy.RETRY, retry_of=run, credential_id=run.credential_id,
                        target_device_ids=run.target_device_ids)
        retry.params = run.params
        retry.queued_at = timezone.now() + timedelta(seconds=delay)
        retry.save()
    run.log(f"will retry as run #{retry.pk} in {delay} s (attempt {retry.attempt})", LogLevel.WARNING)
    return retry


def reap(now=None) -> dict:
    """Republish pending runs whose message is missing, and fail runs whose worker stopped beating."""
    from netcron.system.models import current

    now = now or timezone.now()
    timings = current()  # the database setting wins over NETCRON_* when an administrator set one
    return {"republished": republish_missing(now, timings.republish_after_seconds),
            "lost": fail_lost(now, timings.lease_seconds)}


UNPUBLISHED_AFTER = timedelta(seconds=2)  # a committed run not published by then: its publisher died
SETTLE = timedelta(seconds=10)  # a worker claims a message it was handed well within this
ORDER_MARGIN = timedelta(seconds=5)  # longer than publishing one batch takes: later published_at = later in queue
BACKSTOP_FACTOR = 10  # without evidence either way, republish after this many republish periods, then doubling


def republish_missing(now, republish_after_seconds: int) -> int:
    """Publish runs never published, and republish published ones whose message the broker lost.

    A run still pending `republish_after_seconds` after its publish is usually just queued behind a
    backlog; sending it again would only make the backlog longer. Its message counts as lost when its
    queue in the broker is empty, or when a run published later to the same queue has started (queues
    are FIFO: the workers are past it). Without such evidence it is republished only after
    BACKSTOP_FACTOR periods, then after waits that double, so no run waits forever.
    """
    unpublished = JobRun.objects.filter(status=RunStatus.PENDING, published_at__isnull=True,
                                        queued_at__lte=now - UNPUBLISHED_AFTER)
    waiting = JobRun.objects.filter(status=RunStatus.PENDING, queued_at__lte=now,
                                    published_at__lte=now - timedelta(seconds=republish_after_seconds))
    stale = list(unpublished.select_related("template")[:500])
    stale += missing_messages(list(waiting.select_related("template")[:500]), now, republish_after_seconds)
    claimed = []
    for run in stale:
        # Claim the republish so several schedulers don't all send it again.
        if JobRun.objects.filter(pk=run.pk, status=RunStatus.PENDING, published_at=run.published_at).update(
            published_at=now
        ):
            claimed.append(run)
    return len(publish_runs(claimed)) if claimed else 0


def missing_messages(runs: list[JobRun], now, republish_after_seconds: int) -> list[JobRun]:
    """The published, still pending runs whose message is no longer in the broker (see republish_missing)."""
    if not runs:
        return []
    from netcron.jobs.queues import queue_lengths

    lengths = queue_lengths()
    passed: dict[str, object] = {}
    for queue in {run.queue for run in runs if lengths.get(run.queue) != 0}:
        published = JobRun.objects.filter(queue=queue, started_at__lte=now - SETTLE, published_at__isnull=False)
        passed[queue] = max(published.order_by("-id").values_list("published_at", flat=True)[:100], default=None)
    backstop = timedelta(seconds=BACKSTOP_FACTOR * republish_after_seconds)
    missing = []
    for run in runs:
        latest_started = passed.get(run.queue)
        if (lengths.get(run.queue) == 0
                or (latest_started is not None and latest_started > run.published_at + ORDER_MARGIN)
                or now - run.published_at >= max(backstop, run.published_at - run.queued_at)):
            missing.append(run)
    return missing


def fail_lost(now, lease_seconds: int) -> int:
    """Fail (and retry, if allowed) running runs whose heartbeat is older than the lease."""
    # Heartbeats are written with the database's clock, so they are compared with it too: a scheduler
    # (or worker) whose clock is off never fails healthy runs, nor keeps lost ones alive.
    lost_before = ExpressionWrapper(Now() - timedelta(seconds=lease_seconds), output_field=DateTimeField())
    lost = 0
    for run in JobRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=lost_before).select_related(
        "template"
    )[:500]:
        error = f"lost worker {run.executed_by or '?'}: no heartbeat since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
        # Still running and still stale, checked in the same statement (not heartbeat_at == the value read:
        # SQLite keeps the database clock's text with millisecond precision, so equality would never match).
        if JobRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, heartbeat_at__lt=lost_before).update(
            status=RunStatus.FAILED, finished_at=now, error=error
        ):
            lost += 1
            DeviceLock.release(run.pk)
            run.refresh_from_db()
            run.log(error, LogLevel.ERROR)
            if schedule_retry(run) is None:
                logger.warning("run %s failed: %s", run.pk, error)
            notify_finished(run)
    return lost


def notify_finished(run: JobRun) -> None:
    """Queue the notifications of a finished run; a failure here is logged, never raised into the engine."""
    try:
        from netcron.notifications.service import run_finished

        run_finished(run)
    except Exception:
        logger.exception("notifications of run %s could not be queued", run.pk)
