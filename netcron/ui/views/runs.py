"""Runs: filtered keyset-paginated list, detail with live progress and log tail, cancel, retry, full log."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from netcron.executors import job_types
from netcron.executors.base import JobFailed
from netcron.jobs import dispatch
from netcron.jobs.choices import DeviceStatus, LogLevel
from netcron.jobs.models import JobRun, JobSchedule, JobTemplate, RunLog
from netcron.ui.forms.runs import MAX_ID, RunFilterForm
from netcron.ui.views.common import JOBS_READ, JOBS_WRITE, can_write, needs, visible_or_404, writable_or_404

PAGE_SIZE = 50
COUNT_CAP = 10_000
LOG_TAIL = 300  # lines shown on the run page; the full log page has the rest
LOG_POLL_MAX = 500  # new lines per poll
RESULTS_SHOWN = 500
LOG_PAGE = 1000
LIST_DEFERRED = ("params", "result", "error", "target_device_ids")


def _int(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if 0 < value <= MAX_ID else None


def keyset_page(queryset, before: int | None, after: int | None, size: int = PAGE_SIZE) -> dict:
    """One page by id, newest first: `before` pages to older runs, `after` to newer ones. Index-only seeks."""
    if after is not None:
        rows = list(queryset.filter(id__gt=after).order_by("id")[:size + 1])
        newer = len(rows) > size
        rows = rows[:size][::-1]
        return {"rows": rows, "newer": rows[0].pk if rows and newer else None,
                "older": rows[-1].pk if rows else None}
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset.order_by("-id")[:size + 1])
    older = len(rows) > size
    rows = rows[:size]
    return {"rows": rows, "newer": rows[0].pk if rows and before is not None else None,
            "older": rows[-1].pk if rows and older else None}


@needs(JOBS_READ)
def run_list(request):
    user = request.user
    templates = JobTemplate.objects.visible_to(user).order_by("name").values_list("pk", "name")
    form = RunFilterForm(request.GET, template_choices=list(templates))
    runs = form.apply(JobRun.objects.visible_to(user))
    page = keyset_page(runs.select_related("requested_by", "schedule").defer(*LIST_DEFERRED),
                       _int(request.GET.get("before")), _int(request.GET.get("after")))
    count = runs.order_by()[:COUNT_CAP + 1].count()
    schedule = None
    if form.is_valid() and form.cleaned_data.get("schedule"):
        schedule = JobSchedule.objects.visible_to(user).filter(pk=form.cleaned_data["schedule"]).first()
    return render(request, "ui/runs/list.html", {
        "form": form, "page": page, "count": count, "capped": count > COUNT_CAP, "schedule": schedule,
        "count_cap": COUNT_CAP,
    })


def _run(request, pk: int) -> JobRun:
    return visible_or_404(JobRun.objects.select_related("requested_by", "schedule", "template", "credential"),
                          request.user, pk)


def result_counts(run: JobRun) -> dict[str, int]:
    counts = dict.fromkeys(DeviceStatus.values, 0)
    for row in run.device_results.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def results_context(run: JobRun, device_status: str, counts: dict[str, int] | None = None) -> dict:
    counts = counts if counts is not None else result_counts(run)
    results = run.device_results.all()
    if device_status in DeviceStatus.values:
        results = results.filter(status=device_status)
    shown = list(results[:RESULTS_SHOWN])
    total = sum(counts.values())
    spec = job_types().get(run.job_type)
    return {"results": shown, "result_counts": counts, "results_total": total, "device_status": device_status,
            "results_capped": len(shown) == RESULTS_SHOWN, "uses_devices": spec is None or spec.uses_devices}


def tail(run: JobRun, after: int = 0, limit: int = LOG_TAIL) -> list[RunLog]:
    logs = run.logs.select_related("device").only("id", "run", "ts", "level", "message", "device", "device__name")
    if after:
        return list(logs.filter(id__gt=after).order_by("id")[:limit])
    return list(logs.order_by("-id")[:limit])[::-1]


@needs(JOBS_READ)
def run_detail(request, pk: int):
    run = _run(request, pk)
    device_status = request.GET.get("device_status", "")
    logs = tail(run)
    return render(request, "ui/runs/detail.html", {
        "run": run, "logs": logs, "last_log_id": logs[-1].pk if logs else 0,
        "notifications": list(run.notifications.all()),
        "logs_truncated": len(logs) == LOG_TAIL, "can_write": can_write(request.user, run),
        **results_context(run, device_status),
    })


@needs(JOBS_READ)
def run_live(request, pk: int):
    """The poll target: status, progress, new log lines, results when they changed. Stops once finished."""
    run = _run(request, pk)  # status first: lines logged before it are all fetched below
    after = _int(request.GET.get("after")) or 0
    logs = tail(run, after=after, limit=LOG_POLL_MAX)
    counts = result_counts(run)
    changed = sum(counts.values()) != (_int(request.GET.get("results")) or 0)
    results = results_context(run, request.GET.get("device_status", ""), counts) if changed else {
        "results_total": sum(counts.values()), "device_status": request.GET.get("device_status", "")}
    return render(request, "ui/runs/_live.html", {
        "run": run, "logs": logs, "last_log_id": logs[-1].pk if logs else after, "results_changed": changed,
        "polling": not run.is_finished or len(logs) == LOG_POLL_MAX, "can_write": can_write(request.user, run),
        **results,
    })


@require_POST
@needs(JOBS_WRITE)
def run_cancel(request, pk: int):
    run = writable_or_404(JobRun.objects.all(), request.user, pk)
    if run.is_finished:
        messages.error(request, f"Run #{run.pk} has already finished ({run.status}).")
    elif run.request_cancel():
        messages.success(request, f"Cancel requested for run #{run.pk}." if run.status == "running"
                         else f"Run #{run.pk} cancelled.")
    return redirect("ui:run-detail", pk=run.pk)


@require_POST
@needs(JOBS_WRITE)
def run_retry(request, pk: int):
    run = writable_or_404(JobRun.objects.select_related("template"), request.user, pk)
    try:
        retry = dispatch.retry_failed_devices(run, user=request.user)
    except JobFailed as exc:
        messages.error(request, f"Cannot retry: {exc}.")
        return redirect("ui:run-detail", pk=run.pk)
    messages.success(request, f"Run #{retry.pk} retries the {len(retry.target_device_ids or [])} failed device(s).")
    return redirect("ui:run-detail", pk=retry.pk)


@needs(JOBS_READ)
def run_log(request, pk: int):
    """The whole log, a page of lines at a time (or as a plain-text download)."""
    run = _run(request, pk)
    level = request.GET.get("level", "")
    logs = run.logs.select_related("device").order_by("id")
    if level in LogLevel.values:
        logs = logs.filter(level=level)
    if request.GET.get("format") == "text":
        lines = (f"{line.ts:%Y-%m-%d %H:%M:%S}Z {line.level.upper():7} "
                 f"{(line.device.name + ': ') if line.device else ''}{line.message}\n"
                 for line in logs.iterator(chunk_size=2000))
        response = StreamingHttpResponse(lines, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.log"'
        return response
    after = _int(request.GET.get("after")) or 0
    lines = list(logs.filter(id__gt=after)[:LOG_PAGE + 1])
    return render(request, "ui/runs/log.html", {
        "run": run, "logs": lines[:LOG_PAGE], "next_after": lines[LOG_PAGE - 1].pk if len(lines) > LOG_PAGE else None,
        "level": level, "levels": LogLevel.values, "after": after,
    })
