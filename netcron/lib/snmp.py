"""SNMP get / walk: v1 and v2c on a minimal BER codec over asyncio UDP, v3 (USM) on pysnmp 7's asyncio API.

pysnmp's high-level API costs 5-13 ms of CPU per v2c GET when polling a fleet (its per-target config
tables grow with every target; bench/lab_snmp.py), more than everything else a reachability check does;
v1/v2c need no engine state at all, so they are one datagram out and one in (``snmp_ber``), ~0.1 ms.
For v3, one SnmpEngine per event loop is reused: building an engine costs far more than a request.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_walk_cmd,
    get_cmd,
    usmAesCfb128Protocol,
    usmDESPrivProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
)
from pysnmp.hlapi.v3arch.asyncio import usmHMAC192SHA256AuthProtocol as _SHA256

from netcron.lib import snmp_ber as ber
from netcron.lib.ssh.errors import DeviceError, Timeout

_AUTH = {"md5": usmHMACMD5AuthProtocol, "sha": usmHMACSHAAuthProtocol, "sha256": _SHA256, None: usmNoAuthProtocol}
_PRIV = {"des": usmDESPrivProtocol, "aes": usmAesCfb128Protocol, None: usmNoPrivProtocol}


class SnmpError(DeviceError):
    kind = "snmp_error"


@dataclass(frozen=True)
class SnmpTarget:
    host: str
    port: int = 161
    version: str = "2c"  # "2c" or "3"
    community: str = field(default="public", repr=False)
    user: str = ""
    auth_key: str | None = field(default=None, repr=False)
    auth_protocol: str | None = "sha"
    priv_key: str | None = field(default=None, repr=False)
    priv_protocol: str | None = "aes"
    timeout: float = 2.0
    retries: int = 1

    @property
    def label(self) -> str:
        return self.host if self.port == 161 else f"{self.host}:{self.port}"


_engines: dict[asyncio.AbstractEventLoop, SnmpEngine] = {}


def _engine() -> SnmpEngine:
    loop = asyncio.get_running_loop()
    eng = _engines.get(loop)
    if eng is None:
        for old in [lp for lp in _engines if lp.is_closed()]:
            del _engines[old]
        eng = _engines[loop] = SnmpEngine()
    return eng


def _auth(t: SnmpTarget):
    if t.version in ("1", "2c"):
        return CommunityData(t.community, mpModel=0 if t.version == "1" else 1)
    auth = _AUTH[t.auth_protocol if t.auth_key else None]
    priv = _PRIV[t.priv_protocol if t.priv_key else None]
    return UsmUserData(t.user, authKey=t.auth_key, privKey=t.priv_key, authProtocol=auth, privProtocol=priv)


def _check(t: SnmpTarget, error_indication, error_status, error_index) -> None:
    if error_indication:
        text = str(error_indication)
        if "timeout" in text.lower() or "no snmp response" in text.lower():
            raise Timeout(f"no SNMP response within {t.timeout:g}s", target=t.label)
        raise SnmpError(text[:120], target=t.label)
    if error_status:
        raise SnmpError(f"{error_status.prettyPrint()} at index {int(error_index)}", target=t.label)


def _value(v):
    """Plain Python values: int for numbers, str for text and OIDs, bytes when not printable."""
    from pysnmp.proto import rfc1902, rfc1905

    if isinstance(v, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | rfc1905.EndOfMibView):
        return None
    if hasattr(v, "get_oid"):  # hlapi resolves OID values to ObjectIdentity
        v = v.get_oid()
    if isinstance(v, rfc1902.ObjectIdentifier):
        return ".".join(str(x) for x in tuple(v))  # numeric, never MIB-resolved names
    if isinstance(v, rfc1902.OctetString):
        raw = bytes(v)
        try:
            text = raw.decode()
            return text if text.isprintable() else raw
        except UnicodeDecodeError:
            return raw
    if isinstance(v, rfc1902.Integer | rfc1902.Integer32 | rfc1902.Counter32 | rfc1902.Counter64
                  | rfc1902.Gauge32 | rfc1902.TimeTicks | rfc1902.Unsigned32):
        return int(v)
    return v.prettyPrint()


async def snmp_get(target: SnmpTarget, oids: list[str]) -> dict[str, object]:
    """Values of ``oids`` (numeric strings); None for OIDs the agent does not have."""
    numeric = _numeric(oids)
    if target.version in ("1", "2c") and numeric is not None:
        rows = await _request(target, ber.GET, numeric)
        return {_dotted(o): _plain(tag, raw) for o, tag, raw in rows}
    transport = await UdpTransportTarget.create((target.host, target.port), timeout=target.timeout,
                                                retries=target.retries)
    ei, es, ex, binds = await get_cmd(
        _engine(), _auth(target), transport, ContextData(), *(ObjectType(ObjectIdentity(o)) for o in oids)
    )
    _check(target, ei, es, ex)
    return {str(name): _value(val) for name, val in binds}


async def snmp_walk(target: SnmpTarget, root: str, *, max_rows: int = 100_000) -> list[tuple[str, object]]:
    """All (oid, value) under ``root``, using GETBULK (GETNEXT on v1)."""
    numeric = _numeric([root])
    if target.version in ("1", "2c") and numeric is not None:
        return await _walk(target, numeric[0], max_rows)
    transport = await UdpTransportTarget.create((target.host, target.port), timeout=target.timeout,
                                                retries=target.retries)
    out: list[tuple[str, object]] = []
    async for ei, es, ex, binds in bulk_walk_cmd(
        _engine(), _auth(target), transport, ContextData(), 0, 25, ObjectType(ObjectIdentity(root)),
        lexicographicMode=False,
    ):
        _check(target, ei, es, ex)
        for name, val in binds:
            out.append((str(name), _value(val)))
        if len(out) >= max_rows:
            break
    return out


# v1 / v2c without pysnmp --------------------------------------------------------------------------------------

_ERROR_STATUS = ("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
                 "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
                 "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable",
                 "inconsistentName")
_IP_ADDRESS, _COUNTER64, _UNSIGNED = 0x40, 0x46, 0x42
_EXCEPTIONS = (0x80, 0x81, 0x82)  # noSuchObject, noSuchInstance, endOfMibView


def _numeric(oids: list[str]) -> list[tuple[int, ...]] | None:
    """The OIDs as tuples, or None if any is not numeric (MIB names go through pysnmp)."""
    out = []
    for text in oids:
        try:
            out.append(tuple(int(x) for x in text.strip().lstrip(".").split(".")))
        except ValueError:
            return None
        if len(out[-1]) < 2:
            return None
    return out


def _dotted(oid: tuple[int, ...]) -> str:
    return ".".join(map(str, oid))


def _plain(tag: int, raw: bytes):
    """The same plain values as ``_value``: int, str (text and OIDs), bytes, None."""
    if tag == ber.OCTET_STRING:
        try:
            text = raw.decode()
            return text if text.isprintable() else raw
        except UnicodeDecodeError:
            return raw
    if tag == ber.INTEGER:
        return int.from_bytes(raw, "big", signed=True)
    if tag in (ber.COUNTER32, _UNSIGNED, ber.TIMETICKS, _COUNTER64):
        return int.from_bytes(raw, "big")
    if tag == ber.OID:
        return _dotted(ber.decode_oid(raw))
    if tag == _IP_ADDRESS:
        return ".".join(str(b) for b in raw)
    if tag in _EXCEPTIONS or tag == ber.NULL:
        return None
    return raw


class _Replies(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future] = {}

    def datagram_received(self, data: bytes, addr) -> None:
        try:
            reply = ber.parse_response(data)
        except (ber.BerError, ValueError):
            return  # not an answer to us: keep waiting
        fut = self.waiting.pop(reply[0], None)
        if fut is not None and not fut.done():
            fut.set_result(reply)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP port unreachable and the like: the request times out, as with pysnmp


async def _request(target: SnmpTarget, pdu: int, oids: list[tuple[int, ...]], a: int = 0, b: int = 0,
                   endpoint=None) -> list[tuple[tuple[int, ...], int, bytes]]:
    """Send one request (with retries) and return the response's varbinds; raises Timeout / SnmpError."""
    loop = asyncio.get_running_loop()
    own = endpoint is None
    if own:
        endpoint = await _endpoint(target)
    transport, replies = endpoint
    version = ber.V1 if target.version == "1" else ber.V2C
    try:
        for _ in range(target.retries + 1):
            request_id = random.randint(1, 2**31 - 1)
            fut = replies.waiting[request_id] = loop.create_future()
            transport.sendto(ber.request(version, target.community.encode(), pdu, request_id, oids, a, b))
            try:
                async with asyncio.timeout(target.timeout):
                    _, status, index, rows = await fut
            except TimeoutError:
                replies.waiting.pop(request_id, None)
                continue
            if status:
                name = _ERROR_STATUS[status] if status < len(_ERROR_STATUS) else f"error {status}"
                raise SnmpError(f"{name} at index {index}", target=target.label)
            return rows
        raise Timeout(f"no SNMP response within {target.timeout:g}s", target=target.label)
    finally:
        if own:
            transport.close()


