"""The one lifecycle wrapper every job type runs inside: claim, heartbeat, execute, finish."""

from __future__ import annotations

import logging
import threading
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection
from django.utils import timezone
from pydantic import ValidationError

from netcron import audit
from netcron.executors import UnknownJobType, get_job_type
from netcron.executors.base import JobFailed, RetryableJobError
from netcron.inventory.models import Device
from netcron.jobs.choices import DeviceStatus, LogLevel, RunStatus
from netcron.jobs.models import DeviceLock, DeviceResult, JobRun, RunLog
from netcron.jobs.targets import resolve_targets

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Beats the run row every few seconds from a side thread, so a busy executor still looks alive."""

    def __init__(self, job_run: JobRun, interval: float):
        super().__init__(name=f"heartbeat-run-{job_run.pk}", daemon=True)
        self.job_run, self.interval = job_run, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    self.job_run.beat()
                except Exception:  # a failed beat must not kill the thread; the next one may pass
                    logger.warning("heartbeat of run %s failed", self.job_run.pk, exc_info=True)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


class Context:
    """What an executor may do to its run: log, report progress and device results, check cancel."""

    CANCEL_CHECK_SECONDS = 1.0

    def __init__(self, run: JobRun, devices: list[Device]):
        self.run = run
        self.run_id = run.pk
        self.devices = devices
        self._cancelled = False
        self._cancel_checked_at = 0.0
        self._lock = threading.Lock()
        self._last_progress_at = 0.0

    def log(self, message: str, level: str = LogLevel.INFO, device=None) -> None:
        RunLog.objects.create(run_id=self.run_id, level=level, device=device, message=str(message)[:4000])

    def progress(self, done: int, total: int | None = None) -> None:
        # Progress rows are hot: at most a few writes per second, always the last one.
        now = time.monotonic()
        final = total is not None and done >= total
        if final or now - self._last_progress_at >= 0.5:
            self._last_progress_at = now
            self.run.beat(done=done, total=total)

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
    """The run's device snapshot: resolved from the template's targets once, then fixed."""
    if run.target_device_ids is None:
        targets = run.template.targets if run.template else {}
        ids = list(resolve_targets(targets).values_list("pk", flat=True))
        JobRun.objects.filter(pk=run.pk).update(target_device_ids=ids)
        run.target_device_ids = ids
    devices = Device.objects.filter(pk__in=run.target_device_ids).select_related("credential", "location")
    return sorted(devices, key=lambda d: d.name)


def execute_run(run_id: int, worker: str, task_id: str = "") -> str:
    """Run one JobRun to a final state. Returns what happened ("duplicate", "missing" or the status)."""
    run = JobRun.objects.select_related("template").filter(pk=run_id).first()
    if run is None:
        logger.warning("run %s does not exist (deleted?); dropping the delivery", run_id)
        return "missing"
    claim = run.claim(worker, task_id)
    if claim == "deferred":
        logger.info("run %s waits: template %s is at its concurrency limit", run_id, run.template_id)
        return claim
    if claim == "duplicate":
        logger.info("run %s is already %s; duplicate delivery ignored", run_id, run.status)
        return claim
    heartbeat = Heartbeat(run, settings.NETCRON_HEARTBEAT_SECONDS)
    heartbeat.start()
    try:
        # Inventory an executor changes (e.g. a sync) is audited as done by this run.
        with audit.acting(via="run", run_id=run.pk, request=None, user=None, user_loader=None):
            status = _execute(run)
    finally:
        heartbeat.stop()
    if run.is_finished:
        from netcron.jobs.dispatch import notify_finished

        notify_finished(run)  # only queues rows and publishes ids: sending happens on the default queue
    return status


def _execute(run: JobRun) -> str:
    try:
        job_type = get_job_type(run.job_type)
        params = job_type.validate_params(run.params)
        devices = devices_for(run) if job_type.uses_devices else []
        if job_type.uses_devices and not devices:
            run.log("targets matched no devices; nothing to do", LogLevel.WARNING)
            run.finish(RunStatus.COMPLETED, result={"message": "targets matched no devices"})
            return run.status
        context = Context(run, devices)
        run.beat(done=0, total=len(devices) if job_type.uses_devices else 0)
        run.log(f"started on {run.executed_by}" + (f" with {len(devices)} device(s)" if devices else ""))
        result = job_type.execute(context, params) or {}
    except UnknownJobType as exc:
        return _fail(run, str(exc))
    except ValidationError as exc:
        return _fail(run, f"invalid parameters: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
    except SoftTimeLimitExceeded:
        return _fail(run, f"timed out after {run.template.timeout_seconds if run.template else '?'} s")
    except RetryableJobError as exc:
        return _fail(run, str(exc), retry=True)
    except JobFailed as exc:
        return _fail(run, str(exc))
    except Exception as exc:
        logger.exception("run %s crashed", run.pk)
        return _fail(run, f"internal error: {type(exc).__name__}: {exc}", retry=True)
    if context.is_cancelled():
        mark_unfinished_devices(run, devices, DeviceStatus.CANCELLED, "run cancelled")
        run.finish(RunStatus.CANCELLED, error="cancelled by request", result=result)
        run.log("cancelled", LogLevel.WARNING)
        return run.status
    mark_unfinished_devices(run, devices, DeviceStatus.SKIPPED, "not processed")
    run.finish(RunStatus.COMPLETED, result=result)
    if devices and run.count_ok == 0 and run.count_failed > 0:
        JobRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="all devices failed")
        run.refresh_from_db()
    run.log(f"finished: {run.status} ({run.count_ok} ok, {run.count_failed} failed, {run.count_skipped} skipped)")
    return run.status


def mark_unfinished_devices(run: JobRun, devices: list[Device], status: str, message: str) -> None:
    done = set(DeviceResult.objects.filter(run=run).values_list("device_id", flat=True))
    DeviceResult.objects.bulk_create(
        [DeviceResult(run=run, device=d, device_name=d.name, status=status, message=message)
         for d in devices if d.pk not in done],
        ignore_conflicts=True,
    )


def _fail(run: JobRun, error: str, retry: bool = False) -> str:
    run.log(error, LogLevel.ERROR)
    run.finish(RunStatus.FAILED, error=error)
    if retry:
        from netcron.jobs.dispatch import schedule_retry

        schedule_retry(run)
    return run.status
