"""The driver, unchanged, against an SSH device emulator we did not write: fake-switches (Twisted)."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import time

import pytest

from netcron.lab.testing import free_port
from netcron.lib.ssh import CommandError, DeviceSpec, connect, get_platform, register

pytest.importorskip("fake_switches")

LAUNCHER = """
import sys
from twisted.internet import reactor
from fake_switches import switch_factory
from fake_switches.transports.ssh_service import SwitchSshService
host, port = sys.argv[1], int(sys.argv[2])
core = switch_factory.SwitchFactory().get("cisco_generic", "fsw1", "enablepw")
SwitchSshService(ip=host, port=port, switch_core=core, users={"netcron": b"fakepw"}).hook_to_reactor(reactor)
reactor.callWhenRunning(lambda: print("READY", flush=True))
reactor.run()
"""


@pytest.fixture(scope="module")
def fake_switch():
    host = "127.0.1.222"
    port = free_port(host)
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, host, str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 20
    for line in proc.stdout:
        if "READY" in line or time.monotonic() > deadline:
            break
    try:
        yield DeviceSpec(host, "cisco_ios", "netcron", "fakepw", port=port, enable_secret="enablepw",
                         host_key_policy="ignore", connect_timeout=10, command_timeout=10)
    finally:
        proc.terminate()
        proc.wait(10)


def test_fake_switches_cisco_login_enable_and_show_running_config(fake_switch):
    async def go():
        async with connect(fake_switch) as s:
            return s.prompt, await s.send_command("show running-config")

    prompt, config = asyncio.run(go())
    assert prompt == "fsw1#"
    assert "hostname fsw1" in config or "interface" in config


def test_fake_switches_config_mode_round_trip(fake_switch):
    async def go():
        async with connect(fake_switch) as s:
            # fake-switches does not take "end" inside a sub-mode (real IOS does), so leave it first.
            await s.send_config(["vlan 1234", "name NETCRON", "exit"])
        async with connect(fake_switch) as s:
            return await s.send_command("show running-config")

    assert "NETCRON" in asyncio.run(go())


def test_fake_switches_invalid_input_is_a_command_error(fake_switch):
    # The emulator has its own wording for errors; teaching the driver is one registry entry.
    base = get_platform("cisco_ios")
    register(dataclasses.replace(base, name="fake_switches_cisco", errors=(*base.errors, r"^No such command")))

    async def go():
        async with connect(dataclasses.replace(fake_switch, platform="fake_switches_cisco")) as s:
            await s.send_config(["interface FastEthernet0/1", "frobnicate"])

    with pytest.raises(CommandError):
        asyncio.run(go())
