"""The database index of backed-up configs: which commit holds which device's config, so one device's
history is a single indexed query and never a walk through the whole git history."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ConfigKind(models.TextChoices):
    RUNNING = "running"
    STARTUP = "startup"


class ConfigRepository(models.Model):
    """A git repository backups are written to (a local path, optionally a clone of a remote)."""

    path = models.CharField(max_length=500, unique=True, help_text="Local working copy on the backup worker")
    remote_url = models.CharField(max_length=500, blank=True, default="",
                                  help_text="Remote it is pushed to (without user info)")
    branch = models.CharField(max_length=100, default="main")
    push_credential = models.ForeignKey("inventory.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "config repositories"

    def __str__(self) -> str:
        return self.remote_url or self.path

    def store(self):
        """The GitStore for reading this repository (with the push credential when it has a remote)."""
        from netcron.configs.repos import store_for

        return store_for(self)


class ConfigVersion(models.Model):
    """One changed config of one device in one commit: a row per (device, kind) that changed."""

    repository = models.ForeignKey(ConfigRepository, on_delete=models.CASCADE, related_name="versions")
    device = models.ForeignKey("inventory.Device", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="config_versions")
    device_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ConfigKind.choices, default=ConfigKind.RUNNING)
    commit = models.CharField(max_length=40)
    path = models.CharField(max_length=500)
    committed_at = models.DateTimeField()
    run = models.ForeignKey("jobs.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_lines = models.PositiveIntegerField(default=0, help_text="Lines added plus lines removed")
    line_count = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)
    content_hash = models.CharField(max_length=40, help_text="Git blob id of the content")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "kind", "commit"], name="configversion_once_per_commit"),
        ]
        indexes = [
            models.Index(fields=["device", "kind", "-id"], name="configversion_history_idx"),
            models.Index(fields=["commit"], name="configversion_commit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.device_name} {self.kind} @ {self.commit[:10]}"

    @property
    def short_commit(self) -> str:
        return self.commit[:10]

    def content(self) -> bytes:
        """The config text as committed (read from git by blob id)."""
        return self.repository.store().read_blob(self.content_hash)

    def previous(self) -> ConfigVersion | None:
        """The version of the same device and kind before this one."""
        return (ConfigVersion.objects.filter(device_id=self.device_id, kind=self.kind, id__lt=self.id)
                .select_related("repository").order_by("-id").first())
