"""Fixtures for the API tests: an in-memory Celery broker and small factories for inventory and jobs."""

from __future__ import annotations

from django.utils import timezone

from netcron.inventory.models import Credential, Device, Location, Tag
from netcron.jobs.models import DeviceResult, JobRun, JobTemplate, RunLog
from tests.factories import make_schedule, make_template, utc  # noqa: F401 (re-exported to the tests)


def make_device(name: str = "r1", platform: str = "cisco_ios", **extra) -> Device:
    tags = extra.pop("tags", [])
    device = Device.objects.create(name=name, host=extra.pop("host", f"192.0.2.{Device.objects.count() + 1}"),
                                   platform=platform, **extra)
    for tag in tags:
        device.tags.add(Tag.objects.get_or_create(name=tag)[0])
    return device


def make_location(name: str = "Berlin", **extra) -> Location:
    return Location.objects.create(name=name, **extra)


def make_credential(name: str = "lab", password: str | None = None, **extra) -> Credential:
    credential = Credential(name=name, username=extra.pop("username", "netops"), **extra)
    if password is not None:
        credential.set_secrets(password=password)
    credential.save()
    return credential


def make_run(template: JobTemplate, status: str = "pending", results: dict | None = None, **extra) -> JobRun:
    """A run of `template` (is_global/owner copied from it); `results` maps devices to ok/failed/..."""
    from netcron.jobs.dispatch import new_run

    run = new_run(template, extra.pop("triggered_by", "manual"), schedule=extra.pop("schedule", None))
    run.status = status
    if status in ("completed", "failed", "cancelled"):
        run.started_at = run.started_at or timezone.now()
        run.finished_at = timezone.now()
    elif status == "running":
        run.started_at = run.heartbeat_at = timezone.now()
    for key, value in extra.items():
        setattr(run, key, value)
    run.save()
    for device, result in (results or {}).items():
        DeviceResult.objects.create(run=run, device=device, device_name=device.name, status=result,
                                    message=f"{device.name} {result}")
    return run


def make_logs(run: JobRun, count: int, level: str = "info") -> list[RunLog]:
    return [RunLog.objects.create(run=run, level=level, message=f"line {i}") for i in range(count)]
