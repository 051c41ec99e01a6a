"""SNMP agent for every lab device: one UDP socket per device address; v1/v2c answered directly, v3 by pysnmp.

v1/v2c GET/GETNEXT/GETBULK (what pollers and reachability checks send) go through a small responder on
pre-encoded values (``netcron.lib.snmp_ber``): ~25 us of lab CPU per GET instead of ~1.4 ms through
pysnmp's engine (bench/lab_snmp.py), so one process serves 10,000 devices. SNMPv3 needs USM (engine
discovery, auth, privacy), which stays pysnmp's job: the first v3 message for a device registers a
socket-less pysnmp transport that answers through the device's own socket.

Each device serves the SNMPv2-MIB system group and IF-MIB ifNumber/ifTable/ifName/ifAlias built from its
live state. The scalars are cached per device until its config changes; the larger interface rows are
built on first use and kept in a bounded LRU (10,000 devices of full tables would be ~1 GB).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import socket
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from netcron.lib import snmp_ber as ber

if TYPE_CHECKING:
    from .device import DeviceState

log = logging.getLogger(__name__)

SYS_OBJECT_ID = {
    "cisco_ios": "1.3.6.1.4.1.9.1.2494",
    "cisco_nxos": "1.3.6.1.4.1.9.12.3.1.3.1812",
    "arista_eos": "1.3.6.1.4.1.30065.1.3011.7050.3741.48",
    "juniper_junos": "1.3.6.1.4.1.2636.1.1.1.2.157",
    "mikrotik_routeros": "1.3.6.1.4.1.14988.1",
    "linux": "1.3.6.1.4.1.8072.3.2.10",
}
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
MAX_RESPONSE = 65000  # bytes; a GETBULK reply stops growing here (RFC 3416 4.2.3), a GET reply is tooBig
TABLE_CACHE = 1000  # devices whose interface rows are kept encoded

# Value kinds of the MIB rows and their BER tags.
_TAGS = {"int": ber.INTEGER, "str": ber.OCTET_STRING, "oid": ber.OID, "counter": ber.COUNTER32,
         "gauge": ber.GAUGE32, "ticks": ber.TIMETICKS}

Row = tuple[tuple[int, ...], str, Any]  # (oid, kind, value)


def sys_descr(state: DeviceState) -> str:
    f = state.facts
    return {
        "cisco_ios": f"Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version "
                     f"{f.version}, RELEASE SOFTWARE (fc3)",
        "cisco_nxos": f"Cisco NX-OS(tm) Nexus9000, Software (NXOS 64-bit), Version {f.version}, RELEASE SOFTWARE",
        "arista_eos": f"Arista Networks EOS version {f.version} running on an Arista {f.model}",
        "juniper_junos": f"Juniper Networks, Inc. {f.model} internet router, kernel JUNOS {f.version}",
        "mikrotik_routeros": f"RouterOS {f.model}",
        "linux": f"Linux {state.hostname} {f.version} #115-Ubuntu SMP x86_64",
    }[state.spec.platform]


def oid(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def _uptime_ticks(state: DeviceState) -> int:
    return int(state.uptime.total_seconds() * 100) % 2**32


def scalar_rows(state: DeviceState) -> list[Row]:
    """The system group and ifNumber, sorted. ifNumber needs the interfaces, so it is computed here too."""
    system = (1, 3, 6, 1, 2, 1, 1)
    return [
        ((*system, 1, 0), "str", sys_descr(state)),
        ((*system, 2, 0), "oid", oid(SYS_OBJECT_ID[state.spec.platform])),
        (SYS_UPTIME, "ticks", None),  # live: encoded per request
        ((*system, 4, 0), "str", state.facts.contact),
        ((*system, 5, 0), "str", state.hostname),
        ((*system, 6, 0), "str", state.facts.location),
        ((*system, 7, 0), "int", 6),
        ((1, 3, 6, 1, 2, 1, 2, 1, 0), "int", len(state.new_cli().interfaces())),
    ]


def table_rows(state: DeviceState) -> list[Row]:
    """ifTable columns, then ifXTable ifName and ifAlias, sorted (every row sorts after the scalars)."""
    ifaces = state.new_cli().interfaces()
    columns: list[tuple[int, str, Callable]] = [
        (1, "int", lambda i: i.index),
        (2, "str", lambda i: i.name),
        (3, "int", lambda i: 24 if i.name.lower().startswith(("lo", "loopback")) else 6),
        (4, "int", lambda i: i.mtu),
        (5, "gauge", lambda i: min(i.speed_mbps * 1_000_000, 2**32 - 1)),
        (6, "str", lambda i: bytes(int(b, 16) for b in i.mac.split(":"))),
        (7, "int", lambda i: 1 if i.enabled else 2),
        (8, "int", lambda i: 1 if i.oper_up else 2),
        (10, "counter", lambda i: (i.index * 7919 * 412) % 2**32),
        (16, "counter", lambda i: (i.index * 7331 * 388) % 2**32),
    ]
    rows: list[Row] = []
    for col, kind, fn in columns:
        rows.extend(((1, 3, 6, 1, 2, 1, 2, 2, 1, col, i.index), kind, fn(i)) for i in ifaces)
    rows.extend(((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, i.index), "str", i.name) for i in ifaces)
    rows.extend(((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, i.index), "str", i.description) for i in ifaces)
    rows.sort(key=lambda r: r[0])
    return rows


def encode_value(kind: str, value: Any) -> bytes:
    if kind == "str":
        return ber.tlv(ber.OCTET_STRING, value.encode() if isinstance(value, str) else value)
    if kind == "oid":
        return ber.tlv(ber.OID, ber.oid_value(value))
    return ber.integer(value, _TAGS[kind])


class _Encoded:
    """Sorted OIDs of one part of a device's MIB with their pre-encoded VarBinds (None: sysUpTime)."""

    __slots__ = ("key", "oids", "varbinds")

    def __init__(self, key: tuple, rows: list[Row]) -> None:
        self.key = key
        self.oids = [r[0] for r in rows]
        self.varbinds: dict[tuple[int, ...], bytes | None] = {
            o: None if o == SYS_UPTIME else ber.varbind(ber.oid_value(o), encode_value(kind, value))
            for o, kind, value in rows
        }


