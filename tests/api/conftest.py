"""Fixtures for the API tests: an in-memory Celery broker and small factories for inventory and jobs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from netcron.inventory.models import Credential, Device, Location, Tag
from netcron.jobs.models import DeviceResult, JobRun, JobSchedule, JobTemplate, RunLog


@pytest.fixture(autouse=True)
def in_memory_broker():
    """Publishing goes to kombu's in-process memory transport: the real publish code path, no server.

    The app caches its connection and producer pools, and kombu keeps pools in a global registry keyed
    by broker URL: a pool closed elsewhere (e.g. by another fixture's force_close_all) would be handed
    out again ("Acquire on closed pool"). kombu.pools.reset() closes and forgets them all.
    """
    from netcron.celery import use_broker

    previous = use_broker("memory://")
    yield
    use_broker(previous)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The user fixtures hash passwords; PBKDF2 would make up most of this suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """Context manager: run on_commit callbacks (publishing) at the end of the block, inside the test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


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


def make_template(name: str = "t", job_type: str = "noop", owner=None, is_global: bool = True,
                  params: dict | None = None, targets: dict | None = None, **extra) -> JobTemplate:
    return JobTemplate.objects.create(name=name, job_type=job_type, owner=owner, is_global=is_global,
                                      params=params or {}, targets={"all": True} if targets is None else targets,
                                      **extra)


def make_schedule(template: JobTemplate, name: str = "s", owner=None, is_global: bool = True,
                  **extra) -> JobSchedule:
    fields = {"kind": "cron", "cron_expr": "*/5 * * * *", **extra}
    schedule = JobSchedule(name=name, template=template, owner=owner, is_global=is_global, **fields)
    schedule.reset_next_fire()
    schedule.save()
    return schedule


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
