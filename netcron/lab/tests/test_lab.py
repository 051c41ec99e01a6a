"""Lab model, inventory export, lab files, host key persistence and the argv entry point."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
import time

import pytest

from netcron.lab import Lab, generate, inventory_csv, load_lab_file, main
from netcron.lab.device import DeviceState
from netcron.lab.model import INVENTORY_COLUMNS, address_for
from netcron.lab.testing import CONFIG_COMMAND, driver_spec, free_port
from netcron.lib.ssh import connect


def test_addresses_count_up_from_127_0_1_1_and_skip_broadcast_like_hosts():
    assert address_for(0) == "127.0.1.1"
    assert address_for(253) == "127.0.1.254"
    assert address_for(254) == "127.0.2.1"


def test_inventory_csv_has_the_import_columns_and_semicolon_tags():
    rows = list(csv.DictReader(io.StringIO(inventory_csv(generate(3, port=2222)))))
    assert tuple(rows[0]) == INVENTORY_COLUMNS
    assert rows[0]["tags"] == "lab;cisco_ios"
    assert rows[1]["platform"] == "cisco_nxos" and rows[1]["host"] == "127.0.1.2"


def test_generated_output_is_deterministic_per_device():
    a, b = (DeviceState(generate(2, ["arista_eos"], port=2222)[1]) for _ in range(2))
    assert a.running_config() == b.running_config()
    assert a.facts.serial == b.facts.serial


def test_config_lines_knob_scales_the_config():
    small = DeviceState(generate(1, port=2222, config_lines=200)[0]).running_config()
    large = DeviceState(generate(1, port=2222, config_lines=2000)[0]).running_config()
    assert 150 <= len(small.splitlines()) <= 300
    assert 1800 <= len(large.splitlines()) <= 2300


@pytest.mark.parametrize("platform", list(CONFIG_COMMAND))
def test_every_platform_renders_a_plausible_config_of_the_requested_size(platform):
    state = DeviceState(generate(1, [platform], port=2222, config_lines=500)[0])
    text = state.running_config()
    assert state.name in text
    assert 400 <= len(text.splitlines()) <= 650


def test_lab_file_yaml_generates_devices_overrides_and_faults(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text(
        "defaults: {password: s3cret, config_lines: 250}\n"
        "generate: {count: 4, platforms: [cisco_ios, juniper_junos]}\n"
        "devices:\n  - {name: ios-0001, latency: 0.5}\n  - {name: core1, platform: linux, host: 127.0.3.1}\n"
        "faults: {junos-0002: [auth_fail, slow]}\n"
    )
    spec = load_lab_file(path, port=2999)
    by = spec.by_name()
    assert len(spec.devices) == 5
    assert by["ios-0001"].latency == 0.5 and by["ios-0001"].password == "s3cret"
    assert by["junos-0002"].faults == ["auth_fail", "slow"]
    assert by["core1"].host == "127.0.3.1" and by["core1"].platform == "linux"
    assert {d.port for d in spec.devices} == {2999}


def test_unknown_fault_or_platform_is_rejected():
    with pytest.raises(ValueError, match="unknown fault"):
        generate(1, port=2222, faults=["explode"])
    with pytest.raises(ValueError, match="unknown platform"):
        from netcron.lab import LabDeviceSpec

        LabDeviceSpec("x", "cisco_xr", "127.0.1.1")


def test_host_keys_are_generated_once_and_reused_across_restarts(tmp_path):
    devices = generate(2, port=free_port())

    async def keys():
        async with Lab(devices, tmp_path) as lab:
            return lab.host_key_store().snapshot()

    first = asyncio.run(keys())
    second = asyncio.run(keys())
    assert first == second and len(first) == 2
    assert (tmp_path / "hostkeys.json").exists()


def test_main_serves_devices_and_emits_inventory(tmp_path):
    port = free_port("127.0.1.201")
    csv_path, json_path = tmp_path / "inv.csv", tmp_path / "inv.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "netcron.lab", "--devices", "3", "--platforms", "cisco_ios,linux",
         "--port", str(port), "--base-address", "127.0.1.201", "--snmp-port", "0", "--data-dir", str(tmp_path),
         "--emit-inventory", str(csv_path), "--emit-inventory", str(json_path), "--duration", "30"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        for line in proc.stdout:
            if line.strip() == "READY" or time.monotonic() > deadline:
                break
        rows = list(csv.DictReader(csv_path.open()))
        assert [r["platform"] for r in rows] == ["cisco_ios", "linux", "cisco_ios"]
        assert json.loads(json_path.read_text())["devices"][1]["port"] == port
        d = generate(3, ["cisco_ios", "linux"], port=port, base_address="127.0.1.201")[1]

        async def hostname():
            async with connect(driver_spec(d)) as s:
                return await s.send_command("hostname")

        assert asyncio.run(hostname()) == d.name
    finally:
        proc.terminate()
        proc.wait(10)


def test_main_rejects_unknown_platforms():
    with pytest.raises(SystemExit):
        main(["--platforms", "cisco_xr", "--devices", "1"])


@pytest.mark.slow
def test_one_lab_process_holds_1000_simultaneous_sessions(tmp_path):
    port = free_port("127.0.4.1")
    devices = generate(1000, ["cisco_ios", "linux"], port=port, base_address="127.0.4.1", config_lines=50)
    from netcron.lab.testing import running_lab

    with running_lab(devices, tmp_path) as lab:
        async def hold_all():
            sessions = []
            try:
                for i in range(0, len(devices), 250):
                    sessions += await asyncio.gather(*(connect(driver_spec(d, connect_timeout=60))
                                                       for d in devices[i:i + 250]))
                open_now = sum(1 for s in sessions if s._conn is not None)
                outs = await asyncio.gather(*(s.send_command("show version" if s.platform.name == "cisco_ios"
                                                             else "uname -a", timeout=60) for s in sessions))
                return open_now, outs
            finally:
                await asyncio.gather(*(s.close() for s in sessions))

        open_now, outs = asyncio.run(hold_all())
        assert open_now == 1000
        assert all(outs)
        assert sum(lab.device(d.name).sessions_opened for d in devices) >= 1000
