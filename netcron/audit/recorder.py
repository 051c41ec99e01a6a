"""record(): write one audit entry for the current actor (see context.py)."""

from __future__ import annotations

import ipaddress
import logging

from netcron.audit import context
from netcron.audit.snapshot import mask_nested

logger = logging.getLogger(__name__)


def object_type_of(obj) -> str:
    from netcron.audit.tracking import tracked_for

    tracked = tracked_for(type(obj))
    return tracked.object_type if tracked else obj._meta.model_name


def record(action: str, obj=None, *, object_type: str = "", object_id: str | int = "", object_repr: str = "",
           before: dict | None = None, after: dict | None = None, details: dict | None = None):
    """Append an entry (None when auditing is suppressed in this context). Runs in the caller's transaction."""
    from netcron.audit.models import AuditEntry

    actor = context.current()
    if not actor.enabled:
        return None
    user = actor.resolve_user()
    details = mask_nested(dict(details or {}))
    if actor.run_id is not None:
        details.setdefault("by_run", actor.run_id)
    request = actor.request
    remote = _address(request.META.get("REMOTE_ADDR")) if request is not None else None
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    return AuditEntry.objects.create(
        actor=user, actor_name=getattr(user, "username", "") if user is not None else "", via=actor.via,
        action=action, object_type=object_type, object_id=str(object_id or "")[:64],
        object_repr=str(object_repr)[:200], before=before, after=after, details=details,
        remote_addr=remote,
    )


def _address(value) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
