"""ICMP echo sweeps: one socket for any number of targets, paced sends, kernel receive timestamps.

``sweep(addresses, ...)`` sends ``count`` echo requests to every address over a single raw socket
(root or CAP_NET_RAW) or an unprivileged ICMP datagram socket (gid inside ``net.ipv4.ping_group_range``),
matches replies by a per-sweep magic and probe number in the payload, and returns loss and min/avg/max
round-trip times per address. Nothing here forks a process per target, so 10,000 addresses cost one
socket and about as much CPU as fping. ``icmp_access()`` says which socket kind works, and why not.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import ipaddress
import os
import secrets
import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux value; Python does not export it
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
RCVBUF_BYTES = 8 * 1024 * 1024
MIN_PAYLOAD = 8  # magic (4 bytes) + probe number (4 bytes)
_V4 = {"request": 8, "reply": 0, "errors": {3: "unreachable", 11: "time exceeded"}}
_V6 = {"request": 128, "reply": 129, "errors": {1: "unreachable", 3: "time exceeded"}}


@dataclass(frozen=True)
class IcmpAccess:
    """Which ICMP socket this process may open: "raw", "dgram" or None (then ``reason`` says why)."""

    mode: str | None
    reason: str

    @property
    def available(self) -> bool:
        return self.mode is not None


def ping_group_range(path: str = "/proc/sys/net/ipv4/ping_group_range") -> tuple[int, int] | None:
    try:
        low, high = open(path).read().split()  # noqa: SIM115 - a one-shot procfs read
        return int(low), int(high)
    except (OSError, ValueError):
        return None


def icmp_access() -> IcmpAccess:
    """Probe (by opening and closing sockets) whether raw or unprivileged ICMP is available."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
        return IcmpAccess("raw", "raw ICMP socket (root or CAP_NET_RAW)")
    except OSError:
        pass
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP).close()
        return IcmpAccess("dgram", "unprivileged ICMP socket (gid allowed by net.ipv4.ping_group_range)")
    except OSError:
        pass
    rng = ping_group_range()
    shown = f"{rng[0]} {rng[1]}" if rng else "unreadable"
    return IcmpAccess(None, (
        f"ICMP ping unavailable: this process (uid {os.getuid()}, gid {os.getgid()}) is not root and has no "
        f"CAP_NET_RAW, and net.ipv4.ping_group_range = '{shown}' does not include gid {os.getgid()}. "
        "Allow it with `sysctl -w net.ipv4.ping_group_range='0 2147483647'` or grant the worker CAP_NET_RAW."))


@dataclass
class PingStats:
    """Outcome for one address: ``rtts_ms`` holds one entry per reply received in time."""

    address: str
    sent: int = 0
    rtts_ms: list[float] = field(default_factory=list)
    error: str = ""  # last ICMP error or send failure, e.g. "unreachable from 10.0.0.1"

    @property
    def received(self) -> int:
        return len(self.rtts_ms)

    @property
    def alive(self) -> bool:
        return bool(self.rtts_ms)

    @property
    def loss(self) -> float:
        """Fraction of probes without a reply, 0.0 to 1.0 (1.0 when nothing was sent)."""
        return 1.0 if not self.sent else round(1 - min(self.received, self.sent) / self.sent, 4)

    @property
    def min_ms(self) -> float | None:
        return round(min(self.rtts_ms), 3) if self.rtts_ms else None

    @property
    def avg_ms(self) -> float | None:
        return round(sum(self.rtts_ms) / len(self.rtts_ms), 3) if self.rtts_ms else None

    @property
    def max_ms(self) -> float | None:
        return round(max(self.rtts_ms), 3) if self.rtts_ms else None


