"""The run-time settings an administrator can change without a restart, as one validated pydantic model.

Values not set in the database fall back to a default; for the engine timings that default is the
environment (NETCRON_LEASE_SECONDS, NETCRON_REPUBLISH_AFTER_SECONDS), so the database wins when set.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator

from netcron.lib.cron import ScheduleError, validate_timezone
from netcron.lib.webhook import WebhookUrlError, validate_url


def env_defaults() -> dict:
    """Defaults that come from the process environment (read on every use: tests and admins change them)."""
    return {
        "lease_seconds": settings.NETCRON_LEASE_SECONDS,
        "republish_after_seconds": settings.NETCRON_REPUBLISH_AFTER_SECONDS,
        "default_timezone": settings.TIME_ZONE,
    }


class SettingsSpec(BaseModel):
    """Every system setting with its bounds; unknown names are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ssh_connect_timeout: float = Field(15, gt=0, le=300, title="SSH connect timeout (seconds)",
                                       description="Seconds to open an SSH session")
    ssh_command_timeout: float = Field(60, gt=0, le=3600, title="SSH command timeout (seconds)",
                                       description="Seconds per command on a device")
    default_parallelism: int = Field(20, ge=1, le=1000, title="Default parallelism (devices)",
                                     description="Devices a job works on at the same time")
    runs_retention_days: int = Field(90, ge=1, le=3650, title="Keep runs (days)",
                                     description="Keep finished runs (results, logs) this long")
    logs_retention_days: int = Field(30, ge=1, le=3650, title="Keep run logs (days)",
                                     description="Keep run log lines this long")
    reachability_retention_days: int = Field(30, ge=1, le=3650, title="Keep reachability history (days)",
                                             description="Keep reachability history this long")
    config_versions_retention_days: int | None = Field(
        None, ge=1, le=36500, title="Keep config versions (days)",
        description="Forget config versions older than this (the newest per device is kept); empty: keep all")
    audit_retention_days: int | None = Field(
        None, ge=30, le=36500, title="Keep audit entries (days)",
        description="Delete audit entries older than this; empty: keep forever")
    lease_seconds: int = Field(60, ge=2, le=86400, title="Run lease (seconds)",
                               description="A running run without a heartbeat this long is failed (lost worker)")
    republish_after_seconds: int = Field(60, ge=1, le=86400, title="Republish pending runs after (seconds)",
                                         description="Publish a pending run again when nobody took it this long")
    default_timezone: str = Field("UTC", max_length=64, title="Time zone of new schedules",
                                  description="IANA name, e.g. Europe/Berlin")
    notify_email_recipients: list[str] = Field(
        default_factory=list, max_length=50, title="Default email recipients",
        description="Addresses an email rule without its own addresses sends to")
    notify_webhook_url: str = Field("", max_length=2000, title="Default webhook URL",
                                    description="URL a webhook rule without its own URL posts to")
    notify_webhook_credential_id: int | None = Field(
        None, title="Default webhook credential (id)",
        description="Credential whose token secret signs webhooks of rules without their own credential")
    webhook_timeout_seconds: float = Field(5, gt=0, le=60, title="Webhook timeout (seconds)",
                                           description="Seconds to wait for a webhook answer")
    notify_retries: int = Field(3, ge=0, le=10, title="Delivery retries",
                                description="Further attempts after a failed email or webhook")
    webhook_deny_private: bool = Field(
        False, title="Deny webhooks to private addresses",
        description="Refuse webhook URLs that resolve to private, loopback or link-local addresses")

    @field_validator("default_timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            return validate_timezone(value).key
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("notify_email_recipients")
    @classmethod
    def valid_addresses(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values if v.strip()]
        for value in cleaned:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise ValueError(f"{value[:100]!r} is not an email address") from None
        return cleaned

    @field_validator("notify_webhook_url")
    @classmethod
    def usable_url(cls, value: str) -> str:
        if value.strip():
            try:
                validate_url(value.strip())
            except WebhookUrlError as exc:
                raise ValueError(str(exc)) from None
        return value.strip()


FIELDS = tuple(SettingsSpec.model_fields)


def build(overrides: dict) -> SettingsSpec:
    """The effective settings: stored overrides on top of the (environment) defaults."""
    return SettingsSpec.model_validate({**env_defaults(), **overrides})


def defaults() -> dict:
    return build({}).model_dump(mode="json")
