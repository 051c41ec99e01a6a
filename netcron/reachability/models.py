from __future__ import annotations

from collections import Counter

from django.db import models
from django.db.models import F
from django.utils import timezone

STATES = ["unknown", "up", "degraded", "down"]
STATE_CHOICES = [(s, s.capitalize()) for s in STATES]
# Worst first: a bucket of history shows the worst state any check in it had.
SEVERITY = {"down": 3, "degraded": 2, "up": 1, "unknown": 0}


class StateChange(models.Model):
    """A device moved from one state to another; written once, by the run that saw the change."""

    NOTIFY_CHOICES = [("", "Not requested"), ("sent", "Sent"), ("failed", "Failed"), ("skipped", "Skipped")]

    device = models.ForeignKey("inventory.Device", on_delete=models.CASCADE, related_name="+")
    device_name = models.CharField(max_length=100)
    run = models.ForeignKey("jobs.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    old_state = models.CharField(max_length=10, choices=STATE_CHOICES)
    new_state = models.CharField(max_length=10, choices=STATE_CHOICES)
    reason = models.CharField(max_length=500, blank=True, default="")
    notify_status = models.CharField(max_length=10, choices=NOTIFY_CHOICES, blank=True, default="")
    notify_attempts = models.PositiveSmallIntegerField(default=0)
    notify_error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["device", "-at"]),
            models.Index(fields=["-at"]),
            models.Index(fields=["new_state", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.device_name}: {self.old_state} -> {self.new_state} at {self.at:%Y-%m-%d %H:%M:%S}"

    def payload(self) -> dict:
        """The webhook body for this change (no secrets: device identity and states only)."""
        return {
            "event": "device.state_changed", "event_id": self.pk, "run_id": self.run_id,
            "device": {"id": self.device_id, "name": self.device_name},
            "old_state": self.old_state, "new_state": self.new_state, "reason": self.reason,
            "at": self.at.isoformat(),
        }

    def mark_notified(self, status: str, attempts: int, error: str = "") -> None:
        self.notify_status, self.notify_attempts, self.notify_error = status, attempts, error[:300]
        self.save(update_fields=["notify_status", "notify_attempts", "notify_error"])


class StateChangeCount(models.Model):
    """Monotonic counters of state changes for /metrics; history retention never lowers them."""

    old_state = models.CharField(max_length=10, choices=STATE_CHOICES)
    new_state = models.CharField(max_length=10, choices=STATE_CHOICES)
    total = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["old_state", "new_state"], name="statechangecount_pair")]

    def __str__(self) -> str:
        return f"{self.old_state} -> {self.new_state}: {self.total}"

    @classmethod
    def add(cls, pairs: Counter[tuple[str, str]]) -> None:
        """Add counts atomically (UPDATE ... SET total = total + n): concurrent runs lose nothing."""
        if not pairs:
            return
        cls.objects.bulk_create([cls(old_state=o, new_state=n) for o, n in pairs], ignore_conflicts=True)
        for (old, new), n in pairs.items():
            cls.objects.filter(old_state=old, new_state=new).update(total=F("total") + n)


class ScanResult(models.Model):
    """One address one scan run found alive (or probed, when the run keeps dead ones too)."""

    run = models.ForeignKey("jobs.JobRun", on_delete=models.CASCADE, related_name="+")
    address = models.GenericIPAddressField()
    prefix = models.CharField(max_length=50)
    alive = models.BooleanField()
    latency_ms = models.FloatField(null=True, blank=True)
    dns_name = models.CharField(max_length=255, blank=True, default="")
    open_ports = models.JSONField(default=list, blank=True)
    device = models.ForeignKey("inventory.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "address"], name="scanresult_once_per_run")]
        indexes = [models.Index(fields=["address"])]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.address}: {'alive' if self.alive else 'silent'}"


class DiscoveredAddress(models.Model):
    """Every address any scan ever found alive, with first and last sighting (updated in place)."""

    address = models.GenericIPAddressField(unique=True)
    prefix = models.CharField(max_length=50, blank=True, default="")
    dns_name = models.CharField(max_length=255, blank=True, default="")
    open_ports = models.JSONField(default=list, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    last_latency_ms = models.FloatField(null=True, blank=True)
    last_run = models.ForeignKey("jobs.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    device = models.ForeignKey("inventory.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "discovered addresses"
        indexes = [models.Index(fields=["-last_seen"])]

    def __str__(self) -> str:
        return self.address

    @classmethod
    def record_seen(cls, rows: list[ScanResult], run_id: int, now) -> int:
        """Upsert the alive rows: new addresses get first_seen=now, all get last_seen=now. Returns new count."""
        alive = {r.address: r for r in rows if r.alive}
        if not alive:
            return 0
        known = set()
        for chunk in _chunks(list(alive), 500):
            known.update(cls.objects.filter(address__in=chunk).values_list("address", flat=True))
        fresh = [cls(address=a, prefix=r.prefix, dns_name=r.dns_name, open_ports=r.open_ports, first_seen=now,
                     last_seen=now, last_latency_ms=r.latency_ms, last_run_id=run_id, device_id=r.device_id)
                 for a, r in alive.items() if a not in known]
        cls.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=True)
        seen = []
        for chunk in _chunks([a for a in alive if a in known], 500):
            for row in cls.objects.filter(address__in=chunk):
                r = alive[row.address]
                row.last_seen, row.last_latency_ms, row.last_run_id = now, r.latency_ms, run_id
                row.prefix = r.prefix
                row.open_ports = r.open_ports
                row.dns_name = r.dns_name or row.dns_name
                row.device_id = r.device_id or row.device_id
                seen.append(row)
        cls.objects.bulk_update(seen, ["last_seen", "last_latency_ms", "last_run", "prefix", "open_ports",
                                       "dns_name", "device"], batch_size=500)
        return len(fresh)


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
