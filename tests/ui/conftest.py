"""Fixtures for the web UI tests: users with the built-in groups, logged-in clients, small factories.

alice and bob are operators (jobs and inventory read/write), charlie is an operator who owns nothing
(the outsider), vera is a viewer (read only), nora has no permission at all, root is a superuser.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netcron.inventory.models import Device, DeviceRuntimeStatus, Location, Tag
from netcron.jobs.models import JobRun, RunLog
from tests.factories import make_run, make_schedule, make_template, utc  # noqa: F401 (re-exported to the tests)


@pytest.fixture(autouse=True)
def static_root(settings):
    """WhiteNoise wants STATIC_ROOT to exist."""
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


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


def make_logs(run: JobRun, count: int, level: str = "info", device=None) -> list[RunLog]:
    return [RunLog.objects.create(run=run, level=level, message=f"line {i}", device=device) for i in range(count)]
