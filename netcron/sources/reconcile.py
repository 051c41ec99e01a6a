"""Compare what netcron wants a monitoring system to hold with what it holds. Pure functions, no I/O.

netcron's inventory is the source of truth. Each monitored object is a Record: a name, a folder
(CheckMK only) and the fields netcron manages. Fields netcron does not manage are never compared,
and of `labels` only the keys under netcron's prefix are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

IN_SYNC = "in_sync"
DIFFERENT = "different"
MISSING_IN_MONITORING = "missing_in_monitoring"
MISSING_IN_SOURCE = "missing_in_source"
STATUSES = (IN_SYNC, DIFFERENT, MISSING_IN_MONITORING, MISSING_IN_SOURCE)


@dataclass
class Record:
    name: str
    folder: str = ""
    fields: dict = field(default_factory=dict)
    device_id: int | None = None
    location: str = ""
    folder_titles: dict[str, str] = field(default_factory=dict)


@dataclass
class Item:
    """One row of a comparison: a device, a monitored object, or both."""

    name: str
    status: str
    diff: dict = field(default_factory=dict)
    desired: Record | None = None
    actual: Record | None = None

    @property
    def device_id(self) -> int | None:
        return self.desired.device_id if self.desired else None

    @property
    def location(self) -> str:
        return self.desired.location if self.desired else ""

    def summary(self) -> str:
        if self.status == IN_SYNC:
            return "in sync"
        if self.status == MISSING_IN_MONITORING:
            return "missing in monitoring"
        if self.status == MISSING_IN_SOURCE:
            return "in monitoring but not in netcron"
        return "; ".join(f"{key}: {_show(d['monitoring'])} → {_show(d['source'])}" for key, d in self.diff.items())


def _show(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={v}" for k, v in sorted(value.items())) + "}"
    return "(none)" if value in (None, "") else str(value)


def managed_labels(labels: dict | None, prefix: str | None) -> dict:
    labels = labels or {}
    return dict(labels) if prefix is None else {k: v for k, v in labels.items() if k.startswith(prefix)}


def diff(desired: Record, actual: Record, label_prefix: str | None) -> dict:
    """{field: {"source": wanted, "monitoring": found}} for each managed field that differs."""
    changes = {}
    if desired.folder and desired.folder != actual.folder:
        changes["folder"] = {"source": desired.folder, "monitoring": actual.folder}
    for key, wanted in desired.fields.items():
        found = actual.fields.get(key)
        if key == "labels":
            found = managed_labels(found, label_prefix)
        if wanted != found:
            changes[key] = {"source": wanted, "monitoring": found}
    return changes


def reconcile(desired: list[Record], actual: dict[str, Record], *, active_names: set[str],
              in_scope: Callable[[Record], bool], label_prefix: str | None) -> list[Item]:
    """Items for every desired record, plus monitored objects in scope that no active device explains.

    Objects named like an active device outside this job's targets are out of scope, never "missing".
    """
    items = []
    for record in desired:
        found = actual.get(record.name)
        if found is None:
            items.append(Item(record.name, MISSING_IN_MONITORING, desired=record))
            continue
        changes = diff(record, found, label_prefix)
        items.append(Item(record.name, DIFFERENT if changes else IN_SYNC, changes, record, found))
    wanted = {record.name for record in desired}
    for name, found in sorted(actual.items()):
        if name not in wanted and name not in active_names and in_scope(found):
            items.append(Item(name, MISSING_IN_SOURCE, actual=found))
    return items


def counts(items: list[Item]) -> dict[str, int]:
    result = dict.fromkeys(STATUSES, 0)
    for item in items:
        result[item.status] += 1
    return result