def _cache_key(state: DeviceState) -> tuple:
    return (state.generation, state.hostname)


class _DeviceEndpoint(asyncio.DatagramProtocol):
    """The UDP socket of one device."""

    def __init__(self, agent: SnmpAgent, state: DeviceState) -> None:
        self.agent = agent
        self.state = state
        self.community = state.spec.snmp_community.encode()
        self.transport: asyncio.DatagramTransport | None = None
        self.scalars: _Encoded | None = None
        self.relay: Any = None  # the pysnmp transport of this device, once it has seen v3

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        state = self.state
        state.snmp_requests += 1
        faults = state.faults
        if faults and ("down" in faults or "hang" in faults):
            return  # no answer: the manager times out, like an unreachable agent
        try:
            if ber.peek_version(data) == ber.V3:
                self.agent.relay_v3(self, data, addr)
                return
            reply = self.answer(ber.parse_request(data))
        except ber.BerError:
            return  # not SNMP: agents drop what they cannot parse
        except Exception:
            log.exception("lab device %s: SNMP request failed", state.name)
            return
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    # v1 / v2c ---------------------------------------------------------------------------------------------

    def answer(self, req: ber.Request) -> bytes | None:
        if req.community != self.community or req.version not in (ber.V1, ber.V2C):
            return None  # wrong community: silence, as real agents (and the manager times out)
        if req.pdu == ber.GET:
            return self._get(req)
        if req.pdu == ber.GETNEXT:
            return self._next(req, 0, 1)
        if req.pdu == ber.GETBULK and req.version == ber.V2C:
            return self._next(req, max(0, req.a), max(0, req.b))
        return None

    def _scalars(self) -> _Encoded:
        key = _cache_key(self.state)
        enc = self.scalars
        if enc is None or enc.key != key:
            enc = self.scalars = _Encoded(key, scalar_rows(self.state))
        return enc

    def _varbind(self, oid_: tuple[int, ...], encoded: bytes | None) -> bytes:
        if encoded is None:  # sysUpTime
            return ber.varbind(ber.oid_value(oid_), ber.integer(_uptime_ticks(self.state), ber.TIMETICKS))
        return encoded

    def _lookup(self, oid_: tuple[int, ...]) -> bytes | None:
        """The VarBind of an exact OID; None if the device has no such object."""
        scalars = self._scalars()
        if oid_ in scalars.varbinds:
            return self._varbind(oid_, scalars.varbinds[oid_])
        if oid_ > scalars.oids[-1]:
            return self.agent.tables(self.state).varbinds.get(oid_)
        return None

    def _successor(self, oid_: tuple[int, ...]) -> tuple[tuple[int, ...], bytes] | None:
        """The first (oid, VarBind) after ``oid_`` in the device's MIB, None at the end of it."""
        scalars = self._scalars()
        i = bisect.bisect_right(scalars.oids, oid_)
        if i < len(scalars.oids):
            nxt = scalars.oids[i]
            return nxt, self._varbind(nxt, scalars.varbinds[nxt])
        tables = self.agent.tables(self.state)
        i = bisect.bisect_right(tables.oids, oid_)
        if i < len(tables.oids):
            nxt = tables.oids[i]
            return nxt, tables.varbinds[nxt]  # type: ignore[return-value]
        return None

    def _get(self, req: ber.Request) -> bytes:
        out = []
        for n, raw in enumerate(req.names):
            found = self._lookup(ber.decode_oid(raw))
            if found is None:
                if req.version == ber.V1:
                    return self._error(req, ber.NO_SUCH_NAME, n + 1)
                found = ber.varbind(raw, ber.NO_SUCH_INSTANCE)
            out.append(found)
        reply = ber.response(req, out)
        return reply if len(reply) <= MAX_RESPONSE else self._error(req, ber.TOO_BIG, 0)

    def _next(self, req: ber.Request, non_repeaters: int, max_repetitions: int) -> bytes:
        """GETNEXT, and GETBULK in RFC 3416 order: the non-repeaters, then the repeaters row by row."""
        out: list[bytes] = []
        budget = MAX_RESPONSE - len(req.head) - 32  # the PDU header around the VarBinds
        if req.pdu != ber.GETBULK:
            non_repeaters = len(req.names)
        names = [ber.decode_oid(raw) for raw in req.names]
        cursors = names[non_repeaters:]
        ended = [False] * len(cursors)
        steps = [(n, names[n]) for n in range(min(non_repeaters, len(names)))]
        rows = max_repetitions if cursors else 0
        for rep in range(-1, rows):
            if rep >= 0:
                if all(ended):
                    break
                steps = list(enumerate(cursors))
            for n, cur in steps:
                if rep >= 0 and ended[n]:
                    vb = ber.varbind(ber.oid_value(cur), ber.END_OF_MIB_VIEW)
                else:
                    hit = self._successor(cur)
                    if hit is None:
                        if req.version == ber.V1:
                            return self._error(req, ber.NO_SUCH_NAME, n + 1)
                        vb = ber.varbind(ber.oid_value(cur), ber.END_OF_MIB_VIEW)
                        if rep >= 0:
                            ended[n] = True
                    else:
                        vb = hit[1]
                        if rep >= 0:
                            cursors[n] = hit[0]
                budget -= len(vb)
                if budget < 0:
                    if req.pdu == ber.GETBULK and out:
                        return ber.response(req, out)  # fewer rows, as RFC 3416 allows
                    return self._error(req, ber.TOO_BIG, 0)
                out.append(vb)
        return ber.response(req, out)

    @staticmethod
    def _error(req: ber.Request, status: int, index: int) -> bytes:
        """An error response echoing the request's names with NULL values."""
        return ber.response(req, [ber.varbind(raw, b"\x05\x00") for raw in req.names], status, index)


