"""Prefix scan: one ICMP sweep over every address, then DNS names and TCP ports of the alive ones.

The sweep runs in a background event loop; this thread reports progress, forwards cancel requests and
writes the results once the sweep is done.
"""

from __future__ import annotations

import asyncio
import threading
import time

from django.utils import timezone

from netcron.executors.base import JobFailed
from netcron.executors.scan_prefixes.params import ScanParams
from netcron.executors.scan_prefixes.targets import TooMany, expand, inventory_prefixes
from netcron.lib import concurrency, dns, ping
from netcron.lib.concurrency import run_bounded
from netcron.lib.tcp import tcp_check
from netcron.reachability.discovery import Action, Seen, record_scan


class _Sweep:
    """The async half: everything network, no database."""

    def __init__(self, params: ScanParams, addresses: dict[str, str], mode: str | None) -> None:
        self.params, self.addresses, self.mode = params, addresses, mode
        self.done = 0
        self.total = len(addresses)
        self.stop = threading.Event()
        self.seen: dict[str, Seen] = {}

    def _progress(self, sent: int, planned: int) -> None:
        self.done = int(sent / max(planned, 1) * self.total)

    async def run(self) -> None:
        p = self.params
        if self.mode is not None:
            stats = await ping.sweep(list(self.addresses), count=p.ping_count, interval=p.interval_ms / 1000,
                                     timeout=p.timeout_ms / 1000, rate=p.rate, retries=p.retries, mode=self.mode,
                                     on_progress=self._progress, cancelled=self.stop.is_set)
            for address, prefix in self.addresses.items():
                s = stats.get(address)
                self.seen[address] = Seen(address, prefix, bool(s and s.alive), s.avg_ms if s else None)
        else:
            self.seen = {a: Seen(a, prefix, False) for a, prefix in self.addresses.items()}
        self.done = self.total
        if p.tcp_ports and not self.stop.is_set():
            await self._ports([s for s in self.seen.values() if s.alive or self.mode is None])
        if p.resolve_dns and not self.stop.is_set():
            names = await dns.reverse_lookups([s.address for s in self.seen.values() if s.alive],
                                              servers=p.dns_servers, timeout=p.dns_timeout_ms / 1000)
            for address, lookup in names.items():
                self.seen[address].dns_name = lookup.name

    async def _ports(self, hosts: list[Seen]) -> None:
        timeout = self.params.tcp_timeout_ms / 1000

        async def probe(s: Seen) -> None:
            results = await asyncio.gather(*(tcp_check(s.address, port, timeout=timeout)
                                             for port in self.params.tcp_ports))
            s.open_ports = [r.port for r in results if r.ok]
            if self.mode is None and any(r.ok or r.error == "refused" for r in results):
                s.alive = True  # without ICMP, an answer on any port (even a reset) shows the host is there
                s.latency_ms = min((r.latency_ms for r in results if r.latency_ms is not None), default=None)

        await run_bounded(probe, hosts, limit=500, cancel=self.stop.is_set)


def execute(ctx, params: ScanParams) -> dict:
    started = time.monotonic()
    prefixes = list(params.prefixes)
    if params.uses_inventory():
        found = inventory_prefixes(params)
        ctx.log(f"prefixes from the inventory: {', '.join(found) or 'none'}")
        prefixes += [p for p in found if p not in prefixes]
    try:
        addresses = expand(prefixes, params.include, params.exclude, params.max_ips)
    except TooMany as e:
        raise JobFailed(str(e)) from None
    if not addresses:
        ctx.log("nothing to scan: no prefixes (or everything excluded)", "warning")
        return {"prefixes": [], "alive": 0, "total": 0}
    access = ping.icmp_access()
    if not access.available:
        if not params.tcp_ports:
            raise JobFailed(f"{access.reason} Set tcp_ports to discover hosts by TCP instead.")
        ctx.log(f"{access.reason} Falling back to TCP probes of ports {params.tcp_ports}.", "warning")
    ctx.log(f"scanning {len(addresses)} address(es) in {len(prefixes) + len(params.include)} prefix(es)")
    sweep = _Sweep(params, addresses, access.mode)
    failure: list[BaseException] = []

    def work() -> None:
        try:
            concurrency.run(sweep.run())
        except BaseException as e:  # reported by this thread below
            failure.append(e)

    worker = threading.Thread(target=work, name=f"scan-run-{ctx.run_id}", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.25)
        ctx.progress(min(sweep.done, sweep.total), sweep.total)
        if ctx.is_cancelled():
            sweep.stop.set()
    ctx.progress(min(sweep.done, sweep.total), sweep.total)
    if failure:
        raise JobFailed(f"scan crashed: {type(failure[0]).__name__}: {failure[0]}") from failure[0]
    if sweep.stop.is_set():
        return {"cancelled": True, "total": len(addresses)}
    seen = [s for s in sweep.seen.values() if s.alive or params.keep_silent]
    action = Action(params.action, tag=params.tag, platform=params.create_platform, active=params.create_active,
                    response_field=params.response_custom_field_name)
    counts = record_scan(ctx.run_id, seen, timezone.now(), action)
    summary = _per_prefix(sweep.seen.values())
    alive = sum(p["alive"] for p in summary)
    ctx.log(f"{alive} of {len(addresses)} address(es) alive; {counts['new_addresses']} new, "
            f"{counts['created']} device(s) created, {counts['tagged']} tagged")
    return {"prefixes": summary, "alive": alive, "total": len(addresses), "ping": access.mode or "unavailable",
            **counts, "seconds": round(time.monotonic() - started, 2)}


def _per_prefix(seen) -> list[dict]:
    out: dict[str, dict] = {}
    for s in seen:
        entry = out.setdefault(s.prefix, {"prefix": s.prefix, "alive": 0, "total": 0})
        entry["total"] += 1
        entry["alive"] += s.alive
    return list(out.values())