async def _endpoint(target: SnmpTarget):
    try:
        return await asyncio.get_running_loop().create_datagram_endpoint(
            _Replies, remote_addr=(target.host, target.port))
    except OSError as e:
        raise SnmpError(e.strerror or str(e), target=target.label) from None


async def _walk(target: SnmpTarget, root: tuple[int, ...], max_rows: int) -> list[tuple[str, object]]:
    endpoint = await _endpoint(target)
    out: list[tuple[str, object]] = []
    cursor = root
    try:
        while len(out) < max_rows:
            if target.version == "1":
                try:
                    rows = await _request(target, ber.GETNEXT, [cursor], endpoint=endpoint)
                except SnmpError as e:
                    if "noSuchName" in str(e):  # v1's end of the MIB
                        break
                    raise
            else:
                rows = await _request(target, ber.GETBULK, [cursor], 0, 25, endpoint=endpoint)
            progressed = False
            for oid, tag, raw in rows:
                if tag == 0x82 or oid[: len(root)] != root or oid <= cursor:
                    return out  # end of the MIB, the subtree, or an agent going backwards
                out.append((_dotted(oid), _plain(tag, raw)))
                cursor, progressed = oid, True
                if len(out) >= max_rows:
                    break
            if not progressed:
                break
    finally:
        endpoint[0].close()
    return out
