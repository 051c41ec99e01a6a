"""A template whose targets match no device touches no device: never "all devices" by accident.

Two observers see every touch: the lab counts SSH and NETCONF sessions per device, and a "tripwire"
device in the inventory is a plain TCP listener that counts the connections it accepts (tcp checks
open no session). The control tests prove each observer sees a run that does target its device.
"""

from __future__ import annotations

import itertools
import socket
import threading

import pytest

from netcron.inventory.models import Credential, Device, Location, Tag
from netcron.jobs.models import JobRun
from netcron.jobs.runner import execute_run
from netcron.lab import generate
from netcron.lab.testing import free_port, running_lab
from tests.engine.conftest import make_run, make_template

pytestmark = pytest.mark.django_db
LAB_BASE = "127.0.12.1"
TRIPWIRE_HOST = "127.0.12.200"
_names = itertools.count(1)

NO_MATCH = [
    pytest.param({}, id="empty selection"),
    pytest.param({"devices": []}, id="no devices listed"),
    pytest.param({"devices": ["ghost"]}, id="unknown device name"),
    pytest.param({"tags": ["no-such-tag"]}, id="unknown tag"),
    pytest.param({"locations": ["nowhere"]}, id="unknown location"),
    pytest.param({"platforms": ["juniper_junos"]}, id="platform no device has"),
    pytest.param({"tags": ["edge"], "locations": ["nowhere"]}, id="filters that match separately, not together"),
]
JOBS = [
    pytest.param("backup", {}, id="backup"),
    pytest.param("run_commands", {"commands": ["show version"]}, id="run_commands"),
    pytest.param("reachability", {"checks": ["tcp", "ssh", "netconf"]}, id="reachability"),
]


class Tripwire:
    """A TCP listener that records the peer of every connection it accepts and closes it at once."""

    def __init__(self, host: str):
        self.sock = socket.create_server((host, 0))
        self.address = self.sock.getsockname()
        self.peers: list = []
        self.probes = 0
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._serve, daemon=True, name="tripwire")
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:  # closed
                return
            conn.close()
            with self.changed:
                self.peers.append(peer)
                self.changed.notify_all()

    def connections(self) -> int:
        """Connections from others so far. Our own probe is accepted after them (the queue is FIFO),
        so once it is seen, none made before this call can still be waiting to be counted."""
        with socket.create_connection(self.address) as probe:
            mine = probe.getsockname()
        with self.changed:
            assert self.changed.wait_for(lambda: mine in self.peers, timeout=30), "the tripwire stopped accepting"
            self.probes += 1
            return len(self.peers) - self.probes

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    devices = generate(1, ["cisco_ios"], port=free_port(LAB_BASE), base_address=LAB_BASE, config_lines=40)
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


@pytest.fixture(scope="module")
def tripwire():
    wire = Tripwire(TRIPWIRE_HOST)
    yield wire
    wire.close()


@pytest.fixture
def inventory(lab, tripwire, db, settings, tmp_path):
    """The lab device and the tripwire, both tagged `edge` in location `dc1`, with a working credential."""
    settings.DATA_DIR = tmp_path
    settings.NETCRON_HEARTBEAT_SECONDS = 60  # no heartbeat thread writing to the test database
    credential = Credential(name="lab", username="admin", host_key_policy="tofu")
    credential.set_secrets(password="admin", enable_secret="enable")
    credential.save()
    location, edge = Location.objects.create(name="dc1"), Tag.objects.create(name="edge")
    spec = lab.specs[0]
    devices = [
        Device.objects.create(name=spec.name, host=spec.host, port=spec.port, platform=spec.platform,
                              location=location, credential=credential),
        Device.objects.create(name="tripwire", host=TRIPWIRE_HOST, port=tripwire.address[1], platform="linux",
                              location=location, credential=credential),
    ]
    for device in devices:
        device.tags.add(edge)
    return devices


def sessions(lab) -> int:
    return sum(state.sessions_opened for state in lab.devices.values())


def run_job(job_type: str, params: dict, targets: dict) -> JobRun:
    template = make_template(name=f"{job_type}-{next(_names)}", job_type=job_type, params=params, targets=targets)
    run = make_run(template)
    execute_run(run.pk, worker="test")
    run.refresh_from_db()
    return run


@pytest.mark.parametrize(("job_type", "params"), JOBS)
@pytest.mark.parametrize("targets", NO_MATCH)
def test_targets_matching_no_device_touch_no_device_and_say_so(inventory, lab, tripwire, job_type, params, targets):
    sessions_before, connections_before = sessions(lab), tripwire.connections()
    run = run_job(job_type, params, targets)
    assert (run.status, run.result.get("message")) == ("completed", "targets matched no devices")
    assert run.target_device_ids == [] and not run.device_results.exists()
    assert any("targets matched no devices" in m for m in run.logs.values_list("message", flat=True))
    assert (sessions(lab), tripwire.connections()) == (sessions_before, connections_before)


def test_control_a_run_on_the_lab_device_is_seen_by_the_lab(inventory, lab):
    before = sessions(lab)
    run = run_job("run_commands", {"commands": ["show version"]}, {"devices": [inventory[0].name]})
    assert run.device_results.get().status == "ok"
    assert sessions(lab) > before


def test_control_a_tcp_check_of_the_tripwire_is_seen_by_it(inventory, tripwire):
    before = tripwire.connections()
    run = run_job("reachability", {"checks": ["tcp"]}, {"devices": ["tripwire"]})
    assert run.device_results.get().status == "ok"
    assert tripwire.connections() > before
