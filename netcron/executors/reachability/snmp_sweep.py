"""SNMP v1/v2c GET for many agents over one UDP socket: hand-rolled BER, request-id matching, retries.

Why not lib/snmp (pysnmp hlapi) for this: hlapi adds a target entry to the engine's configuration for
every new agent address, and pysnmp rebuilds its transport-to-tag map by walking all entries after each
addition, so a pass over N distinct agents costs O(N^2) (seconds at 1,000 agents, minutes at 10,000).
A GET of two scalars needs none of that machinery. SNMPv3 (USM) still goes through lib/snmp.
No Django here: this belongs in netcron/lib (see the report that came with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass, field

_INT, _OCTETS, _NULL, _OID, _SEQ = 0x02, 0x04, 0x05, 0x06, 0x30
_GET, _RESPONSE = 0xA0, 0xA2
_UNSIGNED = {0x41, 0x42, 0x43, 0x46}  # Counter32, Gauge32, TimeTicks, Counter64
_IPADDR = 0x40
_MISSING = {0x80, 0x81, 0x82}  # noSuchObject, noSuchInstance, endOfMibView


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _length(len(value)) + value


def _int(n: int) -> bytes:
    return _tlv(_INT, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def _oid(text: str) -> bytes:
    arcs = [int(x) for x in text.strip(".").split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _tlv(_OID, bytes(out))


def encode_get(version: str, community: str, request_id: int, oids: list[str]) -> bytes:
    binds = b"".join(_tlv(_SEQ, _oid(o) + _tlv(_NULL, b"")) for o in oids)
    pdu = _tlv(_GET, _int(request_id) + _int(0) + _int(0) + _tlv(_SEQ, binds))
    return _tlv(_SEQ, _int(0 if version == "1" else 1) + _tlv(_OCTETS, community.encode()) + pdu)


def _read(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, value, next position) of the TLV at ``pos``."""
    tag, n = data[pos], data[pos + 1]
    pos += 2
    if n & 0x80:
        size = n & 0x7F
        n = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    if pos + n > len(data):
        raise ValueError("truncated")
    return tag, data[pos:pos + n], pos + n


def _oid_text(raw: bytes) -> str:
    arcs, value = [], 0
    for b in raw:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(a) for a in head + arcs[1:])


def _value(tag: int, raw: bytes):
    if tag == _INT:
        return int.from_bytes(raw, "big", signed=True)
    if tag in _UNSIGNED:
        return int.from_bytes(raw, "big")
    if tag == _OCTETS:
        with contextlib.suppress(UnicodeDecodeError):
            text = raw.decode()
            if text.isprintable():
                return text
        return raw
    if tag == _OID:
        return _oid_text(raw)
    if tag == _IPADDR and len(raw) == 4:
        return socket.inet_ntoa(raw)
    return None  # NULL, noSuchObject/Instance, endOfMibView, or a type we do not read


def decode_response(data: bytes) -> tuple[int, int, int, dict[str, object]]:
    """(request id, error status, error index, {oid: value}) of a GetResponse; raises ValueError."""
    tag, message, _ = _read(data, 0)
    if tag != _SEQ:
        raise ValueError("not an SNMP message")
    _, _version, pos = _read(message, 0)
    _, _community, pos = _read(message, pos)
    tag, pdu, _ = _read(message, pos)
    if tag != _RESPONSE:
        raise ValueError("not a response PDU")
    _, rid, pos = _read(pdu, 0)
    _, status, pos = _read(pdu, pos)
    _, index, pos = _read(pdu, pos)
    _, binds, _ = _read(pdu, pos)
    values, pos = {}, 0
    while pos < len(binds):
        _, bind, pos = _read(binds, pos)
        _, name, at = _read(bind, 0)
        vtag, raw, _ = _read(bind, at)
        values[_oid_text(name)] = _value(vtag, raw)
    as_int = lambda b: int.from_bytes(b, "big", signed=True)  # noqa: E731
    return as_int(rid), as_int(status), as_int(index), values


@dataclass
class Answer:
    values: dict[str, object] = field(default_factory=dict)
    latency_ms: float | None = None
    error: str = ""  # "timeout", "error-status 2 at index 1", "bad address"


@dataclass
class _Request:
    rid: int
    key: object
    address: tuple[str, int]
    packet: bytes
    tries: int = 0
    sent_at: float = 0.0


async def get_many(requests: list[tuple[object, str, int, str, str]], oids: list[str], *, timeout: float = 2.0,
                   retries: int = 1, rate: float = 5000.0) -> dict[object, Answer]:
    """GET ``oids`` from each (key, ip, port, version "1"/"2c", community); answers keyed by ``key``."""
    answers: dict[object, Answer] = {}
    pending: dict[int, _Request] = {}
    base = secrets.randbelow(1 << 30)
    socks: dict[int, socket.socket] = {}
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def readable(sock: socket.socket) -> None:
        while True:
            try:
                data, peer = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue  # ICMP port unreachable from an earlier send: the retry or timeout decides
            try:
                rid, status, index, values = decode_response(data)
            except (ValueError, IndexError):
                continue
            req = pending.get(rid)
            if req is None or (peer[0], peer[1]) != req.address:
                continue
            del pending[rid]
            answer = answers[req.key]
            answer.latency_ms = round((time.perf_counter() - req.sent_at) * 1000, 3)
            answer.values = values
            if status:
                answer.error = f"error-status {status} at index {index}"
        if not pending:
            done.set()

    def sock_for(ip: str) -> socket.socket:
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        if family not in socks:
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.setblocking(False)
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            socks[family] = s
            loop.add_reader(s.fileno(), readable, s)
        return socks[family]

    async def send(batch: list[_Request]) -> None:
        started = time.monotonic()
        for n, req in enumerate(batch):
            if n and n % 64 == 0:
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            req.tries += 1
            req.sent_at = time.perf_counter()
            try:
                sock_for(req.address[0]).sendto(req.packet, req.address)
            except OSError as e:
                pending.pop(req.rid, None)
                answers[req.key].error = f"send failed: {e.strerror or type(e).__name__}"

    try:
        for i, (key, ip, port, version, community) in enumerate(requests):
            answers[key] = Answer()
            try:
                ip = str(ipaddress.ip_address(ip))
            except ValueError:
                answers[key].error = "bad address"
                continue
            rid = (base + i) & 0x7FFFFFFF
            pending[rid] = _Request(rid, key, (ip, port), encode_get(version, community, rid, oids))
        for _attempt in range(retries + 1):
            if not pending:
                break
            done.clear()
            await send(list(pending.values()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout)
        for req in pending.values():
            answers[req.key].error = f"timeout: no SNMP response within {timeout:g}s x {req.tries}"
    finally:
        for s in socks.values():
            loop.remove_reader(s.fileno())
            s.close()
    return answers
