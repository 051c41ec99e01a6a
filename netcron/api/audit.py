"""The audit log, read-only: superusers and holders of audit:view_auditentry."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from ninja.errors import HttpError

from netcron.api.auth import require
from netcron.api.common import aware, get_or_404, iso, paginate, split_values
from netcron.audit.models import AuditEntry

router = Router(tags=["audit"])
VIEW_AUDIT = "audit.view_auditentry"


class AuditEntryOut(Schema):
    id: int
    ts: str
    actor: str | None
    via: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict | None
    after: dict | None
    details: dict
    remote_addr: str | None


def entry_out(entry: AuditEntry) -> dict:
    return {
        "id": entry.pk, "ts": iso(entry.ts), "actor": entry.actor_name or None, "via": entry.via,
        "action": entry.action, "object_type": entry.object_type, "object_id": entry.object_id,
        "object_repr": entry.object_repr, "before": entry.before, "after": entry.after, "details": entry.details,
        "remote_addr": entry.remote_addr,
    }


def filtered(actor: str | None = None, action: str | None = None, object_type: str | None = None,
             object_id: str | None = None, since: datetime | None = None, until: datetime | None = None):
    """Entries matching the filters (comma-separated values; actor is a user name)."""
    qs = AuditEntry.objects.all()
    if values := split_values("actor", actor):
        qs = qs.filter(actor_name__in=values)
    if values := split_values("action", action):
        qs = qs.filter(action__in=values)
    if values := split_values("object_type", object_type):
        qs = qs.filter(object_type__in=values)
    if values := split_values("object_id", object_id):
        qs = qs.filter(object_id__in=values)
    if since is not None and until is not None and aware(since) >= aware(until):
        raise HttpError(422, "until: must be after since")
    if since is not None:
        qs = qs.filter(ts__gte=aware(since))
    if until is not None:
        qs = qs.filter(ts__lt=aware(until))
    return qs


@router.get("", summary="Audit entries, newest first",
            description="Filters: actor (user names), action, object_type, object_id (comma-separated), "
                        "since/until (ISO times; naive ones are UTC).")
def list_entries(request, actor: str | None = None, action: str | None = None, object_type: str | None = None,
                 object_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
                 page: int = 1, page_size: int = 100):
    require(request, VIEW_AUDIT)
    qs = filtered(actor, action, object_type, object_id, since, until).select_related(None)
    return paginate(qs, page, page_size, entry_out)


@router.get("/{entry_id}", response=AuditEntryOut)
def get_entry(request, entry_id: int):
    require(request, VIEW_AUDIT)
    return entry_out(get_or_404(AuditEntry, entry_id, "audit entry"))
