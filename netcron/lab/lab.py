"""The lab: N simulated devices in one asyncio loop, with a Python control API.

Async use::

    async with Lab(generate(10, port=2222)) as lab:
        lab.configure("ios-0001", ["interface GigabitEthernet1/0/1", "description changed"])
        await lab.set_fault("eos-0003", "down")

From synchronous code (tests, Django) use ``LabThread``, which runs the same lab in a background thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import threading
from pathlib import Path
from typing import Any

import asyncssh

from .device import DeviceState
from .faults import LISTENER_FAULTS
from .keys import LabHostKeys
from .model import FAULTS, LabDeviceSpec, inventory_csv, inventory_json, write_inventory
from .server import listen

log = logging.getLogger(__name__)


def _raise_fd_limit(needed: int = 0) -> None:
    """Every session, listener and SNMP socket is a descriptor: 1,000 devices need more than the usual
    1,024, and 10,000 devices (an SSH listener and an SNMP socket each) more than many hard limits,
    which root may raise."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if needed > hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return
        except (ValueError, OSError):
            pass  # not root (or above fs.nr_open): the hard limit is what we get
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Lab:
    def __init__(
        self,
        devices: list[LabDeviceSpec],
        data_dir: str | Path = ".netcron/lab",
        *,
        snmp: bool = True,
    ) -> None:
        names = [d.name for d in devices]
        if len(set(names)) != len(names):
            raise ValueError("device names must be unique")
        self.data_dir = Path(data_dir)
        self.keys = LabHostKeys(self.data_dir)
        self.devices: dict[str, DeviceState] = {d.name: DeviceState(d, i) for i, d in enumerate(devices)}
        self._listeners: dict[str, asyncssh.SSHAcceptor] = {}
        self._snmp_enabled = snmp
        self._snmp: Any = None
        self.started = False

    # lifecycle --------------------------------------------------------------------------------------------

    async def start(self) -> Lab:
        states = list(self.devices.values())
        # A listener and an SNMP socket per device, plus room for a session to each of them.
        sockets = sum(1 for s in states if s.spec.port) + sum(
            1 for s in states if self._snmp_enabled and s.spec.snmp_port
        )
        _raise_fd_limit(sockets + len(states) + 1024)
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if sockets + 64 > limit:
            raise OSError(
                f"{len(states)} devices need {sockets} sockets (SSH listeners and SNMP sockets), more than this "
                f"process may open ({limit}, `ulimit -n`); use --workers N, or --port 0 for SNMP-only devices"
            )
        for s in states:  # generate missing keys before binding, so a failed start leaves them saved
            if s.spec.port:
                self.keys.key(s.name)
        self.keys.save()
        for i in range(0, len(states), 200):
            await asyncio.gather(*(self._sync_listener(s) for s in states[i : i + 200]))
        if self._snmp_enabled and any(s.spec.snmp_port for s in states):
            from .snmp_agent import SnmpAgent

            self._snmp = SnmpAgent(states)
            await self._snmp.start()
        self.started = True
        log.info("lab started: %d devices", len(states))
        return self

    async def stop(self) -> None:
        listeners, self._listeners = self._listeners, {}
        for acceptor in listeners.values():
            acceptor.close()
        for acceptor in listeners.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(acceptor.wait_closed(), 5)
        if self._snmp is not None:
            self._snmp.stop()
            self._snmp = None
        self.started = False

    async def __aenter__(self) -> Lab:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def _sync_listener(self, state: DeviceState) -> None:
        """Make the listener match the device's faults: none when down, impostor key when wrong_hostkey."""
        current = self._listeners.pop(state.name, None)
        if current is not None:
            current.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(current.wait_closed(), 5)
        if "down" in state.faults or not state.spec.port:  # port 0: an SNMP-only device
            return
        key = self.keys.key(state.name, impostor="wrong_hostkey" in state.faults)
        self._listeners[state.name] = await listen(state, key)

    # control API ------------------------------------------------------------------------------------------

    def device(self, name: str) -> DeviceState:
        return self.devices[name]

    @property
    def specs(self) -> list[LabDeviceSpec]:
        return [s.spec for s in self.devices.values()]

    async def set_fault(self, name: str, fault: str, on: bool = True) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        state = self.devices[name]
        before = state.faults & LISTENER_FAULTS
        (state.faults.add if on else state.faults.discard)(fault)
        if (state.faults & LISTENER_FAULTS) != before:
            await self._sync_listener(state)
        if self._snmp is not None and fault == "down":
            self._snmp.set_down(name, on)

    async def clear_faults(self, name: str) -> None:
        for fault in list(self.devices[name].faults):
            await self.set_fault(name, fault, False)

    async def set_faults(self, name: str, faults: list[str] | set[str]) -> None:
        """Make ``faults`` exactly the device's faults (empty: a healthy device)."""
        bad = set(faults) - set(FAULTS)
        if bad:
            raise ValueError(f"unknown fault(s) {', '.join(sorted(bad))}; known: {', '.join(FAULTS)}")
        state = self.devices[name]
        for fault in state.faults - set(faults):
            await self.set_fault(name, fault, False)
        for fault in set(faults) - state.faults:
            await self.set_fault(name, fault, True)

    async def reset(self, name: str) -> None:
        """The device as the lab started it: generated config, the lab file's faults, zeroed counters."""
        state = self.devices[name]
        before = state.faults & LISTENER_FAULTS
        state.reset()
        if self.started and (state.faults & LISTENER_FAULTS) != before:
            await self._sync_listener(state)

    def configure(self, name: str, lines: list[str], *, save: bool = False) -> None:
        """Change a device's running config out of band (as if someone typed it on the console)."""
        self.devices[name].configure(lines, save=save)

    def running_config(self, name: str) -> str:
        return self.devices[name].running_config()

    def host_key_store(self):
        """A MemoryHostKeyStore trusting every device's real key (for strict-policy clients)."""
        return self.keys.store_for(self.specs)

    def inventory_csv(self) -> str:
        return inventory_csv(self.specs)

    def inventory_json(self) -> str:
        return inventory_json(self.specs)

    def write_inventory(self, path: str | Path) -> None:
        write_inventory(self.specs, path)


