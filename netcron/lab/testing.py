"""Helpers for tests that need a lab: random ports, a started ``LabThread``, matching driver specs."""

from __future__ import annotations

import contextlib
import random
import socket
from collections.abc import Iterator
from pathlib import Path

from netcron.lib.ssh import DeviceSpec

from .lab import LabThread
from .model import LabDeviceSpec

# Command that prints the backup-worthy config on each platform.
CONFIG_COMMAND = {
    "cisco_ios": "show running-config",
    "cisco_nxos": "show running-config",
    "arista_eos": "show running-config",
    "juniper_junos": "show configuration",
    "mikrotik_routeros": "/export",
    "linux": "vtysh -c 'show running-config'",
}


def free_port(host: str = "127.0.1.1") -> int:
    """A random high TCP+UDP port free on ``host`` right now."""
    for _ in range(100):
        port = random.randint(20000, 60000)
        with contextlib.ExitStack() as stack:
            try:
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    s = stack.enter_context(socket.socket(socket.AF_INET, kind))
                    s.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


@contextlib.contextmanager
def running_lab(devices: list[LabDeviceSpec], data_dir: str | Path) -> Iterator[LabThread]:
    """Start ``devices`` in a background thread; retries on another port if the chosen one is taken."""
    for attempt in range(5):
        lab = LabThread(devices, data_dir)
        try:
            lab.start()
        except OSError:
            if attempt == 4:
                raise
            port = free_port(devices[0].host)
            for d in devices:
                d.port = port
            continue
        try:
            yield lab
        finally:
            lab.stop()
        return


def driver_spec(d: LabDeviceSpec, **overrides) -> DeviceSpec:
    """A DeviceSpec for a lab device; host keys ignored and short timeouts unless overridden."""
    kwargs = dict(
        host=d.host, port=d.port, platform=d.platform, username=d.username, password=d.password,
        enable_secret=d.enable_secret, name=d.name, host_key_policy="ignore", connect_timeout=5.0,
        command_timeout=5.0,
    )
    kwargs.update(overrides)
    return DeviceSpec(**kwargs)
