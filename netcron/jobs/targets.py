"""Resolve a template's target selection to the devices a run will touch."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from netcron.inventory.models import Device

TARGET_KEYS = ("all", "devices", "tags", "locations", "roles", "platforms")


def resolve_targets(targets: dict | None) -> QuerySet[Device]:
    """Active devices selected by `targets`.

    Explicit `devices` (ids or names) are always included; the filter fields (`tags`, `locations`,
    `roles`, `platforms`) each match any of their values and must all match together; `all: true`
    selects every active device. An empty selection selects nothing — never everything.
    """
    targets = targets or {}
    devices = Device.objects.filter(is_active=True)
    if targets.get("all"):
        return devices.order_by("name")
    explicit = Q(pk__in=[])
    named = [str(d) for d in targets.get("devices") or []]
    if named:
        ids = [int(d) for d in named if d.isascii() and d.isdigit() and len(d) <= 18]
        explicit = Q(pk__in=ids) | Q(name__in=named)
    filters = Q()
    has_filter = False
    for key, lookup in (("tags", "tags__name__in"), ("locations", "location__name__in"),
                        ("roles", "role__in"), ("platforms", "platform__in")):
        values = targets.get(key) or []
        if values:
            has_filter = True
            filters &= Q(**{lookup: values})
    selection = explicit | filters if has_filter else explicit
    return devices.filter(selection).distinct().order_by("name")
