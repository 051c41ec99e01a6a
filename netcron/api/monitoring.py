"""Monitoring: the latest device comparison (dashboard) and Prometheus HTTP service discovery.

Mount: `api.add_router("/job-runs/dashboard", monitoring.router)` and
`api.add_router("/monitoring", monitoring.sd_router)`.
"""

from __future__ import annotations

from ninja import Router
from ninja.errors import HttpError

from netcron.api.auth import INVENTORY_READ, JOBS_READ, require, user_of
from netcron.api.common import checked_id, iso, paginate, split_values
from netcron.api.openapi import ErrorOut
from netcron.jobs.models import JobRun
from netcron.monitoring.models import Comparison, ComparisonRow
from netcron.sources.reconcile import STATUSES

router = Router(tags=["monitoring"])
sd_router = Router(tags=["monitoring"])


def comparison_out(comparison: Comparison) -> dict:
    return {"id": comparison.pk, "run_id": comparison.run_id, "target": comparison.target,
            "target_name": comparison.target_name, "created_at": iso(comparison.created_at),
            "counts": comparison.counts}


def row_out(row: ComparisonRow) -> dict:
    return {"name": row.name, "device_id": row.device_id, "status": row.status, "location": row.location,
            "summary": row.summary, "diff": row.diff}


@router.get("/compare-devices", response={200: dict, 404: ErrorOut},
            summary="The latest comparison of devices with monitoring",
            description="Rows of the newest compare_devices run you may see (or of `run_id`). Filters: `status` "
                        "(comma-separated: in_sync, different, missing_in_monitoring, missing_in_source), `device` "
                        "(part of the name), `location` (comma-separated names).")
def compare_devices(request, status: str | None = None, device: str = "", location: str | None = None,
                    run_id: int | None = None, page: int = 1, page_size: int = 100):
    require(request, JOBS_READ)
    statuses = split_values("status", status, list(STATUSES))  # checked first: bogus values are a 422 always
    locations = split_values("location", location)
    comparisons = Comparison.objects.filter(run__in=JobRun.objects.visible_to(user_of(request)))
    if run_id is not None:
        comparisons = comparisons.filter(run_id=checked_id("run_id", run_id))
    comparison = comparisons.order_by("-created_at", "-id").first()
    if comparison is None:
        if run_id is not None:
            raise HttpError(404, f"run {run_id} has no comparison")
        return {"comparison": None, **paginate(ComparisonRow.objects.none(), page, page_size, row_out)}
    rows = comparison.rows.all()
    if statuses:
        rows = rows.filter(status__in=statuses)
    if device.strip():
        rows = rows.filter(name__icontains=device.strip())
    if locations:
        rows = rows.filter(location__in=locations)
    return {"comparison": comparison_out(comparison), **paginate(rows, page, page_size, row_out)}


@sd_router.get("/prometheus-targets", summary="Prometheus HTTP service discovery",
               description="Active devices as `[{targets, labels}]` for an http_sd_configs entry (send an API token "
                           "as bearer). Filters take comma-separated values; `port` is appended to each target.")
def prometheus_targets(request, tags: str | None = None, locations: str | None = None, roles: str | None = None,
                       platforms: str | None = None, port: int | None = None):
    from netcron.jobs.targets import resolve_targets
    from netcron.sources.mapping import PrometheusMapping, location_chain
    from netcron.sources.monitors import device_context
    from netcron.sources.prometheus import group

    require(request, INVENTORY_READ)
    if port is not None and not 1 <= port <= 65535:
        raise HttpError(422, "port: must be between 1 and 65535")
    selection = {key: split_values(key, raw) for key, raw in
                 (("tags", tags), ("locations", locations), ("roles", roles), ("platforms", platforms))}
    selection = {k: v for k, v in selection.items() if v} or {"all": True}
    devices = list(resolve_targets(selection).select_related("location"))
    device_tags, parents = device_context(devices)
    mapping = PrometheusMapping(port)
    return [group(mapping.record(d, device_tags.get(d.pk, []), location_chain(d, parents))) for d in devices]
