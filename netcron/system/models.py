from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection, models
from pydantic import ValidationError

from netcron.system import spec

logger = logging.getLogger(__name__)

# Every process (web, scheduler, workers) re-reads the row at most this often, so a change applies
# everywhere within a few seconds and never needs a restart. The writing process sees it at once.
CACHE_SECONDS = 5.0
_clock = time.monotonic
_cache: tuple[float, dict] | None = None


class SystemSettings(models.Model):
    """The one row of run-time settings; `values` holds only what an administrator set (see spec.py)."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    values = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "system settings"
        permissions = [("change_settings", "Can change system settings (system:change_settings)")]

    def __str__(self) -> str:
        return "System settings"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)
        invalidate()

    @classmethod
    def load(cls) -> SystemSettings:
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(pk=cls.SINGLETON_ID)

    def effective(self) -> spec.SettingsSpec:
        return effective(self.values)

    def change(self, changes: dict, user=None) -> spec.SettingsSpec:
        """Set the given settings (None resets one to its default) and save; pydantic errors name the field."""
        values = {**self.values}
        for name, value in changes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
        checked = spec.build(values)  # raises ValidationError naming the field
        # Store the validated form (e.g. a normalised zone name), only for the names that were set.
        dumped = checked.model_dump(mode="json")
        self.values = {name: dumped[name] for name in values}
        self.updated_by = user if user is not None and user.is_authenticated else None
        self.save()
        return checked


def effective(values: dict) -> spec.SettingsSpec:
    """Build the settings; a stored value a newer version no longer accepts falls back to its default."""
    try:
        return spec.build(values)
    except ValidationError as exc:
        bad = {e["loc"][0] for e in exc.errors() if e.get("loc")}
        logger.error("ignoring invalid stored system setting(s): %s", ", ".join(map(str, sorted(bad))))
        return spec.build({k: v for k, v in values.items() if k not in bad})


def invalidate() -> None:
    global _cache
    _cache = None


def _in_transaction() -> bool:
    return connection.in_atomic_block


def current() -> spec.SettingsSpec:
    """The settings in force now: stored values re-read at most every CACHE_SECONDS, defaults on each call.

    Inside a transaction the row is read fresh and not cached: what a transaction sees may be rolled back.
    """
    global _cache
    if _in_transaction():
        return effective(_stored_values())
    now = _clock()
    if _cache is None or _cache[0] <= now:
        _cache = (now + CACHE_SECONDS, _stored_values())
    return effective(_cache[1])


def _stored_values() -> dict:
    row = SystemSettings.objects.filter(pk=SystemSettings.SINGLETON_ID).values_list("values", flat=True).first()
    return dict(row or {})


def stored() -> dict:
    """The values an administrator set (uncached)."""
    return dict(SystemSettings.load().values)

