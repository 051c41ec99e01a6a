from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditImmutable(Exception):
    """Audit entries are append-only: they are never changed or deleted one by one."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("audit entries cannot be changed")

    def delete(self):
        raise AuditImmutable("audit entries cannot be deleted (only the retention setting purges old ones)")

    def purge_before(self, cutoff) -> int:
        """Delete entries older than `cutoff`: the retention job's one way to remove entries."""
        return models.QuerySet.delete(self.filter(ts__lt=cutoff))[0]


class AuditEntry(models.Model):
    """Who did what to which object, when, and how it looked before and after (secrets redacted)."""

    ts = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True, default="",
                                  help_text="Kept when the user is deleted; empty for the system")
    via = models.CharField(max_length=10, help_text="api, ui, admin, cli, run or system")
    action = models.CharField(max_length=20)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(max_length=200, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["object_type", "object_id", "-id"], name="audit_object_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ts:%Y-%m-%d %H:%M:%S} {self.actor_name or self.via} {self.action} {self.object_type} " \
               f"{self.object_repr or self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("audit entries cannot be deleted")

    def changed_fields(self) -> list[str]:
        return sorted(set(self.before or {}) | set(self.after or {}))
