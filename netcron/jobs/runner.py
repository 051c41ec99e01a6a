"""The one lifecycle wrapper every job type runs inside: claim, heartbeat, execute, finish."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import threading
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone
from pydantic import ValidationError

from netcron import audit
from netcron.executors import UnknownJobType, get_job_type
from netcron.executors.base import JobFailed, RetryableJobError
from netcron.inventory.models import Device
from netcron.jobs.choices import DeviceStatus, LogLevel, RunStatus
from netcron.jobs.models import DeviceLock, DeviceResult, JobRun, JobTemplate, RunLog
from netcron.jobs.targets import resolve_targets
from netcron.lib.dbcursor import prepared_cursor

logger = logging.getLogger(__name__)


class Heartbeat:
    """Beats a run's row every `interval` seconds while it executes, so a busy executor still looks alive.

    The beats come from one thread per worker process (_Beater), started on first use and kept: a run
    costs no thread start and join (~0.2 ms, a tenth of a trivial run's cost in the worker).
    """

    def __init__(self, job_run: JobRun, interval: float):
        self.job_run, self.interval = job_run, interval
        self.context: Context | None = None  # set once the executor runs: its unwritten progress rides along
        self.due = 0.0

    def beat(self) -> None:
        progress = self.context.unwritten_progress() if self.context else None
        self.job_run.beat(*(progress or ()))

    def start(self) -> None:
        self.due = time.monotonic() + self.interval
        _Beater.for_this_process().watch(self)

    def stop(self) -> None:
        """After this returns no beat of this run is in progress or to come."""
        _Beater.for_this_process().unwatch(self)


class _Beater(threading.Thread):
    _instance: _Beater | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        super().__init__(name="netcron-heartbeats", daemon=True)
        self.pid = os.getpid()
        self.watched: set[Heartbeat] = set()
        self.lock = threading.Lock()  # held while beating: unwatch() waits for a beat in progress
        self.changed = threading.Condition(self.lock)
        self.wakes_at = 0.0  # monotonic time the thread wakes up by itself (inf: only when notified)

    @classmethod
    def for_this_process(cls) -> _Beater:
        with cls._instance_lock:
            beater = cls._instance
            if beater is None or beater.pid != os.getpid():  # a forked child inherits no running thread
                beater = cls._instance = cls()
                beater.start()
            return beater

    def watch(self, heartbeat: Heartbeat) -> None:
        with self.changed:
            self.watched.add(heartbeat)
            if heartbeat.due < self.wakes_at:  # the thread would sleep past this beat: wake it now
                self.changed.notify()

    def unwatch(self, heartbeat: Heartbeat) -> None:
        # No wake-up: the thread finds nothing due when it next wakes. Trivial runs come and go without
        # waking it (two thread switches per run otherwise).
        with self.changed:
            self.watched.discard(heartbeat)

    def run(self) -> None:
        used_connection = False
        with self.changed:
            while True:
                now = time.monotonic()
                if not self.watched:
                    if used_connection:  # nothing to beat for now: give the database session back
                        connection.close()
                        used_connection = False
                    self.wakes_at = math.inf
                    self.changed.wait()
                    continue
                due = [h for h in self.watched if h.due <= now]
                if not due:
                    self.wakes_at = min(h.due for h in self.watched)
                    self.changed.wait(self.wakes_at - now)
                    continue
                self.wakes_at = now
                for heartbeat in due:
                    heartbeat.due = now + heartbeat.interval
                    used_connection = True
                    try:
                        heartbeat.beat()
                    except Exception:  # a failed beat must not kill the thread; the next one may pass
                        logger.warning("heartbeat of run %s failed", heartbeat.job_run.pk, exc_info=True)
                        connection.close()  # the next beat opens a fresh one if the session is gone


class Context:
    """What an executor may do to its run: log, report progress and device results, check cancel."""

    CANCEL_CHECK_SECONDS = 1.0

    def __init__(self, run: JobRun, devices: list[Device]):
        self.run = run
        self.run_id = run.pk
        self.devices = devices
        # The claim read cancel_requested a moment ago: the next look at the row can wait a check period.
        self._cancelled = run.cancel_requested
        self._cancel_checked_at = time.monotonic()
        self._lock = threading.Lock()
        # The claim has just written the heartbeat: progress is first written half a second from now
        # (a run that is over by then never writes any; finish() writes the final value).
        self._last_progress_at = time.monotonic()
        self._progress: tuple[int, int | None] | None = None  # the latest reported (done, total)
        self._progress_written = True
        self.locked_devices = False

    def log(self, message: str, level: str = LogLevel.INFO, device=None) -> None:
        RunLog.objects.create(run_id=self.run_id, level=level, device=device, message=str(message)[:4000])

    def progress(self, done: int, total: int | None = None) -> None:
        # Progress rows are hot: at most two writes per second. The final value is written by finish(),
        # or by the next heartbeat if the executor still has work to do after it.
        with self._lock:
            self._progress, self._progress_written = (done, total), False
            now = time.monotonic()
            if (total is not None and done >= total) or now - self._last_progress_at < 0.5:
                return
            self._last_progress_at, self._progress_written = now, True
        self.run.beat(done=done, total=total)

    def unwritten_progress(self) -> tuple[int, int | None] | None:
        """The latest progress not yet in the row (and, from now on, counted as written)."""
        with self._lock:
            if self._progress_written:
                return None
            self._progress_written = True
            return self._progress

    def last_progress(self) -> tuple[int, int | None] | None:
        return self._progress

    def device_result(self, device, status: str, message: str = "", *, detail: str = "",
                      data: dict | None = None, artifact: str = "", started_at=None) -> None:
        DeviceResult.objects.update_or_create(
            run_id=self.run_id, device=device,
            defaults={"device_name": device.name, "status": status, "message": str(message)[:10000],
                      "detail": detail, "data": data or {}, "artifact": artifact,
                      "started_at": started_at, "finished_at": timezone.now()},
        )
        DeviceLock.release(self.run_id, device.pk)
        if status == DeviceStatus.FAILED:
            self.log(f"{device.name}: {message}", LogLevel.ERROR, device=device)

    def device_results(self, results: list[dict]) -> None:
        """Many results in a few statements: [{device, status, message, detail, data}]."""
        now = timezone.now()
        DeviceResult.objects.bulk_create(
            [DeviceResult(run_id=self.run_id, device=r["device"], device_name=r["device"].name,
                          status=r["status"], message=str(r.get("message", ""))[:10000],
                          detail=r.get("detail", ""), data=r.get("data") or {}, finished_at=now)
             for r in results],
            batch_size=1000, update_conflicts=True, unique_fields=["run", "device"],
            update_fields=["status", "message", "detail", "data", "finished_at"],
        )
        DeviceLock.objects.filter(run_id=self.run_id, device__in=[r["device"] for r in results]).delete()
        failed = [r for r in results if r["status"] == DeviceStatus.FAILED]
        RunLog.objects.bulk_create(
            [RunLog(run_id=self.run_id, level=LogLevel.ERROR, device=r["device"],
                    message=f"{r['device'].name}: {r.get('message', '')}"[:4000]) for r in failed],
            batch_size=1000,
        )

    def lock_device(self, device) -> int | None:
        """Lock `device` for this run's job type; returns None when locked, else the holding run's id."""
        self.locked_devices = True
        return DeviceLock.acquire(self.run, device)

    def each_device(self):
        """Yield the devices in turn, stopping on cancel, locking each one and reporting progress.

        A device another live run of the same job type is working on is skipped, with the reason.
        """
        total = len(self.devices)
        for done, device in enumerate(self.devices, start=1):
            if self.is_cancelled():
                return
            holder = self.lock_device(device)
            if holder is not None:
                self.device_result(device, DeviceStatus.SKIPPED,
                                   f"busy: run #{holder} of the same job type is working on this device")
            else:
                yield device
            self.progress(done, total)

    def is_cancelled(self) -> bool:
        with self._lock:
            if not self._cancelled and time.monotonic() - self._cancel_checked_at >= self.CANCEL_CHECK_SECONDS:
                self._cancel_checked_at = time.monotonic()
                self._cancelled = self.run.cancel_is_requested()
            return self._cancelled


def devices_for(run: JobRun) -> list[Device]:
    """The run's device snapshot: resolved from the template's targets once, then fixed.

    Also sets the run's progress total to the number of devices (one UPDATE with the snapshot).
    """
    values = {}
    if run.target_device_ids is None:
        targets = run.template.targets if run.template else {}
        run.target_device_ids = values["target_device_ids"] = list(
            resolve_targets(targets).values_list("pk", flat=True))
    devices = sorted(Device.objects.filter(pk__in=run.target_device_ids).select_related("credential", "location"),
                     key=lambda d: d.name)
    with transaction.atomic():
        JobRun.objects.filter(pk=run.pk).update(progress_done=0, progress_total=len(devices), **values)
        if devices:
            run.log(f"{len(devices)} device(s) targeted")
    run.progress_done, run.progress_total = 0, len(devices)
    return devices


# The heartbeat is the database's clock (see dispatch.fail_lost); SQLite stores datetimes as UTC text.
DATABASE_NOW = {"postgresql": "STATEMENT_TIMESTAMP()", "sqlite": "STRFTIME('%%Y-%%m-%%d %%H:%%M:%%f', 'now')"}


def claim(run_id: int, worker: str, task_id: str = "") -> tuple[str, JobRun | None]:
    """pending -> running; returns ("claimed", run), ("duplicate", run), ("deferred", run) or ("missing", None).

    The common case is one commit: a conditional UPDATE that also returns the row, with the "started on"
    log line (on PostgreSQL both in one statement, a data-modifying WITH: one round trip, prepared once
    per session). A run whose template has a concurrency cap takes the model's locking claim instead.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    message = f"started on {worker}"[:4000]
    params = [RunStatus.RUNNING, worker, task_id, now, run_id, RunStatus.PENDING]
    if connection.vendor == "postgresql":
        row = _claim_statement([*params, now, LogLevel.INFO, message])
        if row is not None:
            return "claimed", _run_from_row(row)
    else:
        with transaction.atomic():
            claimed = list(JobRun.objects.raw(_claim_sql(connection.vendor), params))
            if claimed:
                claimed[0].log(message)
                return "claimed", claimed[0]
    run = JobRun.objects.select_related("template").filter(pk=run_id).first()
    if run is None:
        return "missing", None
    if run.status != RunStatus.PENDING:
        return "duplicate", run
    outcome = run.claim(worker, task_id)  # capped template: counts running runs under its row lock
    if outcome == "claimed":
        run.log(message)
    return outcome, run


def _claim_statement(params: list) -> tuple | None:
    """The claim on PostgreSQL, the task's first statement, which is also its health check: instead of
    Django's `SELECT 1` before it (one round trip per run), a session that died since the last task
    (server restarted, connection terminated) is replaced and the claim sent once more."""
    for attempt in (1, 2):
        try:
            with prepared_cursor(health_check=False) as cursor:
                cursor.execute(_claim_sql("postgresql"), params)
                return cursor.fetchone()
        except (OperationalError, InterfaceError):
            if attempt == 2 or connection.in_atomic_block or connection.is_usable():
                raise  # not a dead session, or a second failure: the task fails, the reaper sends the run again
            logger.info("database session lost before the claim; reconnecting")
            connection.close()
    raise AssertionError("unreachable")


@functools.cache
def _claim_sql(vendor: str) -> str:
    """The claim's statement: built once per process (only names from model metadata go into it)."""
    runs, templates = JobRun._meta.db_table, JobTemplate._meta.db_table
    update = (f"UPDATE {runs} SET status = %s, executed_by = %s, celery_task_id = %s, started_at = %s, "  # noqa: S608
              f"heartbeat_at = {DATABASE_NOW[vendor]} "
              f"WHERE id = %s AND status = %s AND NOT EXISTS (SELECT 1 FROM {templates} t "
              f"WHERE t.id = {runs}.template_id AND t.max_concurrent_runs > 0) RETURNING *")
    if vendor != "postgresql":
        return update
    columns = ", ".join(connection.ops.quote_name(f.column) for f in JobRun._meta.concrete_fields)
    return _with_log_line("claimed", update, f"SELECT {columns} FROM claimed")  # noqa: S608 - column names


def _with_log_line(name: str, update: str, tail: str) -> str:
    """PostgreSQL: `update` (an UPDATE of runs returning their `id`) as CTE `name`, a log line (its ts,
    level and message the next three parameters) for each run it returns, then `tail`: one statement."""
    logs = RunLog._meta.db_table
    return (f"WITH {name} AS ({update}), logged AS (INSERT INTO {logs} (run_id, ts, level, message) "  # noqa: S608
            f"SELECT id, %s, %s, %s FROM {name}) {tail}")


def _run_from_row(row: tuple) -> JobRun:
    """A JobRun from a row of the claim's columns (JobRun's concrete fields in order), converted as the
    ORM converts query results (what a raw() query set does, without building one per claim)."""
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` costs a thread-local lookup per use
    values = []
    for value, (col, converters) in zip(row, _run_converters(db.vendor), strict=True):
        for convert in converters:
            value = convert(value, col, db)
        values.append(value)
    return JobRun.from_db(db.alias, _run_attnames(), values)


@functools.cache
def _run_attnames() -> list[str]:
    return [f.attname for f in JobRun._meta.concrete_fields]


@functools.cache
def _run_converters(vendor: str) -> tuple:
    """Per column of the claim's row: the column and its converters (backend's, then the field's)."""
    columns = []
    for field in JobRun._meta.concrete_fields:
        col = field.get_col(JobRun._meta.db_table)
        columns.append((col, (*connection.ops.get_db_converters(col), *field.get_db_converters(connection))))
    return tuple(columns)


def execute_run(run_id: int, worker: str, task_id: str = "") -> str:
    """Run one JobRun to a final state. Returns what happened ("duplicate", "missing" or the status)."""
    outcome, run = claim(run_id, worker, task_id)
    if run is None:
        logger.warning("run %s does not exist (deleted?); dropping the delivery", run_id)
        return outcome
    if outcome == "deferred":
        logger.info("run %s waits: template %s is at its concurrency limit", run_id, run.template_id)
        return outcome
    if outcome == "duplicate":
        logger.info("run %s is already %s; duplicate delivery ignored", run_id, run.status)
        return outcome
    heartbeat = Heartbeat(run, settings.NETCRON_HEARTBEAT_SECONDS)
    heartbeat.start()
    try:
        # Inventory an executor changes (e.g. a sync) is audited as done by this run.
        with audit.acting(via="run", run_id=run.pk, request=None, user=None, user_loader=None):
            status = _execute(run, heartbeat)
    finally:
        heartbeat.stop()
    if run.is_finished:
        from netcron.jobs.dispatch import notify_finished

        notify_finished(run)  # only queues rows and publishes ids: sending happens on the default queue
    return status


def _execute(run: JobRun, heartbeat: Heartbeat) -> str:
    context: Context | None = None
    try:
        job_type = get_job_type(run.job_type)
        params = job_type.validate_params(run.params)
        devices = devices_for(run) if job_type.uses_devices else []
        if job_type.uses_devices and not devices:
            with transaction.atomic():
                run.log("targets matched no devices; nothing to do", LogLevel.WARNING)
                finish(run, RunStatus.COMPLETED, result={"message": "targets matched no devices"})
            return run.status
        context = heartbeat.context = Context(run, devices)
        result = job_type.execute(context, params) or {}
    except UnknownJobType as exc:
        return _fail(run, str(exc), context=context)
    except ValidationError as exc:
        return _fail(run, f"invalid parameters: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}", context=context)
    except SoftTimeLimitExceeded:
        return _fail(run, f"timed out after {run.template.timeout_seconds if run.template else '?'} s",
                     context=context)
    except RetryableJobError as exc:
        return _fail(run, str(exc), retry=True, context=context)
    except JobFailed as exc:
        return _fail(run, str(exc), context=context)
    except Exception as exc:
        logger.exception("run %s crashed", run.pk)
        return _fail(run, f"internal error: {type(exc).__name__}: {exc}", retry=True, context=context)
    # The final writes go in one transaction: one commit (one WAL flush) instead of several. A run without
    # devices has a single statement to write (the row and its last log line): no transaction needed.
    with transaction.atomic() if devices or connection.vendor != "postgresql" else contextlib.nullcontext():
        if context.is_cancelled():
            mark_unfinished_devices(run, devices, DeviceStatus.CANCELLED, "run cancelled")
            finish(run, RunStatus.CANCELLED, error="cancelled by request", result=result, context=context,
                   log=("cancelled", LogLevel.WARNING))
            return run.status
        mark_unfinished_devices(run, devices, DeviceStatus.SKIPPED, "not processed")
        finish(run, RunStatus.COMPLETED, result=result, context=context, log=FINISHED)
    return run.status


# finish(log=FINISHED): the line that closes a run's log, with its final status and counts.
FINISHED = ("finished: {status} ({count_ok} ok, {count_failed} failed, {count_skipped} skipped)", LogLevel.INFO)


def finish(run: JobRun, status: str, error: str = "", result: dict | None = None,
           context: Context | None = None, log: tuple[str, str] | None = None) -> bool:
    """Move a running run to its final status in one UPDATE: counts, last progress, result, error.

    A completed device run in which every device failed ends failed ("all devices failed").
    ``log``: (message, level) appended to the run's log with it, when the run was still running; the
    message is formatted with the final values ({status}, {count_ok}, ...).
    Returns False (and reloads the row) when the run was no longer running, e.g. reaped as lost.
    """
    values: dict = {"finished_at": timezone.now()}
    reached_the_end = status == RunStatus.COMPLETED
    if run.target_device_ids:  # only device runs have results to count
        counts = DeviceResult.objects.filter(run_id=run.pk).aggregate(
            count_ok=Count("id", filter=Q(status=DeviceStatus.OK)),
            count_failed=Count("id", filter=Q(status=DeviceStatus.FAILED)),
            count_skipped=Count("id", filter=Q(status__in=[DeviceStatus.SKIPPED, DeviceStatus.CANCELLED])),
        )
        values.update(counts)
        if reached_the_end and counts["count_ok"] == 0 and counts["count_failed"] > 0:
            status, error = RunStatus.FAILED, "all devices failed"
    values.update(status=status, error=error[:10000])
    if result is not None:
        values["result"] = result
    progress = context.last_progress() if context else None
    if progress is not None:
        values["progress_done"] = progress[0]
        if progress[1] is not None:
            values["progress_total"] = progress[1]
    if reached_the_end:
        values["progress_done"] = values.get("progress_total", run.progress_total)
    line = None
    if log is not None:
        final = {"count_ok": run.count_ok, "count_failed": run.count_failed, "count_skipped": run.count_skipped,
                 **values}
        line = (log[0].format(**final)[:4000], log[1])
    done, rules_active = _update_running(run.pk, values, line)
    run.notification_rules_active = rules_active  # read by the notifications: one query less per run
    if run.target_device_ids or (context is not None and context.locked_devices):
        DeviceLock.release(run.pk)
    if not done:
        run.refresh_from_db()
        return False
    for name, value in values.items():
        setattr(run, name, value)
    return True


def _update_running(run_id: int, values: dict, log: tuple[str, str] | None) -> tuple[bool, bool | None]:
    """UPDATE a run's row while it is running, and append a (message, level) log line if it was.

    Returns (updated, whether any notification rule is active; None when not asked). On PostgreSQL one
    statement (a data-modifying WITH) does all three: one round trip, and no transaction needed around
    it. Elsewhere an UPDATE and, if it matched, an INSERT.
    """
    if connection.vendor != "postgresql":
        done = JobRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(**values)
        if done and log is not None:
            RunLog.objects.create(run_id=run_id, message=log[0], level=log[1])
        return bool(done), None
    sql, fields = _finish_sql(tuple(values), with_log=log is not None)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values.values(), strict=True)]
    params += [run_id, RunStatus.RUNNING]
    if log is not None:
        params += [connection.ops.adapt_datetimefield_value(timezone.now()), log[1], log[0]]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        count, rules_active = cursor.fetchone()
    return count > 0, rules_active


@functools.lru_cache(maxsize=64)
def _finish_sql(names: tuple[str, ...], with_log: bool) -> tuple[str, tuple]:
    """_update_running's statement on PostgreSQL for these field names, and the fields: built once per
    shape (a trivial run always has the same one). Only names from model metadata go into the SQL."""
    from netcron.notifications.models import NotificationRule

    fields = tuple(JobRun._meta.get_field(name) for name in names)
    assignments = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in fields)
    update = f"UPDATE {JobRun._meta.db_table} SET {assignments} WHERE id = %s AND status = %s RETURNING id"  # noqa: S608
    tail = f"SELECT COUNT(*), {NotificationRule.any_active_sql()} FROM done"  # noqa: S608
    if not with_log:
        return f"WITH done AS ({update}) {tail}", fields
    return _with_log_line("done", update, tail), fields


def mark_unfinished_devices(run: JobRun, devices: list[Device], status: str, message: str) -> None:
    if not devices:
        return
    done = set(DeviceResult.objects.filter(run=run).values_list("device_id", flat=True))
    DeviceResult.objects.bulk_create(
        [DeviceResult(run=run, device=d, device_name=d.name, status=status, message=message)
         for d in devices if d.pk not in done],
        ignore_conflicts=True,
    )


def _fail(run: JobRun, error: str, retry: bool = False, context: Context | None = None) -> str:
    # The failure may be the database session itself (terminated, server restarted): replace a
    # connection that no longer works, or the failure could not be recorded either.
    if connection.connection is not None and connection.errors_occurred and not connection.is_usable():
        connection.close()
    with transaction.atomic():
        run.log(error, LogLevel.ERROR)
        finish(run, RunStatus.FAILED, error=error, context=context)
    if retry:
        from netcron.jobs.dispatch import schedule_retry

        schedule_retry(run)
    return run.status
