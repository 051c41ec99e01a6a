"""What compare_devices found: one Comparison per run, one row per device or monitored host."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from netcron.sources.reconcile import STATUSES, Item, counts


class Comparison(models.Model):
    """netcron's inventory against one monitoring system at one time (kept as long as its run)."""

    run = models.OneToOneField("jobs.JobRun", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="comparison")
    target = models.CharField(max_length=20, help_text="checkmk or prometheus")
    target_name = models.CharField(max_length=500, help_text="URL or file compared against")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    in_sync = models.PositiveIntegerField(default=0)
    different = models.PositiveIntegerField(default=0)
    missing_in_monitoring = models.PositiveIntegerField(default=0)
    missing_in_source = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"comparison #{self.pk} with {self.target} ({self.created_at:%Y-%m-%d %H:%M})"

    @classmethod
    def record(cls, run_id: int | None, target: str, target_name: str, items: list[Item]) -> Comparison:
        """Store a comparison and its rows (bulk insert: thousands of rows in a few statements)."""
        comparison = cls.objects.create(run_id=run_id, target=target, target_name=target_name[:500],
                                        **counts(items))
        ComparisonRow.objects.bulk_create(
            [ComparisonRow(comparison=comparison, device_id=item.device_id, name=item.name[:255],
                           status=item.status, location=item.location[:100], summary=item.summary(),
                           diff=item.diff) for item in items],
            batch_size=1000,
        )
        return comparison

    @property
    def counts(self) -> dict[str, int]:
        return {status: getattr(self, status) for status in STATUSES}


class ComparisonRow(models.Model):
    STATUS_CHOICES = [(s, s.replace("_", " ")) for s in STATUSES]

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="rows")
    device = models.ForeignKey("inventory.Device", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    name = models.CharField(max_length=255, help_text="Device name, or host name when netcron has no such device")
    status = models.CharField(max_length=25, choices=STATUS_CHOICES)
    location = models.CharField(max_length=100, blank=True, default="")
    summary = models.TextField(blank=True, default="")
    diff = models.JSONField(default=dict, blank=True,
                            help_text='{field: {"source": netcron value, "monitoring": found value}}')

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["comparison", "status"]), models.Index(fields=["comparison", "name"])]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"
