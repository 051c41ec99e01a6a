"""The dashboard: what ran, what runs, what failed, what fires next, who works, what is reachable."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.shortcuts import render
from django.utils import timezone

from netcron.inventory.models import Device, DeviceRuntimeStatus
from netcron.jobs.choices import RunStatus
from netcron.jobs.models import JobRun, JobSchedule, WorkerHeartbeat
from netcron.jobs.queues import queue_lengths
from netcron.ui.views.common import INVENTORY_READ, JOBS_READ, login_only, needs

ACTIVE_LIMIT = 20
STATES = [s for s, _ in DeviceRuntimeStatus.STATES]


def runs_by_hour(user, now) -> dict:
    """Counts per status for each of the last 24 hours (the current one included), for the chart."""
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    rows = (JobRun.objects.visible_to(user).filter(queued_at__gte=first, queued_at__lte=now).order_by()
            .annotate(hour=TruncHour("queued_at")).values("hour", "status").annotate(n=Count("id")))
    hours = [first + timedelta(hours=i) for i in range(24)]
    index = {h: i for i, h in enumerate(hours)}
    series = {status: [0] * 24 for status in RunStatus.values}
    for row in rows:
        i = index.get(row["hour"])
        if i is not None and row["status"] in series:
            series[row["status"]][i] += row["n"]
    return {"hours": [int(h.timestamp()) for h in hours], "series": series,
            "totals": {status: sum(values) for status, values in series.items()}}


def active_runs(user):
    return (JobRun.objects.visible_to(user).filter(status__in=RunStatus.active())
            .only("id", "job_name", "job_type", "status", "queue", "queued_at", "started_at", "progress_done",
                  "progress_total", "executed_by", "cancel_requested")
            .order_by("-id")[:ACTIVE_LIMIT])


def reachability() -> dict:
    counts = dict.fromkeys(STATES, 0)
    for row in (DeviceRuntimeStatus.objects.filter(device__is_active=True).order_by().values("state")
                .annotate(n=Count("id"))):
        counts[row["state"]] = row["n"]
    counts["unknown"] += Device.objects.filter(is_active=True, runtime_status__isnull=True).count()
    return {"counts": counts, "total": sum(counts.values())}


@login_only
def dashboard(request):
    user, now = request.user, timezone.now()
    context: dict = {"can_jobs": user.has_perm(JOBS_READ), "can_inventory": user.has_perm(INVENTORY_READ)}
    if context["can_jobs"]:
        since = now - timedelta(hours=24)
        context.update(
            chart=runs_by_hour(user, now),
            active=active_runs(user),
            attention=(JobRun.objects.visible_to(user).filter(queued_at__gte=since)
                       .filter(Q(status=RunStatus.FAILED) | Q(count_failed__gt=0))
                       .only("id", "job_name", "status", "queued_at", "finished_at", "count_failed", "error")
                       .order_by("-id")[:10]),
            next_fires=(JobSchedule.objects.visible_to(user).filter(is_active=True, next_fire_at__isnull=False)
                        .select_related("template").order_by("next_fire_at")[:10]),
        )
    if context["can_inventory"]:
        context["reachability"] = reachability()
    return render(request, "ui/dashboard/page.html", context)


@needs(JOBS_READ)
def active_partial(request):
    """Running and pending runs; polled by the dashboard."""
    return render(request, "ui/dashboard/_active.html", {"active": active_runs(request.user)})


@needs(JOBS_READ)
def workers_partial(request):
    """Workers and queue lengths; loaded after the page because asking the broker can be slow."""
    now = timezone.now()
    workers = [(w, w.is_alive(now)) for w in WorkerHeartbeat.objects.all()]
    return render(request, "ui/dashboard/_workers.html", {"workers": workers, "queues": queue_lengths()})