class LabThread:
    """Runs a ``Lab`` in a background thread with its own event loop; every method is synchronous."""

    def __init__(self, devices: list[LabDeviceSpec], data_dir: str | Path = ".netcron/lab", **kwargs) -> None:
        self.lab = Lab(devices, data_dir, **kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="netcron-lab", daemon=True)

    def _call(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> LabThread:
        self._thread.start()
        try:
            self._call(self.lab.start())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._loop.is_running():
            with contextlib.suppress(Exception):
                self._call(self.lab.stop(), 30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # mirrors of the Lab API -------------------------------------------------------------------------------

    @property
    def devices(self) -> dict[str, DeviceState]:
        return self.lab.devices

    @property
    def specs(self) -> list[LabDeviceSpec]:
        return self.lab.specs

    def device(self, name: str) -> DeviceState:
        return self.lab.device(name)

    def set_fault(self, name: str, fault: str, on: bool = True) -> None:
        self._call(self.lab.set_fault(name, fault, on))

    def clear_faults(self, name: str) -> None:
        self._call(self.lab.clear_faults(name))

    def set_faults(self, name: str, faults: list[str] | set[str]) -> None:
        self._call(self.lab.set_faults(name, faults))

    def reset(self, name: str) -> None:
        self._call(self.lab.reset(name))

    def configure(self, name: str, lines: list[str], *, save: bool = False) -> None:
        self._loop.call_soon_threadsafe(lambda: None)  # config changes are plain data; no loop needed
        self.lab.configure(name, lines, save=save)

    def running_config(self, name: str) -> str:
        return self.lab.running_config(name)

    def host_key_store(self):
        return self.lab.host_key_store()

    def inventory_csv(self) -> str:
        return self.lab.inventory_csv()

    def write_inventory(self, path: str | Path) -> None:
        self.lab.write_inventory(path)
