"""The checks themselves, on plain data (no Django): ping sweep, tcp, snmp, ssh login, netconf hello.

``probe()`` runs in its own event loop: one ICMP sweep over every device first (a single socket), then
the other checks per device, ``concurrency`` devices at a time, each check under its own time limit.
Every finished device is handed to ``emit`` at once, so the caller can record while others still run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from netcron.executors.reachability.evaluate import ping_row, port_row, row
from netcron.executors.reachability.params import ReachabilityParams
from netcron.executors.reachability.snmp_sweep import Answer, get_many
from netcron.lib import dns, netconf, ping
from netcron.lib.concurrency import run_bounded
from netcron.lib.hostkeys import HostKeyStore
from netcron.lib.snmp import SnmpTarget, snmp_get
from netcron.lib.ssh import DeviceError, DeviceSpec, connect
from netcron.lib.tcp import tcp_check
from netcron.reachability.recording import CheckRow

SYS_UPTIME, SYS_NAME = "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0"
# The credential API speaks in upper case and knows more algorithms than lib/snmp implements.
SNMP_AUTH = {"": "sha", "MD5": "md5", "SHA": "sha", "SHA256": "sha256"}
SNMP_PRIV = {"": "aes", "DES": "des", "AES": "aes", "AES128": "aes"}


@dataclass(frozen=True)
class Target:
    """A device as the checks see it; secrets live only in memory, never in logs or results."""

    device_id: int
    name: str
    host: str
    port: int
    platform: str
    username: str = ""
    password: str = field(default="", repr=False)
    host_key_policy: str = "tofu"
    snmp_version: str = "2c"
    snmp_community: str = field(default="", repr=False)
    snmp_auth_key: str = field(default="", repr=False)
    snmp_priv_key: str = field(default="", repr=False)
    snmp_auth_protocol: str = ""
    snmp_priv_protocol: str = ""


@dataclass
class Finding:
    target: Target
    address: str | None
    rows: list[CheckRow]
    data: dict = field(default_factory=dict)
    seconds: float = 0.0


class Probe:
    def __init__(self, params: ReachabilityParams, checks: list[str], *, ping_mode: str | None,
                 host_keys: HostKeyStore | None, emit: Callable[[Finding], object],
                 cancelled: Callable[[], bool] = lambda: False) -> None:
        self.params, self.checks, self.ping_mode = params, checks, ping_mode
        self.host_keys, self.emit, self.cancelled = host_keys, emit, cancelled
        self.timeout = params.timeout_s
        self.addresses: dict[str, dns.Lookup] = {}
        self.pings: dict[str, ping.PingStats] = {}
        self.snmp_v2c: dict[int, Answer] = {}
        self.ping_error = ""
        self.threads = ThreadPoolExecutor(max_workers=min(64, params.concurrency), thread_name_prefix="nc-netconf")

    async def run(self, targets: list[Target]) -> None:
        try:
            self.addresses = await dns.resolve_hosts([t.host for t in targets], timeout=self.timeout)
            if "ping" in self.checks and not self.cancelled():
                await self._sweep()
            if "snmp" in self.checks and not self.cancelled():
                await self._snmp_sweep(targets)
            await run_bounded(self._device, targets, limit=self.params.concurrency, cancel=self.cancelled)
        finally:
            self.threads.shutdown(wait=False, cancel_futures=True)

    async def _sweep(self) -> None:
        p = self.params.ping
        wanted = [lk.names[0] for lk in self.addresses.values() if lk.names]
        try:
            self.pings = await ping.sweep(wanted, count=p.count, interval=p.interval_ms / 1000,
                                          timeout=p.timeout_ms / 1000, payload_size=p.packet_size, rate=p.rate,
                                          mode=self.ping_mode)
        except (PermissionError, OSError) as e:
            self.ping_error = f"ping unavailable: {e}"

    async def _snmp_sweep(self, targets: list[Target]) -> None:
        """v1/v2c agents all at once over one socket; SNMPv3 targets are checked one by one later."""
        requests = []
        for t in targets:
            lookup = self.addresses.get(t.host)
            if t.snmp_version in ("1", "2c") and t.snmp_community and lookup and lookup.names:
                requests.append((t.device_id, lookup.names[0], self.params.snmp_port, t.snmp_version,
                                 t.snmp_community))
        if requests:
            self.snmp_v2c = await get_many(requests, [SYS_UPTIME, SYS_NAME], timeout=self.timeout / 2, retries=1)

    async def _device(self, target: Target) -> None:
        started = time.perf_counter()
        lookup = self.addresses.get(target.host)
        address = lookup.names[0] if lookup and lookup.names else None
        finding = Finding(target, address, [])
        for check in self.checks:
            if address is None:
                finding.rows.append(row(check, False, error=f"DNS: {lookup.error if lookup else 'not looked up'}"))
            else:
                finding.rows.append(await self._check(check, target, address, finding.data))
            if self.params.mode == "until_failure" and finding.rows[-1].state == "down":
                break
        finding.seconds = time.perf_counter() - started
        self.emit(finding)

    async def _check(self, check: str, target: Target, address: str, data: dict) -> CheckRow:
        if check == "ping":
            if self.ping_error:
                return row("ping", False, error=self.ping_error)
            return ping_row(self.pings.get(address), self.params.latency_threshold_ms)
        if check == "tcp":
            ports = self.params.tcp_ports or [target.port]
            results = await asyncio.gather(*(tcp_check(address, p, timeout=self.timeout) for p in ports))
            data["open_ports"] = [r.port for r in results if r.ok]
            return port_row(results, self.params.latency_threshold_ms)
        if check == "snmp" and target.device_id in self.snmp_v2c:
            return _snmp_row(self.snmp_v2c[target.device_id], data)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                info = await getattr(self, f"_{check}")(target, address)
        except TimeoutError:
            return row(check, False, error=f"timeout: no answer within {self.timeout:g}s")
        except DeviceError as e:
            return row(check, False, error=f"{e.kind}: {e.message}")
        except Exception as e:  # one device's odd failure is its check result, never a skipped device
            return row(check, False, error=f"{type(e).__name__}: {str(e)[:120]}")
        data[check] = info
        return row(check, True, latency=(time.perf_counter() - started) * 1000)

    async def _snmp(self, t: Target, address: str) -> dict:
        if t.snmp_version == "3":
            if t.snmp_auth_protocol not in SNMP_AUTH or t.snmp_priv_protocol not in SNMP_PRIV:
                raise ValueError(f"SNMPv3 {t.snmp_auth_protocol or '-'}/{t.snmp_priv_protocol or '-'} is not "
                                 "supported (supported: MD5/SHA/SHA256 with DES/AES128)")
            user = self.params.snmp_v3_user or t.username
            if not user:
                raise ValueError("SNMPv3 needs a user: set snmp_v3_user or the credential's username")
            spec = SnmpTarget(address, self.params.snmp_port, "3", user=user,
                              auth_key=t.snmp_auth_key or None, auth_protocol=SNMP_AUTH[t.snmp_auth_protocol],
                              priv_key=t.snmp_priv_key or None, priv_protocol=SNMP_PRIV[t.snmp_priv_protocol],
                              timeout=self.timeout / 2, retries=1)
        else:
            if not t.snmp_community:
                raise ValueError("no SNMP community: set snmp_community on the device's credential")
            spec = SnmpTarget(address, self.params.snmp_port, t.snmp_version, community=t.snmp_community,
                              timeout=self.timeout / 2, retries=1)
        return _system(await snmp_get(spec, [SYS_UPTIME, SYS_NAME]))

    def _spec(self, t: Target, port: int | None) -> DeviceSpec:
        if not t.username:
            raise ValueError("no credential with a username for this device")
        return DeviceSpec(t.host, t.platform, t.username, t.password, port=port or t.port, name=t.name,
                          connect_timeout=self.timeout, command_timeout=self.timeout,
                          host_key_policy=t.host_key_policy, host_keys=self.host_keys, auto_enable=False)

    async def _ssh(self, t: Target, address: str) -> dict:
        async with connect(self._spec(t, self.params.ssh_port)) as session:
            return {"prompt": session.prompt.strip()[-60:]}

    async def _netconf(self, t: Target, address: str) -> dict:
        spec = self._spec(t, self.params.netconf_port)
        return await asyncio.get_running_loop().run_in_executor(self.threads, _netconf_hello, spec)


def _system(values: dict) -> dict:
    uptime, name = values.get(SYS_UPTIME), values.get(SYS_NAME)
    if uptime is None and name is None:
        raise ValueError("the agent has neither sysUpTime nor sysName")
    return {"sys_name": name if isinstance(name, str) else "",
            "uptime_s": uptime / 100 if isinstance(uptime, int) else None}


def _snmp_row(answer: Answer, data: dict) -> CheckRow:
    if answer.error:
        return row("snmp", False, error=answer.error)
    try:
        data["snmp"] = _system(answer.values)
    except ValueError as e:
        return row("snmp", False, error=str(e))
    return row("snmp", True, latency=answer.latency_ms)


def _netconf_hello(spec: DeviceSpec) -> dict:
    # lib/netconf has no public hello yet; _connect applies the host-key policy like get/get_config do.
    session = netconf._connect(spec)
    try:
        caps = sorted(session.server_capabilities)
        return {"capabilities": len(caps), "base_1_1": "urn:ietf:params:netconf:base:1.1" in caps,
                "session_id": str(getattr(session, "session_id", "") or "")}
    finally:
        with contextlib.suppress(Exception):
            session.close_session()
