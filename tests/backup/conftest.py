"""A lab of simulated devices (every platform) shared by the session, the matching inventory, and a helper
that runs a job through the real runner. Each test gets its own data directory (repositories, host keys)."""

from __future__ import annotations

import itertools

import pygit2
import pytest

from netcron.inventory.models import Credential, Device, Location
from netcron.jobs.models import JobRun
from netcron.jobs.runner import execute_run
from netcron.lab import generate
from netcron.lab.model import PLATFORMS
from netcron.lab.testing import free_port, running_lab
from tests.engine.conftest import make_run, make_template

LAB_BASE = "127.0.6.1"
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def in_memory_broker():
    from netcron.celery import use_broker

    previous = use_broker("memory://")
    yield
    use_broker(previous)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Repositories and the SSH host key store live in a fresh directory per test."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.NETCRON_HEARTBEAT_SECONDS = 60  # no heartbeat thread writing to the test database
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.DATA_DIR


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """Two devices of every platform with small configs: ios-0001, nxos-0002, ... lnx-0012."""
    devices = generate(12, PLATFORMS, port=free_port(LAB_BASE), base_address=LAB_BASE, config_lines=120,
                       slow_latency=0.5)
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


@pytest.fixture
def fleet(lab, db):
    """The lab's devices in the inventory (credential admin/admin, trust on first use); faults reset after."""
    credential = Credential(name="lab", username="admin", host_key_policy="tofu")
    credential.set_secrets(password="admin", enable_secret="enable")
    credential.save()
    devices = {}
    for spec in lab.specs:
        location = Location.objects.get_or_create(name=spec.location)[0]
        devices[spec.name] = Device.objects.create(name=spec.name, host=spec.host, port=spec.port,
                                                   platform=spec.platform, role=spec.role, location=location,
                                                   credential=credential)
    yield devices
    for spec in lab.specs:
        lab.clear_faults(spec.name)


def run_job(job_type: str, params: dict | None = None, devices=None, **template_extra) -> JobRun:
    """Create a template over ``devices`` (default: all), run it through the real runner, return the run."""
    targets = {"devices": [d.pk for d in devices]} if devices is not None else {"all": True}
    template = make_template(name=f"{job_type}-{next(_names)}", job_type=job_type, params=params or {},
                             targets=targets, **template_extra)
    run = make_run(template)
    execute_run(run.pk, worker="test")
    run.refresh_from_db()
    return run


def backup(params: dict | None = None, devices=None, **extra) -> JobRun:
    return run_job("backup", params, devices, **extra)


def results(run: JobRun) -> dict:
    """device name -> DeviceResult."""
    return {r.device_name: r for r in run.device_results.all()}


def repo_at(path) -> pygit2.Repository:
    return pygit2.Repository(str(path))


def commits(repo: pygit2.Repository) -> list[pygit2.Commit]:
    if repo.head_is_unborn:
        return []
    return list(repo.walk(repo.head.target))


def tree_files(commit: pygit2.Commit) -> dict[str, bytes]:
    out = {}

    def walk(tree, prefix=""):
        for entry in tree:
            if entry.type_str == "tree":
                walk(entry, f"{prefix}{entry.name}/")
            else:
                out[f"{prefix}{entry.name}"] = entry.data

    walk(commit.tree)
    return out
