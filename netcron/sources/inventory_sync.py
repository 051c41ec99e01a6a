"""Bring netcron's inventory in line with a source of truth: create, update, deactivate — never delete.

Devices are matched by (source, external_id) first, then by name (adopting a device imported
another way). Writes are bulk statements in one transaction, so 10k devices take seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from netcron.inventory.models import Credential, Device, Location, Tag
from netcron.sources.dcim import SourceDevice
from netcron.sources.platforms import PlatformMapper

FIELDS = ("name", "host", "platform", "role", "location_id", "serial", "description", "custom_fields",
          "source", "external_id", "is_active")
SAMPLE = 20  # device names kept per skip reason in the run result
CHUNK = 500  # ids per IN (...) list: well below every backend's parameter limit


@dataclass
class InventoryReport:
    fetched: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str, name: str) -> None:
        self.skipped.setdefault(reason, []).append(name or "(unnamed)")

    def as_result(self) -> dict:
        return {
            "fetched": self.fetched, "created": len(self.created), "updated": len(self.updated),
            "unchanged": self.unchanged, "deactivated": len(self.deactivated),
            "skipped": sum(len(v) for v in self.skipped.values()),
            "skipped_reasons": {reason: {"count": len(names), "devices": names[:SAMPLE]}
                                for reason, names in sorted(self.skipped.items())},
            "warnings": self.warnings,
        }


@dataclass
class SyncOptions:
    source_name: str
    mapper: PlatformMapper
    without_primary_ip: str = "skip"  # or "use_name"
    custom_fields: list[str] | None = None  # None: all
    deactivate_missing: bool = True
    device_credential: Credential | None = None


def desired_fields(record: SourceDevice, options: SyncOptions, report: InventoryReport) -> dict | None:
    """The device's netcron fields, or None (with the reason recorded) when it cannot be imported."""
    if not record.name:
        report.skip("no name", record.external_id)
        return None
    if len(record.name) > 100:
        report.skip("name longer than 100 characters", record.name[:100])
        return None
    platform = options.mapper.resolve(*record.platform_candidates)
    if platform is None:
        reason = f"unknown platform {record.platform_label!r}" if record.platform_label else "no platform"
        report.skip(reason, record.name)
        return None
    host = record.address or (record.name if options.without_primary_ip == "use_name" else "")
    if not host:
        report.skip("no primary IP", record.name)
        return None
    custom = record.custom_fields
    if options.custom_fields is not None:
        custom = {k: v for k, v in custom.items() if k in options.custom_fields}
    return {"name": record.name, "host": host[:255], "platform": platform, "role": record.role[:50],
            "location": record.location[:100], "serial": record.serial[:100],
            "description": record.description[:200], "custom_fields": custom, "tags": record.tags,
            "source": options.source_name, "external_id": record.external_id[:100], "is_active": True}


def sync_inventory(records: Iterable[SourceDevice], options: SyncOptions) -> InventoryReport:
    report = InventoryReport()
    wanted: dict[str, dict] = {}
    seen_external: set[str] = set()
    for record in records:
        report.fetched += 1
        if record.name in wanted:
            report.skip("duplicate name in the source", record.name)
            continue
        if record.external_id:
            seen_external.add(record.external_id)
        fields = desired_fields(record, options, report)
        if fields is not None:
            wanted[record.name] = fields
    with transaction.atomic():
        _apply(wanted, options, report, seen_external)
    return report


def _apply(wanted: dict[str, dict], options: SyncOptions, report: InventoryReport, seen_external: set[str]) -> None:
    by_external = {d.external_id: d for d in Device.objects.filter(source=options.source_name).exclude(external_id="")}
    by_name = {d.name: d for d in Device.objects.all()}
    locations = _ensure(Location, {f["location"] for f in wanted.values() if f["location"]})
    tags = _ensure(Tag, {t for f in wanted.values() for t in f["tags"]})
    now = timezone.now()
    new, changed, tag_plan = [], [], {}
    for name, fields in wanted.items():
        values = {**fields, "location_id": locations[fields["location"]].pk if fields["location"] else None}
        device = by_external.get(fields["external_id"]) or by_name.get(name)
        if device is not None and by_name.get(name, device).pk != device.pk:
            report.skip("name already used by another device", name)
            continue
        if device is None:
            device = Device(**{k: values[k] for k in FIELDS}, credential=options.device_credential,
                            created_at=now, updated_at=now)
            new.append(device)
            report.created.append(name)
        elif any(getattr(device, k) != values[k] for k in FIELDS):
            for k in FIELDS:
                setattr(device, k, values[k])
            device.updated_at = now
            changed.append(device)
            report.updated.append(name)
        tag_plan[name] = {tags[t].pk for t in fields["tags"]}
    Device.objects.bulk_create(new, batch_size=CHUNK)
    Device.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=CHUNK)
    ids = dict(Device.objects.values_list("name", "pk"))
    names = {pk: name for name, pk in ids.items()}
    tags_changed = {names[pk] for pk in _set_tags({ids[n]: t for n, t in tag_plan.items()})}
    for name in sorted(tags_changed - set(report.created) - set(report.updated)):
        report.updated.append(name)
    report.unchanged = len(tag_plan) - len(report.created) - len(report.updated)
    if options.deactivate_missing:
        _deactivate(options, report, seen_external, set(wanted))


def _deactivate(options: SyncOptions, report: InventoryReport, seen_external: set[str], names: set[str]) -> None:
    if report.fetched == 0:
        report.warnings.append("the source returned no devices; nothing deactivated (check the filters)")
        return
    active = Device.objects.filter(source=options.source_name, is_active=True)
    gone = {pk: name for pk, external_id, name in active.values_list("pk", "external_id", "name")
            if external_id not in seen_external and name not in names}
    report.deactivated = sorted(gone.values())
    now = timezone.now()
    for part in chunks(list(gone), CHUNK):
        Device.objects.filter(pk__in=part).update(is_active=False, updated_at=now)


def _ensure(model, names: set[str]) -> dict:
    """name → row for every name, creating the missing rows."""
    existing = {obj.name: obj for obj in model.objects.filter(name__in=names)}
    missing = [model(name=n) for n in sorted(names - set(existing))]
    model.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        existing = {obj.name: obj for obj in model.objects.filter(name__in=names)}
    return existing


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _set_tags(plan: dict[int, set[int]]) -> set[int]:
    """Make each device's tags exactly the planned set; returns the ids of devices whose tags changed."""
    through = Device.tags.through
    current: dict[int, set[int]] = {device_id: set() for device_id in plan}
    drop, by_pair = [], {}
    for part in chunks(list(plan), CHUNK):
        for pk, device_id, tag_id in through.objects.filter(device_id__in=part).values_list("pk", "device_id",
                                                                                              "tag_id"):
            current[device_id].add(tag_id)
            by_pair[(device_id, tag_id)] = pk
    add, touched = [], set()
    for device_id, wanted in plan.items():
        for tag_id in wanted - current[device_id]:
            add.append(through(device_id=device_id, tag_id=tag_id))
            touched.add(device_id)
        for tag_id in current[device_id] - wanted:
            drop.append(by_pair[(device_id, tag_id)])
            touched.add(device_id)
    for part in chunks(drop, CHUNK):
        through.objects.filter(pk__in=part).delete()
    through.objects.bulk_create(add, batch_size=CHUNK)
    return touched
