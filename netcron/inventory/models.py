from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from netcron.inventory.secrets import secret_box

PLATFORM_CHOICES = [
    ("cisco_ios", "Cisco IOS"),
    ("cisco_nxos", "Cisco NX-OS"),
    ("arista_eos", "Arista EOS"),
    ("juniper_junos", "Juniper Junos"),
    ("mikrotik_routeros", "MikroTik RouterOS"),
    ("linux", "Linux"),
]


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    color = models.CharField(max_length=7, blank=True, default="")
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Credential(models.Model):
    """Login material for devices or systems; secret values are only ever stored encrypted."""

    SECRET_FIELDS = ("password", "enable_secret", "private_key", "snmp_community", "snmp_auth_key",
                     "snmp_priv_key", "token")
    HOST_KEY_POLICIES = [("strict", "Strict"), ("tofu", "Trust on first use"), ("ignore", "Ignore")]

    name = models.CharField(max_length=100, unique=True)
    username = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=200, blank=True)
    host_key_policy = models.CharField(max_length=10, choices=HOST_KEY_POLICIES, default="tofu")
    snmp_version = models.CharField(max_length=3, choices=[("2c", "v2c"), ("3", "v3")], default="2c")
    snmp_auth_protocol = models.CharField(max_length=10, blank=True, default="")
    snmp_priv_protocol = models.CharField(max_length=10, blank=True, default="")
    secrets_sealed = models.TextField(blank=True, default="", editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_secrets(self) -> dict[str, str]:
        return secret_box().open(self.secrets_sealed)

    def get_secret(self, name: str) -> str:
        return self.get_secrets().get(name, "")

    def set_secrets(self, **values: str | None) -> None:
        """Set (non-empty string), keep (None) or clear ("") each named secret."""
        unknown = set(values) - set(self.SECRET_FIELDS)
        if unknown:
            raise ValueError(f"unknown secret field(s): {', '.join(sorted(unknown))}")
        current = self.get_secrets()
        for name, value in values.items():
            if value is None:
                continue
            if value == "":
                current.pop(name, None)
            else:
                current[name] = value
        self.secrets_sealed = secret_box().seal(current) if current else ""

    def secret_flags(self) -> dict[str, bool]:
        """Which secrets are set, for display: never the values."""
        present = self.get_secrets()
        return {f"has_{name}": bool(present.get(name)) for name in self.SECRET_FIELDS}


class Device(models.Model):
    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=255, help_text="IP address or DNS name used to connect")
    port = models.PositiveIntegerField(default=22)
    platform = models.CharField(max_length=30, choices=PLATFORM_CHOICES)
    role = models.CharField(max_length=50, blank=True, default="")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices")
    tags = models.ManyToManyField(Tag, blank=True, related_name="devices")
    credential = models.ForeignKey(Credential, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="devices")
    is_active = models.BooleanField(default=True)
    serial = models.CharField(max_length=100, blank=True, default="")
    description = models.CharField(max_length=200, blank=True, default="")
    custom_fields = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, default="manual")
    external_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("read", "Can read inventory (inventory:read)"),
                       ("write", "Can write inventory (inventory:write)")]
        indexes = [
            models.Index(fields=["platform"]),
            models.Index(fields=["role"]),
            models.Index(fields=["is_active", "name"]),
        ]

    def __str__(self) -> str:
        return self.name


class DeviceRuntimeStatus(models.Model):
    """The current state of one device, updated in place by reachability and backup jobs."""

    STATES = [("unknown", "Unknown"), ("up", "Up"), ("degraded", "Degraded"), ("down", "Down")]

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="runtime_status")
    state = models.CharField(max_length=10, choices=STATES, default="unknown")
    since = models.DateTimeField(null=True, blank=True)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_latency_ms = models.FloatField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    last_backup_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "device runtime statuses"
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.device}: {self.state}"


class ReachabilityResult(models.Model):
    """One check of one device at one time; history kept for the retention period."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="reachability_results")
    run = models.ForeignKey("jobs.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now)
    check_type = models.CharField(max_length=10, help_text="ping, tcp, snmp, ssh or netconf")
    state = models.CharField(max_length=10, choices=DeviceRuntimeStatus.STATES)
    latency_min_ms = models.FloatField(null=True, blank=True)
    latency_avg_ms = models.FloatField(null=True, blank=True)
    latency_max_ms = models.FloatField(null=True, blank=True)
    packet_loss = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["device", "checked_at"]),
            models.Index(fields=["checked_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.check_type} {self.state} at {self.checked_at:%Y-%m-%d %H:%M:%S}"