class SnmpAgent:
    def __init__(self, states: list[DeviceState]) -> None:
        self.states = [s for s in states if s.spec.snmp_port]
        self.endpoints: list[_DeviceEndpoint] = []
        self._tables: OrderedDict[str, _Encoded] = OrderedDict()
        self._v3: _V3 | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            for s in self.states:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    sock.setblocking(False)
                    sock.bind((s.spec.host, s.spec.snmp_port))
                except OSError:
                    sock.close()
                    raise
                endpoint = _DeviceEndpoint(self, s)
                await loop.create_datagram_endpoint(lambda e=endpoint: e, sock=sock)
                self.endpoints.append(endpoint)
        except BaseException:
            self.stop()
            raise

    def tables(self, state: DeviceState) -> _Encoded:
        """The device's encoded interface rows, from the LRU or built now."""
        key = _cache_key(state)
        enc = self._tables.get(state.name)
        if enc is not None and enc.key == key:
            self._tables.move_to_end(state.name)
            return enc
        enc = self._tables[state.name] = _Encoded(key, table_rows(state))
        if len(self._tables) > TABLE_CACHE:
            self._tables.popitem(last=False)
        return enc

    def relay_v3(self, endpoint: _DeviceEndpoint, data: bytes, addr) -> None:
        if self._v3 is None:
            self._v3 = _V3(self.states)
        self._v3.receive(endpoint, data, addr)

    def set_down(self, name: str, down: bool) -> None:
        """Faults are read from the device state on every request; nothing to do here."""

    def stop(self) -> None:
        if self._v3 is not None:
            self._v3.close()
            self._v3 = None
        for e in self.endpoints:
            if e.transport is not None:
                e.transport.close()
        self.endpoints.clear()


# SNMPv3 through pysnmp --------------------------------------------------------------------------------------


def mib_table(state: DeviceState) -> list[tuple[tuple[int, ...], object]]:
    """Sorted (oid, pysnmp value) rows of the device's MIB as it is right now (the v3 path)."""
    from pysnmp.proto import rfc1902

    types = {"int": rfc1902.Integer, "str": rfc1902.OctetString, "oid": rfc1902.ObjectIdentifier,
             "counter": rfc1902.Counter32, "gauge": rfc1902.Gauge32, "ticks": rfc1902.TimeTicks}
    rows = []
    for o, kind, value in (*scalar_rows(state), *table_rows(state)):
        if o == SYS_UPTIME:
            value = _uptime_ticks(state)
        rows.append((o, types[kind](value)))
    return rows


