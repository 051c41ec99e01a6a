"""Fixtures for the web UI tests: users with the built-in groups, logged-in clients, small factories.

alice and bob are operators (jobs and inventory read/write), charlie is an operator who owns nothing
(the outsider), vera is a viewer (read only), nora has no permission at all, root is a superuser.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import kombu.pools
import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netcron.inventory.models import Device, DeviceRuntimeStatus, Location, Tag
from netcron.jobs.models import DeviceResult, JobRun, JobSchedule, JobTemplate, RunLog


@pytest.fixture(autouse=True)
def fast_passwords_and_static_root(settings):
    """MD5 hashing keeps user fixtures cheap; WhiteNoise wants STATIC_ROOT to exist."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def in_memory_broker():
    """Publishing goes to kombu's in-process memory transport: the real publish code path, no server."""
    from netcron.celery import app

    def reset():
        # kombu caches connection and producer pools per broker URL in module globals: drop them all,
        # or a later test publishes through a pool an earlier one closed.
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    reset()
    app.conf.broker_url = "memory://"
    yield
    reset()
    app.conf.broker_url = previous


@pytest.fixture
def groups(db):
    from netcron.jobs.system import ensure_groups

    ensure_groups()
    return {g.name: g for g in Group.objects.all()}


def _user(name: str, group: str | None, groups, **extra) -> User:
    user = User.objects.create_user(name, password="pw-" + name, **extra)
    if group:
        user.groups.add(groups[group])
    return user


@pytest.fixture
def alice(groups):
    return _user("alice", "operators", groups)


@pytest.fixture
def bob(groups):
    return _user("bob", "operators", groups)


@pytest.fixture
def charlie(groups):
    return _user("charlie", "operators", groups)


@pytest.fixture
def vera(groups):
    return _user("vera", "viewers", groups)


@pytest.fixture
def nora(groups):
    return _user("nora", None, groups)


@pytest.fixture
def root(groups):
    return _user("root", None, groups, is_superuser=True, is_staff=True)


@pytest.fixture
def client_for(db):
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """Context manager: run on_commit callbacks (publishing) at the end of the block, inside the test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@contextmanager
def count_queries():
    with CaptureQueriesContext(connection) as ctx:
        yield ctx


def queries_for(client: Client, url: str) -> int:
    """How many SQL statements one GET of `url` runs (session and auth lookups included)."""
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_device(name: str = "r1", platform: str = "cisco_ios", state: str | None = None, **extra) -> Device:
    tags = extra.pop("tags", [])
    location = extra.pop("location", None)
    if isinstance(location, str):
        location = Location.objects.get_or_create(name=location)[0]
    device = Device.objects.create(name=name, host=extra.pop("host", f"192.0.2.{Device.objects.count() + 1}"),
                                   platform=platform, location=location, **extra)
    for tag in tags:
        device.tags.add(Tag.objects.get_or_create(name=tag)[0])
    if state:
        DeviceRuntimeStatus.objects.create(device=device, state=state, last_check_at=timezone.now(),
                                           last_latency_ms=1.5)
    return device


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

    run = new_run(template, extra.pop("triggered_by", "manual"), schedule=extra.pop("schedule", None),
                  user=extra.pop("requested_by", None))
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


def make_logs(run: JobRun, count: int, level: str = "info", device=None) -> list[RunLog]:
    return [RunLog.objects.create(run=run, level=level, message=f"line {i}", device=device) for i in range(count)]
