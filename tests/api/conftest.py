"""Fixtures for the API tests: an in-memory Celery broker and small factories for inventory and jobs."""

from __future__ import annotations

from netcron.inventory.models import Credential, Device, Location, Tag
from netcron.jobs.models import JobRun, RunLog
from tests.factories import make_run, make_schedule, make_template, utc  # noqa: F401 (re-exported to the tests)


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


def make_logs(run: JobRun, count: int, level: str = "info") -> list[RunLog]:
    return [RunLog.objects.create(run=run, level=level, message=f"line {i}") for i in range(count)]
