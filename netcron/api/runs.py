from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema, Status
from ninja.errors import HttpError

from netcron import audit
from netcron.api.auth import JOBS_READ, require, user_of
from netcron.api.common import aware, iso, paginate, split_ints, split_values
from netcron.api.visibility import visible, writable
from netcron.executors import job_types
from netcron.executors.base import JobFailed
from netcron.jobs import dispatch
from netcron.jobs.choices import DeviceStatus, RunStatus, TriggeredBy
from netcron.jobs.models import JobRun

router = Router(tags=["job runs"])


class RunOut(Schema):
    id: int
    job_name: str
    job_type: str
    status: str
    triggered_by: str
    requested_by: str | None
    executed_by: str
    template_id: int | None
    schedule_id: int | None
    scheduled_for: str | None
    queue: str
    attempt: int
    retry_of_id: int | None
    queued_at: str | None
    started_at: str | None
    finished_at: str | None
    heartbeat_at: str | None
    duration_seconds: float | None
    progress_done: int
    progress_total: int
    count_ok: int
    count_failed: int
    count_skipped: int
    cancel_requested: bool
    error: str


class DeviceResultOut(Schema):
    device_id: int | None
    device_name: str
    status: str
    detail: str
    message: str
    started_at: str | None
    finished_at: str | None
    data: dict
    artifact: str


class NotificationOut(Schema):
    id: int
    event: str
    channel: str
    target: str
    status: str
    attempts: int
    last_error: str
    created_at: str | None
    sent_at: str | None


class RunDetailOut(RunOut):
    params: dict
    result: dict
    target_device_ids: list[int] | None
    device_results: list[DeviceResultOut]
    notifications: list[NotificationOut]


def run_out(run: JobRun) -> dict:
    duration = run.duration
    return {
        "id": run.pk, "job_name": run.job_name, "job_type": run.job_type, "status": run.status,
        "triggered_by": run.triggered_by, "requested_by": run.requested_by.username if run.requested_by else None,
        "executed_by": run.executed_by, "template_id": run.template_id, "schedule_id": run.schedule_id,
        "scheduled_for": iso(run.scheduled_for), "queue": run.queue, "attempt": run.attempt,
        "retry_of_id": run.retry_of_id, "queued_at": iso(run.queued_at), "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at), "heartbeat_at": iso(run.heartbeat_at),
        "duration_seconds": round(duration.total_seconds(), 3) if duration else None,
        "progress_done": run.progress_done, "progress_total": run.progress_total, "count_ok": run.count_ok,
        "count_failed": run.count_failed, "count_skipped": run.count_skipped,
        "cancel_requested": run.cancel_requested, "error": run.error,
    }


def result_out(result) -> dict:
    return {
        "device_id": result.device_id, "device_name": result.device_name, "status": result.status,
        "detail": result.detail, "message": result.message, "started_at": iso(result.started_at),
        "finished_at": iso(result.finished_at), "data": result.data, "artifact": result.artifact,
    }


def runs_for(request):
    require(request, JOBS_READ)
    return JobRun.objects.visible_to(user_of(request)).select_related("requested_by")


@router.get("", summary="List runs", description="Filters take comma-separated values, e.g. status=completed,failed")
def list_runs(request, status: str | None = None, job_type: str | None = None, triggered_by: str | None = None,
              schedule_id: str | None = None, template_id: str | None = None,
              queued_after: datetime | None = None, queued_before: datetime | None = None,
              page: int = 1, page_size: int = 50):
    qs = runs_for(request)
    if values := split_values("status", status, list(RunStatus.values)):
        qs = qs.filter(status__in=values)
    if values := split_values("job_type", job_type, sorted(job_types())):
        qs = qs.filter(job_type__in=values)
    if values := split_values("triggered_by", triggered_by, list(TriggeredBy.values)):
        qs = qs.filter(triggered_by__in=values)
    if ids := split_ints("schedule_id", schedule_id):
        qs = qs.filter(schedule_id__in=ids)
    if ids := split_ints("template_id", template_id):
        qs = qs.filter(template_id__in=ids)
    if queued_after is not None:
        qs = qs.filter(queued_at__gte=aware(queued_after))
    if queued_before is not None:
        qs = qs.filter(queued_at__lt=aware(queued_before))
    return paginate(qs, page, page_size, run_out)


