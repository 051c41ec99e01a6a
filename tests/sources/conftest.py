"""Fixtures for sources and monitoring: fake NetBox, Nautobot and CheckMK servers over real HTTP, and a
helper that runs a job through the real runner. Secrets are canaries that must never show up in output."""

from __future__ import annotations

import itertools

import pytest

from netcron.inventory.models import Credential, Device, Location, Tag
from netcron.jobs import runner
from netcron.jobs.models import DeviceResult, JobRun, RunLog
from netcron.sources.testing.checkmk import FakeCheckmk
from netcron.sources.testing.dcim import FakeNautobot, FakeNetbox
from tests.engine.conftest import make_run, make_template

CMK_SECRET = "canary-cmk-5ecret-7f3a91"
DCIM_TOKEN = "canary-dcim-token-0b2c44"
FAST = {"retries": 3, "retry_backoff_seconds": 0.01}
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def in_memory_broker():
    from netcron.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "memory://"
    app._pool = None
    yield
    app.conf.broker_url = previous
    app._pool = None


@pytest.fixture(autouse=True)
def prometheus_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NETCRON_PROMETHEUS_SD_DIR", str(tmp_path / "sd"))
    return tmp_path / "sd"


@pytest.fixture
def checkmk():
    with FakeCheckmk(secret=CMK_SECRET) as server:
        yield server


@pytest.fixture
def netbox():
    with FakeNetbox(token=DCIM_TOKEN) as server:
        yield server


@pytest.fixture
def nautobot():
    with FakeNautobot(token=DCIM_TOKEN) as server:
        yield server


@pytest.fixture
def cmk_credential(db):
    credential = Credential(name="cmk", username="automation")
    credential.set_secrets(token=CMK_SECRET)
    credential.save()
    return credential


@pytest.fixture
def dcim_credential(db):
    credential = Credential(name="dcim")
    credential.set_secrets(token=DCIM_TOKEN)
    credential.save()
    return credential


def make_device(name: str, host: str = "", platform: str = "cisco_ios", location: str = "", role: str = "",
                tags: tuple[str, ...] = ()) -> Device:
    device = Device.objects.create(
        name=name, host=host or f"10.0.0.{Device.objects.count() + 1}", platform=platform, role=role,
        location=Location.objects.get_or_create(name=location)[0] if location else None)
    for tag in tags:
        device.tags.add(Tag.objects.get_or_create(name=tag)[0])
    return device


def run_job(job_type: str, params: dict, targets: dict | None = None, **template) -> JobRun:
    """Create a template and a run, execute it through the real runner, return the finished run."""
    run = make_run(make_template(name=f"{job_type}-{next(_names)}", job_type=job_type, params=params,
                                 targets=targets, **template))
    runner.execute_run(run.pk, worker="test")
    run.refresh_from_db()
    return run


def checkmk_params(server: FakeCheckmk, **extra) -> dict:
    target = {"url": server.url, "credential": "cmk", **FAST}
    target.update({k: extra.pop(k) for k in list(extra) if k in (
        "site", "folder_template", "label_prefix", "tag_attributes", "scope_folder", "credential", "url")})
    return {"checkmk": target, **extra}


def outputs(run: JobRun) -> str:
    """Everything a user can read about a run: error, result, logs and device results."""
    import json

    parts = [run.error, json.dumps(run.result)]
    parts += list(RunLog.objects.filter(run=run).values_list("message", flat=True))
    for message, data in DeviceResult.objects.filter(run=run).values_list("message", "data"):
        parts += [message, json.dumps(data)]
    return "\n".join(parts)


def logs(run: JobRun) -> list[str]:
    return list(RunLog.objects.filter(run=run).values_list("message", flat=True))
