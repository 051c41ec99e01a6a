"""SNMP get / walk (v2c and v3 USM) on pysnmp 7's asyncio API.

One SnmpEngine per event loop is reused: building an engine costs far more than a request.
"""

from __future__ import annotations

import asyncio
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
    transport = await UdpTransportTarget.create((target.host, target.port), timeout=target.timeout,
                                                retries=target.retries)
    ei, es, ex, binds = await get_cmd(
        _engine(), _auth(target), transport, ContextData(), *(ObjectType(ObjectIdentity(o)) for o in oids)
    )
    _check(target, ei, es, ex)
    return {str(name): _value(val) for name, val in binds}


async def snmp_walk(target: SnmpTarget, root: str, *, max_rows: int = 100_000) -> list[tuple[str, object]]:
    """All (oid, value) under ``root``, using GETBULK."""
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