@router.get("/recent", response=list[RunOut], summary="The most recent runs, for dashboards")
def recent_runs(request, limit: int = 20):
    if not 1 <= limit <= 200:
        raise HttpError(422, "limit: must be between 1 and 200")
    return [run_out(run) for run in runs_for(request)[:limit]]


@router.get("/templates", summary="Templates that have runs (for filter drop-downs)")
def run_templates(request):
    rows = runs_for(request).exclude(template=None).order_by().values("template_id", "job_name", "job_type")
    unique = {(r["template_id"], r["job_name"], r["job_type"]) for r in rows.distinct()}
    return [{"template_id": t, "name": n, "job_type": j} for t, n, j in sorted(unique, key=lambda r: r[1])]


@router.get("/{run_id}", response=RunDetailOut)
def get_run(request, run_id: int, device_status: str | None = None):
    run = visible(request, JobRun.objects.select_related("requested_by"), run_id, "run")
    results = run.device_results.all()
    if values := split_values("device_status", device_status, list(DeviceStatus.values)):
        results = results.filter(status__in=values)
    return {**run_out(run), "params": run.params, "result": run.result,
            "target_device_ids": run.target_device_ids, "device_results": [result_out(r) for r in results],
            "notifications": [notification_out(n) for n in run.notifications.all()]}


def notification_out(delivery) -> dict:
    return {"id": delivery.pk, "event": delivery.event, "channel": delivery.channel, "target": delivery.target,
            "status": delivery.status, "attempts": delivery.attempts, "last_error": delivery.last_error,
            "created_at": iso(delivery.created_at), "sent_at": iso(delivery.sent_at)}


@router.get("/{run_id}/logs", summary="Log lines of a run, oldest first; pass after_id to tail")
def run_logs(request, run_id: int, after_id: int = 0, level: str | None = None, page: int = 1,
             page_size: int = 200):
    run = visible(request, JobRun, run_id, "run")
    logs = run.logs.filter(id__gt=after_id).select_related("device")
    if values := split_values("level", level, ["debug", "info", "warning", "error"]):
        logs = logs.filter(level__in=values)
    return {**paginate(logs, page, page_size, lambda line: {
        "id": line.pk, "ts": iso(line.ts), "level": line.level,
        "device": line.device.name if line.device else None, "message": line.message}),
        "run_status": run.status}


@router.post("/{run_id}/cancel", response=RunOut, summary="Cancel a pending or running run")
def cancel_run(request, run_id: int):
    run = writable(request, JobRun.objects.select_related("requested_by"), run_id, "run")
    if run.is_finished:
        raise HttpError(409, f"run {run_id} has already finished ({run.status})")
    run.request_cancel()
    return run_out(run)


@router.post("/{run_id}/retry", response={201: dict}, summary="Re-run only the devices that failed")
def retry_run(request, run_id: int):
    run = writable(request, JobRun.objects.select_related("template"), run_id, "run")
    try:
        retry = dispatch.retry_failed_devices(run, user=user_of(request))
    except JobFailed as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, {"run_id": retry.pk, "status": retry.status, "devices": len(retry.target_device_ids or [])})


@router.delete("/{run_id}", response={204: None}, summary="Delete a finished run with its results and logs")
def delete_run(request, run_id: int):
    run = writable(request, JobRun, run_id, "run")
    if not run.is_finished:
        raise HttpError(409, f"run {run_id} is {run.status}; cancel it first")
    audit.record("delete", run, object_type="run", before={"job_name": run.job_name, "status": run.status})
    run.delete()
    return Status(204, None)
