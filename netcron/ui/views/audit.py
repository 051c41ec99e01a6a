"""The audit log page: filterable, paginated, read-only (superusers and audit:view_auditentry)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.core.paginator import Paginator
from django.shortcuts import render

from netcron.audit.models import AuditEntry
from netcron.ui.views.common import needs

VIEW_AUDIT = "audit.view_auditentry"
PAGE_SIZE = 50
ACTIONS = ["create", "update", "delete", "run", "execute", "cancel", "retry", "toggle"]
OBJECT_TYPES = ["credential", "device", "location", "notification_rule", "run", "schedule", "settings", "tag",
                "template"]


def _day(raw: str) -> datetime | None:
    try:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


@needs(VIEW_AUDIT)
def audit_list(request):
    get = request.GET
    filters = {name: get.get(name, "").strip() for name in ("actor", "action", "object_type", "object_id",
                                                             "since", "until")}
    qs = AuditEntry.objects.all()
    if filters["actor"]:
        qs = qs.filter(actor_name=filters["actor"])
    if filters["action"] in ACTIONS:
        qs = qs.filter(action=filters["action"])
    if filters["object_type"]:
        qs = qs.filter(object_type=filters["object_type"])
    if filters["object_id"]:
        qs = qs.filter(object_id=filters["object_id"])
    if since := _day(filters["since"]):
        qs = qs.filter(ts__gte=since)
    if until := _day(filters["until"]):
        qs = qs.filter(ts__lt=until + timedelta(days=1))  # the whole "until" day
    page = Paginator(qs, PAGE_SIZE).get_page(get.get("page"))
    for entry in page:
        entry.rows = changes(entry)
    return render(request, "ui/audit/list.html", {
        "page": page, "filters": filters, "actions": ACTIONS, "object_types": OBJECT_TYPES,
        "filtered": any(filters.values()),
    })


def _text(value) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) as short text, for the table."""
    before, after = entry.before or {}, entry.after or {}
    rows = [(name, _text(before.get(name)) if entry.before is not None else "",
             _text(after.get(name)) if entry.after is not None else "") for name in entry.changed_fields()]
    rows += [(name, "", _text(value)) for name, value in sorted(entry.details.items())]
    return [(name, old[:200], new[:200]) for name, old, new in rows]
