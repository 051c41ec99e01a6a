"""What a prefix scan writes: per-run results, the discovered-address table, and device create/tag actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from netcron.inventory.models import Device, Tag
from netcron.reachability.models import DiscoveredAddress, ScanResult


@dataclass
class Seen:
    address: str
    prefix: str
    alive: bool
    latency_ms: float | None = None
    dns_name: str = ""
    open_ports: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Action:
    kind: str  # report, create, tag
    tag: str = "discovered"
    platform: str = "linux"
    active: bool = False
    response_field: str = ""


def record_scan(run_id: int, seen: list[Seen], now: datetime, action: Action) -> dict[str, int]:
    """Store results, update first/last seen, then create or tag devices as ``action`` says."""
    alive = [s for s in seen if s.alive]
    devices = _devices_by_host([s.address for s in alive])
    counts = {"created": 0, "tagged": 0, "matched": len(devices)}
    if action.kind == "create":
        counts["created"] = _create(alive, devices, action)
    if action.kind in ("create", "tag") and devices:
        counts["tagged"] = _tag(list(devices.values()), action.tag)
    if action.response_field:
        _stamp(list(devices.values()), action.response_field, now)
    rows = [ScanResult(run_id=run_id, address=s.address, prefix=s.prefix, alive=s.alive, latency_ms=s.latency_ms,
                       dns_name=s.dns_name[:255], open_ports=s.open_ports,
                       device_id=devices[s.address].pk if s.address in devices else None) for s in seen]
    with transaction.atomic():
        ScanResult.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        counts["new_addresses"] = DiscoveredAddress.record_seen(rows, run_id, now)
    return counts


def _devices_by_host(addresses: list[str]) -> dict[str, Device]:
    found: dict[str, Device] = {}
    for i in range(0, len(addresses), 500):
        for device in Device.objects.filter(host__in=addresses[i:i + 500]).order_by("pk"):
            found.setdefault(device.host, device)
    return found


def _create(alive: list[Seen], devices: dict[str, Device], action: Action) -> int:
    created = 0
    for s in alive:
        if s.address in devices:
            continue
        for name in _names(s):
            try:
                with transaction.atomic():
                    device = Device.objects.create(name=name, host=s.address, platform=action.platform,
                                                   source="discovered", is_active=action.active,
                                                   description=f"found alive by a scan of {s.prefix}")
            except IntegrityError:
                continue  # the name is taken: try the next candidate
            devices[s.address] = device
            created += 1
            break
    return created


def _names(s: Seen) -> list[str]:
    base = f"discovered-{s.address.replace(':', '-')}"
    return [n for n in (s.dns_name.split(".")[0][:100] if s.dns_name else "", s.dns_name[:100], base) if n]


def _tag(devices: list[Device], name: str) -> int:
    tag = Tag.objects.get_or_create(name=name)[0]
    through = Device.tags.through
    have = set(through.objects.filter(tag=tag, device__in=devices).values_list("device_id", flat=True))
    fresh = [through(device_id=d.pk, tag_id=tag.pk) for d in devices if d.pk not in have]
    through.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _stamp(devices: list[Device], field_name: str, now: datetime) -> None:
    for device in devices:
        device.custom_fields = {**(device.custom_fields or {}), field_name: now.isoformat()}
        device.save(update_fields=["custom_fields", "updated_at"])
