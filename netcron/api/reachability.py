"""Reachability read API: per-device history (bucketed), fleet summary, state-change events, discoveries.

Mounted at the API root (paths carry their own prefixes). Every endpoint needs inventory:read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from netcron.api.auth import INVENTORY_READ, require
from netcron.api.common import Page, aware, checked_id, get_or_404, iso, paginate, split_ints, split_values
from netcron.inventory.models import Device, DeviceRuntimeStatus
from netcron.reachability import history
from netcron.reachability.metrics import state_counts
from netcron.reachability.models import STATES, DiscoveredAddress, StateChange

router = Router(tags=["reachability"])
CHECK_TYPES = ["overall", "ping", "tcp", "snmp", "ssh", "netconf"]
DEFAULT_RANGE = timedelta(hours=24)


class HistoryQuery(Schema):
    start: datetime | None = Field(None, alias="from", description="Default: `to` minus 24 hours")
    end: datetime | None = Field(None, alias="to", description="Default: now")
    check_type: str = Field("overall", description=f"One of {', '.join(CHECK_TYPES)}")
    max_points: int = Field(history.MAX_POINTS, ge=10, le=5000)


@router.get("/devices/{device_id}/reachability", summary="Reachability history of a device")
def device_history(request, device_id: int, query: Query[HistoryQuery]):
    require(request, INVENTORY_READ)
    device = get_or_404(Device, checked_id("device_id", device_id), "device")
    if query.check_type not in CHECK_TYPES:
        raise HttpError(422, f"check_type: unknown value {query.check_type!r}; allowed: {', '.join(CHECK_TYPES)}")
    end = aware(query.end) or timezone.now()
    start = aware(query.start) or end - DEFAULT_RANGE
    if start >= end:
        raise HttpError(422, "from: must be before to")
    data = history.points(device.pk, start, end, check_type=query.check_type, max_points=query.max_points)
    return {"device_id": device.pk, "device": device.name, "from": iso(start), "to": iso(end),
            "check_type": query.check_type, **data}


@router.get("/reachability/summary", summary="Devices per state, overall and per location")
def summary(request):
    require(request, INVENTORY_READ)
    active = Device.objects.filter(is_active=True)
    places: dict[str | None, dict[str, int]] = {}
    for row in active.order_by().values("location__name", "runtime_status__state").annotate(n=Count("id")):
        counts = places.setdefault(row["location__name"], dict.fromkeys(STATES, 0))
        counts[row["runtime_status__state"] or "unknown"] += row["n"]
    by_location = [{"location": name, "total": sum(c.values()), "counts": c}
                   for name, c in sorted(places.items(), key=lambda item: (item[0] is None, item[0] or ""))]
    counts = state_counts(active)
    last = DeviceRuntimeStatus.objects.filter(device__is_active=True).aggregate(at=Max("last_check_at"))["at"]
    return {"total": sum(counts.values()), "counts": counts, "by_location": by_location, "last_check_at": iso(last)}


def event_out(e: StateChange) -> dict:
    return {"id": e.pk, "device_id": e.device_id, "device": e.device_name, "run_id": e.run_id, "at": iso(e.at),
            "old_state": e.old_state, "new_state": e.new_state, "reason": e.reason,
            "notify_status": e.notify_status, "notify_attempts": e.notify_attempts, "notify_error": e.notify_error}


@router.get("/reachability/events", response=Page, summary="State changes, newest first")
def events(request, device_id: str | None = None, new_state: str | None = None, old_state: str | None = None,
           run_id: int | None = None, start: datetime | None = Query(None, alias="from"),
           end: datetime | None = Query(None, alias="to"), page: int = 1, page_size: int = 50):
    require(request, INVENTORY_READ)
    qs = StateChange.objects.all()
    if ids := split_ints("device_id", device_id):
        qs = qs.filter(device_id__in=ids)
    if states := split_values("new_state", new_state, STATES):
        qs = qs.filter(new_state__in=states)
    if states := split_values("old_state", old_state, STATES):
        qs = qs.filter(old_state__in=states)
    if run_id is not None:
        qs = qs.filter(run_id=checked_id("run_id", run_id))
    if start is not None:
        qs = qs.filter(at__gte=aware(start))
    if end is not None:
        qs = qs.filter(at__lt=aware(end))
    return paginate(qs.order_by("-at", "-id"), page, page_size, event_out)


def discovered_out(d: DiscoveredAddress) -> dict:
    return {"address": d.address, "prefix": d.prefix, "dns_name": d.dns_name, "open_ports": d.open_ports,
            "first_seen": iso(d.first_seen), "last_seen": iso(d.last_seen), "last_latency_ms": d.last_latency_ms,
            "last_run_id": d.last_run_id, "device_id": d.device_id}


@router.get("/reachability/discovered", response=Page, summary="Addresses prefix scans found alive")
def discovered(request, prefix: str | None = None, seen_since: datetime | None = None, page: int = 1,
               page_size: int = 100):
    require(request, INVENTORY_READ)
    qs = DiscoveredAddress.objects.all()
    if prefix:
        qs = qs.filter(prefix=prefix)
    if seen_since is not None:
        qs = qs.filter(last_seen__gte=aware(seen_since))
    return paginate(qs.order_by("address"), page, page_size, discovered_out)