def _checksum(data: bytes) -> int:
    # RFC 1071 sum in native byte order, stored back in native order: no byte swapping needed.
    if len(data) % 2:
        data += b"\0"
    s = sum(array.array("H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


class _Family:
    """One socket of one address family and the bookkeeping to match its replies."""

    def __init__(self, family: int, mode: str, ident: int, magic: bytes) -> None:
        self.family, self.mode, self.ident, self.magic = family, mode, ident, magic
        self.v4 = family == socket.AF_INET
        self.codes = _V4 if self.v4 else _V6
        proto = socket.IPPROTO_ICMP if self.v4 else socket.IPPROTO_ICMPV6
        kind = socket.SOCK_RAW if mode == "raw" else socket.SOCK_DGRAM
        self.sock = socket.socket(family, kind, proto)
        self.sock.setblocking(False)
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
        except OSError:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)

    def packet(self, probe: int, padding: bytes) -> bytes:
        body = self.magic + struct.pack("!I", probe) + padding
        header = struct.pack("!BBHHH", self.codes["request"], 0, 0, self.ident, probe & 0xFFFF)
        if not self.v4:
            return header + body  # the kernel fills in the ICMPv6 checksum (it covers a pseudo-header)
        csum = _checksum(header + body)
        return header[:2] + struct.pack("H", csum) + header[4:] + body

    def parse(self, data: bytes) -> tuple[str, int, int | None, str | None]:
        """(kind, probe-or-seq, ident, embedded destination): kind is "reply", an error name, or ""."""
        if self.v4 and self.mode == "raw":
            data = data[(data[0] & 0x0F) * 4:] if data else data
        if len(data) < 8:
            return "", -1, None, None
        kind, _code = data[0], data[1]
        if kind == self.codes["reply"]:
            if data[8:12] != self.magic or len(data) < 16:
                return "", -1, None, None
            return "reply", struct.unpack_from("!I", data, 12)[0], None, None
        name = self.codes["errors"].get(kind)
        if name is None or self.mode != "raw":
            return "", -1, None, None
        inner = data[8:]
        if self.v4:
            if len(inner) < 20:
                return "", -1, None, None
            ihl = (inner[0] & 0x0F) * 4
            dest = socket.inet_ntop(socket.AF_INET, inner[16:20])
        else:
            ihl = 40
            dest = socket.inet_ntop(socket.AF_INET6, inner[24:40]) if len(inner) >= 40 else None
        echo = inner[ihl:ihl + 8]
        if len(echo) < 8 or echo[0] != self.codes["request"]:
            return "", -1, None, None
        ident, seq = struct.unpack_from("!HH", echo, 4)
        return name, seq, ident, dest

    def close(self) -> None:
        self.sock.close()


class _Sweep:
    def __init__(self, addresses: list[str], *, count: int, interval: float, timeout: float, payload_size: int,
                 rate: float, retries: int, mode: str, on_progress: Callable[[int, int], object] | None,
                 cancelled: Callable[[], bool] | None) -> None:
        self.addresses = addresses
        self.stats = {a: PingStats(a) for a in addresses}
        self.count, self.interval, self.timeout, self.retries = count, interval, timeout, retries
        self.rate = max(1.0, rate)
        self.padding = bytes(i & 0xFF for i in range(max(0, payload_size - MIN_PAYLOAD)))
        self.mode = mode
        self.on_progress = on_progress
        self.cancelled = cancelled or (lambda: False)
        self.stopped = False
        magic = secrets.token_bytes(4)
        ident = secrets.randbelow(0xFFFF) + 1
        self.families: dict[int, _Family] = {}
        for a in addresses:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            if fam not in self.families:
                self.families[fam] = _Family(fam, mode, ident, magic)
        # probe number -> (address, send time ns, deadline ns); answered probes are removed.
        self.outstanding: dict[int, tuple[str, int, int]] = {}
        self.by_seq: dict[tuple[str, int], int] = {}
        self.next_probe = 0
        self.planned = len(addresses) * count
        self.all_answered = asyncio.Event()
        self.sending = True

    # receiving ------------------------------------------------------------------------------------------

    def _on_readable(self, fam: _Family) -> None:
        while True:
            try:
                data, anc, _flags, addr = fam.sock.recvmsg(2048, 64)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue  # queued ICMP errors surface here on some kernels; replies still follow
            now_ns = time.time_ns()
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                    sec, nsec = struct.unpack("qq", value[:16])
                    now_ns = sec * 1_000_000_000 + nsec
            self._handle(fam, data, addr[0], now_ns)
        if not self.sending and not self.outstanding:
            self.all_answered.set()

    def _handle(self, fam: _Family, data: bytes, source: str, now_ns: int) -> None:
        kind, number, ident, dest = fam.parse(data)
        if kind == "reply":
            entry = self.outstanding.get(number)
            if entry is None or entry[0] != _norm(source):
                return
            address, sent_ns, deadline_ns = entry
            del self.outstanding[number]
            self.by_seq.pop((address, number & 0xFFFF), None)
            if now_ns <= deadline_ns:
                self.stats[address].rtts_ms.append(max(0.0, (now_ns - sent_ns) / 1e6))
        elif kind and ident == fam.ident and dest is not None:
            number = self.by_seq.get((_norm(dest), number))
            if number is not None:
                address = self.outstanding.pop(number)[0]
                self.by_seq.pop((address, number & 0xFFFF), None)
                self.stats[address].error = f"{kind} from {source}"

    # sending --------------------------------------------------------------------------------------------

    async def _send(self, address: str) -> None:
        fam = self.families[socket.AF_INET6 if ":" in address else socket.AF_INET]
        number = self.next_probe
        self.next_probe += 1
        data = fam.packet(number, self.padding)
        stats = self.stats[address]
        for _ in range(100):
            sent_ns = time.time_ns()
            try:
                fam.sock.sendto(data, (address, 0))
            except (BlockingIOError, InterruptedError):
                await asyncio.sleep(0.001)  # send buffer full: let the kernel drain it
                continue
            except OSError as e:
                stats.sent += 1
                stats.error = f"send failed: {e.strerror or type(e).__name__}"
                return
            stats.sent += 1
            self.outstanding[number] = (address, sent_ns, sent_ns + int(self.timeout * 1e9))
            old = self.by_seq.get((address, number & 0xFFFF))
            if old is not None:
                self.outstanding.pop(old, None)  # seq wrapped for this address: the old probe is lost anyway
            self.by_seq[(address, number & 0xFFFF)] = number
            return
        stats.sent += 1
        stats.error = "send failed: socket buffer stayed full"

    async def _round(self, targets: list[str], started: float) -> None:
        for n, address in enumerate(targets):
            if (n & 63) == 63:
                if (n & 4095) == 4095:
                    if self.cancelled():
                        self.stopped = True
                        return
                    if self.on_progress:
                        self.on_progress(min(self.next_probe, self.planned), self.planned)
                ahead = started + n / self.rate - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)
                else:
                    await asyncio.sleep(0)  # let replies in so the receive buffer never overflows
            await self._send(address)

    async def _wait(self, deadline: float) -> None:
        self.sending = False
        if not self.outstanding:
            return
        self.all_answered.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_answered.wait(), max(0.0, deadline - time.monotonic()))
        self.outstanding.clear()
        self.by_seq.clear()
        self.sending = True

    async def run(self) -> dict[str, PingStats]:
        loop = asyncio.get_running_loop()
        for fam in self.families.values():
            loop.add_reader(fam.sock.fileno(), self._on_readable, fam)
        try:
            for r in range(self.count):
                if self.stopped or self.cancelled():
                    break
                started = time.monotonic()
                await self._round(self.addresses, started)
                if self.on_progress:
                    self.on_progress((r + 1) * len(self.addresses), self.planned)
                if r < self.count - 1:
                    await asyncio.sleep(max(0.0, started + self.interval - time.monotonic()))
            await self._wait(time.monotonic() + self.timeout)
            for _ in range(self.retries):
                if self.stopped or self.cancelled():
                    break
                silent = [a for a in self.addresses if not self.stats[a].alive]
                if not silent:
                    break
                await self._round(silent, time.monotonic())
                await self._wait(time.monotonic() + self.timeout)
        finally:
            for fam in self.families.values():
                loop.remove_reader(fam.sock.fileno())
                fam.close()
        return self.stats


