"""`netcron lab ctl`: faults, configs and counters of a lab running in another process."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import subprocess
import sys
import time

import pytest

from netcron.lab import generate
from netcron.lab.ctl import LabClient
from netcron.lab.ctl import main as ctl_main
from netcron.lab.testing import driver_spec, free_port
from netcron.lib.snmp import SnmpTarget, snmp_get
from netcron.lib.ssh import AuthFailed, Unreachable, connect

BASE = "127.0.5.1"
PLATFORMS = ["cisco_ios", "arista_eos", "juniper_junos"]
SYS_NAME = "1.3.6.1.2.1.1.5.0"


def start_lab(data_dir, count: int, base: str, *extra: str) -> tuple[subprocess.Popen, list]:
    port, snmp_port = free_port(base), free_port(base)
    proc = subprocess.Popen(
        [sys.executable, "-m", "netcron.lab", "--devices", str(count), "--platforms", ",".join(PLATFORMS),
         "--port", str(port), "--snmp-port", str(snmp_port), "--base-address", base, "--data-dir", str(data_dir),
         "--config-lines", "100", "--duration", "300", *extra],
        stdout=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if line.strip() == "READY" or time.monotonic() > deadline:
            break
    assert proc.poll() is None, "lab exited"
    return proc, generate(count, PLATFORMS, port=port, base_address=base, snmp_port=snmp_port)


def stop_lab(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(20)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ctl")
    proc, devices = start_lab(data_dir, 3, BASE)
    try:
        yield data_dir, {d.name: d for d in devices}
    finally:
        stop_lab(proc)


def ctl(data_dir, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = ctl_main(["--data-dir", str(data_dir), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def login(d, **overrides) -> str:
    async with connect(driver_spec(d, **overrides)) as s:
        return s.hostname


def test_it_takes_a_device_down_out_of_band_and_brings_it_back(lab):
    data_dir, devices = lab
    d = devices["eos-0002"]
    assert ctl(data_dir, "fault", d.name, "down")[0] == 0
    try:
        with pytest.raises(Unreachable):
            asyncio.run(login(d))
    finally:
        assert ctl(data_dir, "fault", d.name, "none")[0] == 0
    assert asyncio.run(login(d)) == d.name


def test_it_makes_logins_fail_out_of_band_with_auth_fail(lab):
    data_dir, devices = lab
    d = devices["junos-0003"]
    code, out, _ = ctl(data_dir, "fault", d.name, "auth_fail")
    assert code == 0 and out.strip() == f"{d.name}: faults auth_fail"
    try:
        with pytest.raises(AuthFailed):
            asyncio.run(login(d))
    finally:
        ctl(data_dir, "fault", d.name, "none")


def test_a_config_line_set_out_of_band_shows_in_show_running_config_over_ssh(lab):
    data_dir, devices = lab
    d = devices["ios-0001"]
    code, out, _ = ctl(data_dir, "config", d.name, "--set-line", "interface GigabitEthernet1/0/2",
                       "--set-line", "description set-by-ctl")
    assert code == 0 and "2 line(s) applied" in out

    async def show() -> str:
        async with connect(driver_spec(d)) as s:
            return await s.send_command("show running-config")

    assert "description set-by-ctl" in asyncio.run(show())
    code, shown, _ = ctl(data_dir, "config", d.name, "--show")
    assert code == 0 and "description set-by-ctl" in shown
    code, startup, _ = ctl(data_dir, "config", d.name, "--show", "--startup")
    assert code == 0 and "description set-by-ctl" not in startup


def test_a_rejected_config_line_exits_1_with_one_line(lab):
    data_dir, _ = lab
    code, _, err = ctl(data_dir, "config", "ios-0001", "--set-line", "frobnicate the widgets")
    assert code == 1
    assert err.count("\n") == 1 and "ios-0001" in err and "frobnicate" in err


def test_stats_count_logins_sessions_and_snmp_requests_per_device(lab):
    data_dir, devices = lab
    d = devices["ios-0001"]
    client = LabClient(data_dir)
    client.reset(d.name)
    client.reset("eos-0002")
    asyncio.run(login(d))
    with pytest.raises(AuthFailed):
        asyncio.run(login(d, password="wrong"))
    assert asyncio.run(snmp_get(SnmpTarget(d.host, d.snmp_port), [SYS_NAME]))[SYS_NAME] == d.name
    stats = {row["name"]: row for row in client.stats()}
    ios = stats[d.name]
    assert (ios["connections"], ios["logins"], ios["auth_failures"], ios["snmp_requests"]) == (2, 1, 1, 1)
    assert ios["sessions"] == 1 and ios["commands"] >= 1
    untouched = stats["eos-0002"]
    assert all(untouched[k] == 0 for k in ("connections", "logins", "sessions", "snmp_requests"))
    code, out, _ = ctl(data_dir, "stats", d.name, "--json")
    assert code == 0 and json.loads(out)[0]["logins"] == 1


def test_reset_restores_the_generated_config_and_the_faults_and_zeroes_the_counters(lab):
    data_dir, devices = lab
    d = devices["eos-0002"]
    client = LabClient(data_dir)
    generated = client.show(d.name)
    client.configure(d.name, ["interface Ethernet1", "description before-reset"], save=True)
    client.set_faults(d.name, ["down"])
    code, out, _ = ctl(data_dir, "reset", d.name)
    assert code == 0 and out.strip() == f"{d.name}: reset (faults none)"
    assert client.show(d.name) == generated
    assert "before-reset" not in client.show(d.name, "startup")
    assert asyncio.run(login(d)) == d.name  # the listener is back
    assert client.stats(d.name)[0]["logins"] == 1


def test_list_shows_devices_in_address_order_with_their_faults(lab):
    data_dir, devices = lab
    LabClient(data_dir).set_faults("junos-0003", ["slow", "drop"])
    try:
        code, out, _ = ctl(data_dir, "list")
    finally:
        LabClient(data_dir).set_faults("junos-0003", [])
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["name", "platform", "host", "port", "snmp_port", "faults"]
    assert [line.split()[0] for line in lines[1:]] == list(devices)
    assert lines[3].split()[-1] == "drop,slow"


def test_an_unknown_device_exits_1_with_a_message(lab):
    data_dir, _ = lab
    code, out, err = ctl(data_dir, "fault", "nope-0009", "down")
    assert (code, out) == (1, "")
    assert err == "netcron lab ctl: no device named 'nope-0009'\n"


def test_an_unknown_fault_is_a_usage_error(lab, capsys):
    data_dir, _ = lab
    with pytest.raises(SystemExit) as exc:
        ctl(data_dir, "fault", "ios-0001", "melted")
    assert exc.value.code == 2 and "unknown fault 'melted'" in capsys.readouterr().err


def test_no_running_lab_exits_2(tmp_path):
    code, _, err = ctl(tmp_path, "list")
    assert code == 2 and "no lab is running" in err
    # A socket left behind by a killed lab is not a running lab either.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(tmp_path / "control.sock"))
    code, _, err = ctl(tmp_path, "stats")
    assert code == 2 and "stale control socket" in err


def test_the_netcron_lab_ctl_command_line_reaches_the_lab(lab):
    data_dir, _ = lab
    done = subprocess.run([sys.executable, "-m", "netcron.lab", "ctl", "list", "--json", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [d["name"] for d in json.loads(done.stdout)] == ["ios-0001", "eos-0002", "junos-0003"]
    missing = subprocess.run([sys.executable, "-m", "netcron.lab", "ctl", "reset", "nope", "--data-dir",
                              str(data_dir)], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and missing.stderr.strip() == "netcron lab ctl: no device named 'nope'"


def test_ctl_reaches_devices_in_every_worker_process(tmp_path):
    proc, devices = start_lab(tmp_path, 4, "127.0.5.101", "--workers", "2")
    try:
        assert sorted(p.name for p in tmp_path.glob("control*.sock")) == ["control-0.sock", "control-1.sock"]
        client = LabClient(tmp_path)
        assert [d["name"] for d in client.list()] == [d.name for d in devices]
        for d in devices[:2]:  # one in each worker
            client.set_faults(d.name, ["down"])
            with pytest.raises(Unreachable):
                asyncio.run(login(d))
    finally:
        stop_lab(proc)
    assert not list(tmp_path.glob("control*.sock"))  # removed on a clean stop
