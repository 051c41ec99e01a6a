"""Fixtures for reachability and scan tests: a small lab with SNMP, lab devices in the inventory, a job runner.

Every address used here is loopback (127.x) or lives in a network namespace a fixture created itself.
"""

from __future__ import annotations

import itertools
import os
import random

import pytest

from netcron.inventory.models import Credential, Device, Location
from netcron.jobs import runner
from netcron.jobs.models import DeviceResult, JobRun, RunLog
from netcron.lab import generate
from netcron.lab.testing import free_port, running_lab
from tests.engine.conftest import make_run, make_template

_names = itertools.count(1)
COMMUNITY = "nc-test-community"
LAB_PLATFORMS = ["cisco_ios", "juniper_junos", "arista_eos", "linux"]


@pytest.fixture(autouse=True)
def webhooks_to_loopback(settings):
    """The test receivers listen on 127.0.0.1, which the default destination policy refuses."""
    settings.NETCRON_WEBHOOK_ALLOW_LOCAL = True


@pytest.fixture(autouse=True)
def in_memory_broker():
    from netcron.celery import use_broker

    previous = use_broker("memory://")
    yield
    use_broker(previous)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # host keys learned by the ssh/netconf checks land here


def lab_base() -> str:
    """A 127.x block per test process, so parallel test runs never share lab addresses."""
    return f"127.{random.randint(100, 250)}.{os.getpid() % 250 + 1}.1"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Four devices (ios, junos, eos, linux) with SSH/NETCONF on one port and an SNMP agent each."""
    base = lab_base()
    specs = generate(4, LAB_PLATFORMS, port=free_port(base), base_address=base, snmp_port=free_port(base),
                     snmp_community=COMMUNITY)
    with running_lab(specs, tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture
def lab_credential(db, lab):
    spec = lab.specs[0]
    credential = Credential(name=f"lab-{next(_names)}", username=spec.username, host_key_policy="tofu")
    credential.set_secrets(password=spec.password, snmp_community=COMMUNITY)
    credential.save()
    return credential


@pytest.fixture
def lab_devices(db, lab, lab_credential):
    """The lab's devices in the inventory, all in location dc1 except the last (no location)."""
    dc1 = Location.objects.get_or_create(name="dc1")[0]
    return [Device.objects.create(name=s.name, host=s.host, port=s.port, platform=s.platform,
                                  credential=lab_credential, location=dc1 if i < 3 else None)
            for i, s in enumerate(lab.specs)]


def snmp_port(lab) -> int:
    return lab.specs[0].snmp_port


def run_job(job_type: str, params: dict, targets: dict | None = None, **template) -> JobRun:
    """Create a template and a run, execute it through the real runner, return the finished run."""
    run = make_run(make_template(name=f"{job_type}-{next(_names)}", job_type=job_type, params=params,
                                 targets=targets, **template))
    runner.execute_run(run.pk, worker="test")
    run.refresh_from_db()
    return run


def results(run: JobRun) -> dict[str, DeviceResult]:
    return {r.device_name: r for r in DeviceResult.objects.filter(run=run)}


def logs(run: JobRun) -> str:
    return "\n".join(RunLog.objects.filter(run=run).values_list("message", flat=True))
