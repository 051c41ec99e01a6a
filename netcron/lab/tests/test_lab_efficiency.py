"""What keeps the lab cheap per session (so benchmarks measure clients), without changing what devices do:
cached config renders, one SSH packet per reply, a fast algorithm set paramiko also speaks, worker processes.
"""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
import time

import pytest

from netcron.lab import generate
from netcron.lab.device import DeviceState
from netcron.lab.server import ENCRYPTION_ALGS, KEX_ALGS
from netcron.lab.testing import driver_spec, free_port, running_lab
from netcron.lib.ssh import connect


@pytest.mark.parametrize("platform", ["cisco_ios", "arista_eos", "juniper_junos", "mikrotik_routeros"])
def test_running_config_is_rendered_once_and_rerendered_after_every_change(platform):
    state = DeviceState(generate(1, [platform], port=2222)[0])
    first = state.new_cli().cached_running()
    assert state.new_cli().cached_running() is first  # served from the cache
    assert first == state.new_cli().render_running()
    line = {
        "cisco_ios": ["interface GigabitEthernet1/0/1", "description cache-test"],
        "arista_eos": ["interface Ethernet1", "description cache-test"],
        "juniper_junos": ["set interfaces ge-0/0/0 description cache-test"],
        "mikrotik_routeros": ['/system identity set name="cache-test"'],
    }[platform]
    state.configure(line)
    changed = state.new_cli().cached_running()
    assert "cache-test" in changed and changed == state.new_cli().render_running()


def test_render_cache_notices_a_config_replaced_behind_its_back():
    state = DeviceState(generate(1, ["cisco_ios"], port=2222)[0])
    before = state.new_cli().cached_running()
    tree = copy.deepcopy(state.config)
    tree.blocks = [b for b in tree.blocks if not b.line.startswith("ip access-list")]
    state.config = tree  # no touch(): a test poking the model directly
    after = state.new_cli().cached_running()
    assert "ip access-list" in before and "ip access-list" not in after


def test_a_rejected_out_of_band_line_still_invalidates_lines_applied_before_it():
    state = DeviceState(generate(1, ["cisco_ios"], port=2222)[0])
    state.new_cli().cached_running()
    with pytest.raises(ValueError):
        state.configure(["interface GigabitEthernet1/0/2", "description applied", "bogus-command"])
    assert "description applied" in state.new_cli().cached_running()


def test_show_running_config_over_ssh_uses_crlf_and_follows_changes(tmp_path):
    d = generate(1, ["cisco_ios"], port=free_port(), config_lines=120)[0]
    with running_lab([d], tmp_path) as lab:

        async def show():
            async with connect(driver_spec(d)) as s:
                return await s.send_command("show running-config")

        first = asyncio.run(show())
        lab.configure(d.name, ["interface GigabitEthernet1/0/3", "description after-cache"])
        second = asyncio.run(show())
    assert "after-cache" not in first and "after-cache" in second
    assert "\r" not in second  # the driver normalised the device's CRLF line ends


def test_a_command_reply_arrives_as_one_ssh_packet(tmp_path):
    """Echo, output and the next prompt are written together: one CHANNEL_DATA per reply, not four."""
    d = generate(1, ["cisco_ios"], port=free_port(), config_lines=120)[0]
    with running_lab([d], tmp_path):

        async def count_chunks():
            async with connect(driver_spec(d)) as s:
                shell = s._shell
                received = []
                original = shell.data_received

                def spy(data, datatype):
                    received.append(data)
                    original(data, datatype)

                shell.data_received = spy
                out = await s.send_command("show version")
                return received, out

        received, out = asyncio.run(count_chunks())
    assert "Cisco IOS XE Software" in out
    assert len(received) == 1, [r[:40] for r in received]
    assert received[0].startswith("show version\r\n") and received[0].rstrip().endswith("#")


def test_the_lab_sends_no_ssh_msg_ignore_packets_as_device_ssh_servers_do_not(tmp_path):
    d = generate(1, ["cisco_ios"], port=free_port(), config_lines=120)[0]
    with running_lab([d], tmp_path):

        async def received_types():
            async with connect(driver_spec(d)) as s:
                types = []
                s._conn.log_received_packet = lambda pkttype, *args, **kw: types.append(pkttype)
                s._chan.log_received_packet = s._conn.log_received_packet
                await s.send_command("show version")
                return types

        types = asyncio.run(received_types())
    assert types and 2 not in types  # SSH_MSG_IGNORE
    assert 94 in types  # SSH_MSG_CHANNEL_DATA


def test_lab_negotiates_its_fast_algorithms_with_the_driver(tmp_path):
    d = generate(1, ["cisco_ios"], port=free_port())[0]
    with running_lab([d], tmp_path):

        async def algs():
            async with connect(driver_spec(d)) as s:
                conn = s._conn
                return conn.get_extra_info("send_cipher"), conn.get_extra_info("recv_cipher")

        send, recv = asyncio.run(algs())
    assert send == recv == "aes128-gcm@openssh.com"
    assert KEX_ALGS[0] == "curve25519-sha256" and "chacha20-poly1305@openssh.com" not in ENCRYPTION_ALGS


def test_paramiko_the_transport_of_netmiko_can_log_in_to_the_lab(tmp_path):
    paramiko = pytest.importorskip("paramiko")
    d = generate(1, ["cisco_ios"], port=free_port())[0]
    with running_lab([d], tmp_path):
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(d.host, d.port, d.username, d.password, look_for_keys=False, allow_agent=False,
                           timeout=10, banner_timeout=10, auth_timeout=10)
            transport = client.get_transport()
            _, stdout, _ = client.exec_command("show version", timeout=10)
            out = stdout.read().decode()
            cipher = transport.local_cipher
        finally:
            client.close()
    assert "Cisco IOS XE Software" in out
    assert cipher in ENCRYPTION_ALGS


def test_lab_workers_serve_devices_from_several_processes(tmp_path):
    port = free_port("127.0.1.211")
    proc = subprocess.Popen(
        [sys.executable, "-m", "netcron.lab", "--devices", "4", "--platforms", "cisco_ios,linux",
         "--port", str(port), "--base-address", "127.0.1.211", "--snmp-port", "0", "--data-dir", str(tmp_path),
         "--duration", "60", "--workers", "2"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            lines.append(line)
            if line.strip() == "READY" or time.monotonic() > deadline:
                break
        assert lines and lines[-1].strip() == "READY", lines
        assert "2 worker processes" in "".join(lines)
        devices = generate(4, ["cisco_ios", "linux"], port=port, base_address="127.0.1.211")

        async def hostnames():
            out = []
            for d in devices:  # round-robin split: 0 and 2 in one worker, 1 and 3 in the other
                async with connect(driver_spec(d)) as s:
                    out.append(s.hostname)
            return out

        assert asyncio.run(hostnames()) == [d.name for d in devices]
        assert (tmp_path / "hostkeys.json").exists()
    finally:
        proc.terminate()
        assert proc.wait(20) is not None
