"""Signals that audit every save and delete of the tracked models, from any entry point.

pre_save reads the stored row (the "before"), post_save writes the entry in the same transaction.
QuerySet.update() and bulk writes send no signals: the engine's hot writes (next_fire_at, heartbeats)
stay unaudited by design.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from netcron.audit import context
from netcron.audit.recorder import record
from netcron.audit.snapshot import Tracked, diff, snapshot

logger = logging.getLogger(__name__)

_registry: dict[type, Tracked] = {}
BEFORE = "_audit_before"
M2M_BEFORE = "_audit_m2m_before"


def _credential_secrets(credential) -> dict:
    try:
        return credential.get_secrets()
    except Exception:  # sealed under another key: the change is still recorded, secrets as unknown
        return {}


def _settings_values(row) -> dict:
    return row.effective().model_dump(mode="json")


def default_tracked() -> dict[str, Tracked]:
    from netcron.inventory.models import Credential

    return {
        "inventory.Device": Tracked("device", m2m=("tags",)),
        "inventory.Location": Tracked("location"),
        "inventory.Tag": Tracked("tag"),
        "inventory.Credential": Tracked("credential", exclude=frozenset({"secrets_sealed"}),
                                        secrets=Credential.SECRET_FIELDS, secret_loader=_credential_secrets),
        "jobs.JobTemplate": Tracked("template"),
        "jobs.JobSchedule": Tracked("schedule", exclude=frozenset({"next_fire_at", "last_fire_at", "skipped_count"})),
        "notifications.NotificationRule": Tracked("notification_rule"),
        "system.SystemSettings": Tracked("settings", custom=_settings_values),
    }


def tracked_for(model: type) -> Tracked | None:
    return _registry.get(model)


def track(model: type, tracked: Tracked) -> None:
    """Audit every save and delete of `model` (idempotent)."""
    _registry[model] = tracked
    uid = f"audit-{model._meta.label_lower}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre-save")
    post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post-save")
    pre_delete.connect(_pre_delete, sender=model, dispatch_uid=uid + "-pre-delete")
    post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "-post-delete")
    for name in tracked.m2m:
        through = model._meta.get_field(name).remote_field.through
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}-{name}-m2m")


def connect_all() -> None:
    for label, tracked in default_tracked().items():
        try:
            model = apps.get_model(label)
        except LookupError:  # an optional app that is not installed
            continue
        track(model, tracked)


@contextmanager
def grouped(instance) -> Iterator[None]:
    """One entry for everything the block does to `instance` (e.g. save, then set its tags)."""
    tracked = _registry[type(instance)]
    stored = type(instance)._base_manager.filter(pk=instance.pk).first() if instance.pk is not None else None
    before = snapshot(stored, tracked) if stored is not None else None
    with context.suppressed():
        yield
    if not context.current().enabled:
        return
    old, new = diff(before, snapshot(instance, tracked), tracked)
    if before is None:
        record("create", instance, object_type=tracked.object_type, after=new)
    elif old or new:
        record(context.current().action or "update", instance, object_type=tracked.object_type,
               before=old, after=new)


def _only_untracked_fields(update_fields, tracked: Tracked) -> bool:
    from netcron.audit.snapshot import ALWAYS_EXCLUDED

    return update_fields is not None and set(update_fields) <= (ALWAYS_EXCLUDED | tracked.exclude)


def _pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    tracked = _registry[sender]
    if raw or not context.current().enabled or instance.pk is None or _only_untracked_fields(update_fields, tracked):
        return
    stored = sender._base_manager.filter(pk=instance.pk).first()
    if stored is not None:
        instance.__dict__[BEFORE] = snapshot(stored, tracked)


def _post_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    tracked = _registry[sender]
    before = instance.__dict__.pop(BEFORE, None)
    if raw or not context.current().enabled or (not created and before is None):
        return
    after = snapshot(instance, tracked, with_m2m=not created)
    if created or before is None:
        _, shown = diff(None, after, tracked)
        record("create", instance, object_type=tracked.object_type, after=shown)
        return
    old, new = diff(before, after, tracked)
    if old or new:
        record(context.current().action or "update", instance, object_type=tracked.object_type,
               before=old, after=new)


def _pre_delete(sender, instance, **kwargs):
    if context.current().enabled:
        instance.__dict__[BEFORE] = snapshot(instance, _registry[sender])


def _post_delete(sender, instance, **kwargs):
    tracked = _registry[sender]
    before = instance.__dict__.pop(BEFORE, None)
    if before is None or not context.current().enabled:
        return
    shown, _ = diff(before, None, tracked)
    record("delete", instance, object_type=tracked.object_type, before=shown)


def _m2m_changed(sender, instance, action, reverse, **kwargs):
    # Changes made from the other side (tag.devices.add(...)) are not recorded on each device.
    tracked = _registry.get(type(instance))
    if reverse or tracked is None or not context.current().enabled:
        return
    field = next((n for n in tracked.m2m if getattr(type(instance), n).through is sender), None)
    if field is None:
        return
    names = sorted(str(o) for o in getattr(instance, field).all())
    if action.startswith("pre_"):
        instance.__dict__.setdefault(M2M_BEFORE, {})[field] = names
    elif action.startswith("post_"):
        before = instance.__dict__.get(M2M_BEFORE, {}).pop(field, None)
        if before is not None and before != names:
            record(context.current().action or "update", instance, object_type=tracked.object_type,
                   before={field: before}, after={field: names})