class _V3:
    """One pysnmp engine with the USM users of all devices; a socket-less transport per device that has
    seen a v3 message (domain -> device tells the responder which device was asked)."""

    def __init__(self, states: list[DeviceState]) -> None:
        from pysnmp.carrier.asyncio.dgram import udp
        from pysnmp.entity import config, engine
        from pysnmp.entity.rfc3413 import context

        self._udp, self._config = udp, config
        self.engine = eng = engine.SnmpEngine()
        users: dict[str, tuple[str, str]] = {s.spec.snmp_v3_user: (s.spec.snmp_v3_auth_key, s.spec.snmp_v3_priv_key)
                                             for s in states}
        for user, (auth, priv) in users.items():
            config.add_v3_user(eng, user, config.USM_AUTH_HMAC96_SHA, auth, config.USM_PRIV_CFB128_AES, priv)
        self.by_domain: dict[tuple[int, ...], DeviceState] = {}
        _responder_class()(eng, context.SnmpContext(eng), self.by_domain)

    def receive(self, endpoint: _DeviceEndpoint, data: bytes, addr) -> None:
        relay = endpoint.relay
        if relay is None:
            relay = endpoint.relay = _relay_class()(endpoint)
            domain = (*self._udp.DOMAIN_NAME, len(self.by_domain) + 1)
            self.by_domain[domain] = endpoint.state
            self._config.add_transport(self.engine, domain, relay)
            if len(self.by_domain) == 1:  # the dispatcher exists from the first transport on
                self.engine.transport_dispatcher.job_started(1)  # keep it serving
        relay.datagram_received(data, addr)

    def close(self) -> None:
        if self.by_domain:
            self.engine.transport_dispatcher.job_finished(1)
            self.engine.close_dispatcher()


def _relay_class():
    from pysnmp.carrier.asyncio.dgram import udp

    class Relay(udp.UdpAsyncioTransport):
        """A pysnmp UDP transport without a socket of its own: it answers through the device endpoint's."""

        def __init__(self, endpoint: _DeviceEndpoint) -> None:
            super().__init__()
            self.transport = endpoint.transport

        def close_transport(self) -> None:
            self.transport = None  # the socket belongs to the endpoint

    return Relay


def _responder_class():
    from pysnmp.entity.rfc3413 import cmdrsp
    from pysnmp.proto import rfc1902, rfc1905
    from pysnmp.proto.api import v2c

    class Responder(cmdrsp.CommandResponderBase):
        SUPPORTED_PDU_TYPES = (
            rfc1905.GetRequestPDU.tagSet,
            rfc1905.GetNextRequestPDU.tagSet,
            rfc1905.GetBulkRequestPDU.tagSet,
        )

        def __init__(self, snmp_engine, snmp_context, devices: dict[tuple[int, ...], DeviceState]) -> None:
            super().__init__(snmp_engine, snmp_context)
            self.devices = devices

        def handle_management_operation(self, snmpEngine, stateReference, contextName, PDU):
            domain, _address = snmpEngine.message_dispatcher.get_transport_info(stateReference)
            state = self.devices.get(tuple(domain))
            if state is None:
                return
            rows = mib_table(state)
            keys = [r[0] for r in rows]
            values = dict(rows)
            req = v2c.apiPDU.get_varbinds(PDU)
            out = []
            if PDU.tagSet == rfc1905.GetRequestPDU.tagSet:
                for name, _ in req:
                    out.append((name, values.get(tuple(name), rfc1905.noSuchInstance)))
            else:
                non_rep, max_rep = 0, 1
                if PDU.tagSet == rfc1905.GetBulkRequestPDU.tagSet:
                    non_rep = int(v2c.apiBulkPDU.get_non_repeaters(PDU))
                    max_rep = max(1, int(v2c.apiBulkPDU.get_max_repetitions(PDU)))
                for n, (name, _) in enumerate(req):
                    cur = tuple(name)
                    for _ in range(1 if n < non_rep else max_rep):
                        idx = bisect.bisect_right(keys, cur)
                        if idx >= len(keys):
                            out.append((cur, rfc1905.endOfMibView))
                            break
                        cur = keys[idx]
                        out.append((rfc1902.ObjectName(cur), values[cur]))
            try:
                self.send_varbinds(snmpEngine, stateReference, 0, 0, out)
            except Exception:
                log.exception("lab device %s: SNMPv3 reply failed", state.name)

    return Responder
