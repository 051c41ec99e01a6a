"""Compare devices: netcron's inventory (the source of truth) against monitoring, as the newest
compare_devices run the user may see found it (the same rows as GET /api/job-runs/dashboard/compare-devices)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from netcron.jobs.models import JobRun, JobTemplate
from netcron.monitoring.models import Comparison
from netcron.sources.reconcile import STATUSES
from netcron.ui.views.common import JOBS_READ, can_write, needs

PAGE_SIZE = 100
RECENT = 10
MAX_ID = 2**63 - 1


def _run_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdecimal() and 0 < int(raw) <= MAX_ID else None


@needs(JOBS_READ)
def compare_dashboard(request):
    user = request.user
    comparisons = Comparison.objects.filter(run__in=JobRun.objects.visible_to(user)).order_by("-created_at", "-id")
    run_id = _run_id(request.GET.get("run"))
    if request.GET.get("run") and run_id is None:
        raise Http404("not a run id")
    comparison = (comparisons.filter(run_id=run_id) if run_id else comparisons).select_related("run").first()
    if comparison is None and run_id:
        raise Http404(f"run {run_id} has no comparison")
    status, device, location = request.GET.get("status", ""), request.GET.get("device", "").strip(), \
        request.GET.get("location", "")
    context = {
        "comparison": comparison, "statuses": STATUSES, "status": status, "device": device, "location": location,
        "recent": comparisons.only("id", "run_id", "created_at", "target")[:RECENT],
        "templates": [t for t in JobTemplate.objects.visible_to(user).filter(job_type="compare_devices")
                      .order_by("name") if can_write(user, t)],
    }
    if comparison is not None:
        rows = comparison.rows.all()
        if status in STATUSES:
            rows = rows.filter(status=status)
        if device:
            rows = rows.filter(name__icontains=device)
        if location:
            rows = rows.filter(location=location)
        context["page"] = Paginator(rows.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
        context["locations"] = (comparison.rows.exclude(location="").order_by("location")
                                .values_list("location", flat=True).distinct())
        context["counts"] = [(s, getattr(comparison, s)) for s in STATUSES]
    return render(request, "ui/compare/page.html", context)
