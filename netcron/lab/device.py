"""Live state of one simulated device, shared by all its SSH, NETCONF and SNMP sessions."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .configgen import Facts, make_facts
from .platforms import cli_class_for

if TYPE_CHECKING:
    from .model import LabDeviceSpec
    from .platforms.base import Cli

# Fixed reference so generated timestamps (boot, last change) are the same on every run.
LAB_EPOCH = datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC)


class DeviceState:
    def __init__(self, spec: LabDeviceSpec, index: int = 0) -> None:
        self.spec = spec
        self.index = index
        self.facts: Facts = make_facts(
            spec.name, spec.platform, index=index, mgmt_ip=spec.host, config_lines=spec.config_lines,
            location=spec.location or "lab",
        )
        self.cli_class: type[Cli] = cli_class_for(spec.platform)
        self.booted_at = LAB_EPOCH - timedelta(days=3 + self.facts.seed % 200, seconds=self.facts.seed % 86400)
        self.started_monotonic = time.monotonic()
        # Bumped on every change (touch/save); rendered configs are cached until it moves.
        self.generation = 0
        self._rendered: dict[str, tuple[tuple, str]] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the device the lab started: generated config (running = startup), the lab file's
        faults, zeroed counters. Listeners follow the faults only through ``Lab.reset``."""
        spec = self.spec
        self.hostname = self.facts.hostname
        self.config = self.cli_class.build_config(self.facts, spec)
        self.startup = clone_config(self.config)
        self.startup_hostname = self.hostname
        self.last_change = LAB_EPOCH
        self.last_change_by = spec.username
        self.last_saved = LAB_EPOCH
        self.faults: set[str] = set(spec.faults)
        self.latency = spec.latency
        self.generation += 1
        # Counters other tests and `netcron lab ctl stats` read, e.g. to prove a job opened no session.
        self.connections = 0  # TCP connections accepted by the SSH listener
        self.logins = 0  # successful password authentications
        self.auth_failures = 0
        self.sessions_opened = 0  # shell, exec and NETCONF channels
        self.commands_run = 0
        self.snmp_requests = 0  # datagrams received by the device's SNMP agent, answered or not

    def stats(self) -> dict[str, int]:
        return {
            "connections": self.connections,
            "logins": self.logins,
            "auth_failures": self.auth_failures,
            "sessions": self.sessions_opened,
            "commands": self.commands_run,
            "snmp_requests": self.snmp_requests,
        }

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def uptime(self) -> timedelta:
        """Uptime as a device would report it: since the (fictional) boot, advancing in real time."""
        return (LAB_EPOCH - self.booted_at) + timedelta(seconds=time.monotonic() - self.started_monotonic)

    def touch(self, user: str) -> None:
        self.last_change = datetime.now(UTC).replace(microsecond=0)
        self.last_change_by = user
        self.generation += 1

    def save(self) -> None:
        self.startup = clone_config(self.config)
        self.startup_hostname = self.hostname
        self.last_saved = datetime.now(UTC).replace(microsecond=0)
        self.generation += 1

    def cached_render(self, kind: str, render: Callable[[], str]) -> str:
        """``render()``, reused until the device changes: a backup sweep renders each config once.

        Every config change goes through ``touch``/``save`` (they set the "last change" stamps that the
        rendered headers show); the key also holds those stamps, the hostname and the config objects, so
        a change that bypasses them (e.g. ``state.config = ...`` in a test) still invalidates.
        """
        key = (self.generation, self.hostname, id(self.config), id(self.startup), self.last_change,
               self.last_change_by, self.last_saved)
        hit = self._rendered.get(kind)
        if hit is not None and hit[0] == key:
            return hit[1]
        text = render()
        self._rendered[kind] = (key, text)
        return text

    def new_cli(self, username: str | None = None) -> Cli:
        cli = self.cli_class(self, username or self.spec.username)
        if hasattr(cli, "privileged"):
            cli.privileged = True
        return cli

    # out-of-band helpers used by tests and the lab API ----------------------------------------------------

    def running_config(self) -> str:
        return self.new_cli().render_running()

    def startup_config(self) -> str:
        return self.new_cli().render_startup()

    def configure(self, lines: list[str], *, save: bool = False) -> None:
        """Change the running config as if an operator typed ``lines`` in config mode (Junos: and committed)."""
        try:
            self.new_cli("lab-admin").apply_lines(lines)
        finally:
            self.generation += 1  # lines before a rejected one were applied: cached renders are stale
        self.touch("lab-admin")
        if save:
            self.save()


def clone_config(config: Any) -> Any:
    """A copy of a config model; the models' own ``copy()`` when they have a cheap one."""
    fast = getattr(config, "copy", None)
    return fast() if callable(fast) else copy.deepcopy(config)