def _norm(address: str) -> str:
    return address.split("%", 1)[0]


async def sweep(
    addresses: Iterable[str],
    *,
    count: int = 3,
    interval: float = 0.2,
    timeout: float = 1.0,
    payload_size: int = 56,
    rate: float = 20000.0,
    retries: int = 0,
    mode: str | None = None,
    on_progress: Callable[[int, int], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, PingStats]:
    """Ping every address (IP literals, v4 or v6) and return their stats keyed by address.

    ``interval`` is the pause between rounds (probes to the same address), ``rate`` caps packets per
    second across all targets, ``timeout`` is how long a probe may take, and ``retries`` re-probes
    addresses that never answered. ``mode`` is "raw" or "dgram" (default: what ``icmp_access`` finds).
    ``on_progress(sent, total)`` follows each round; ``cancelled()`` is polled while sending and stops
    the sweep early (addresses not probed yet keep ``sent == 0``).
    Raises ``PermissionError`` with the reason when no ICMP socket is available.
    """
    unique = list(dict.fromkeys(str(ipaddress.ip_address(_norm(a))) for a in addresses))
    if not unique:
        return {}
    if mode is None:
        access = icmp_access()
        if not access.available:
            raise PermissionError(access.reason)
        mode = access.mode
    if mode not in ("raw", "dgram"):
        raise ValueError(f"mode must be 'raw' or 'dgram', not {mode!r}")
    job = _Sweep(unique, count=max(1, count), interval=max(0.0, interval), timeout=max(0.001, timeout),
                 payload_size=max(MIN_PAYLOAD, payload_size), rate=rate, retries=max(0, retries), mode=mode,
                 on_progress=on_progress, cancelled=cancelled)
    return await job.run()
