"""SNMP agent for all lab devices: one pysnmp engine, one UDP endpoint per device (v2c and v3 USM).

pysnmp's own MIB instrumentation is per engine, but every device must answer with its own sysName and
ifTable; so a small command responder looks up the device by the UDP endpoint the request came in on
and serves a table built from the device's live state (SNMPv2-MIB system group, IF-MIB ifTable/ifXTable).
"""

from __future__ import annotations

import bisect
import logging
from typing import TYPE_CHECKING

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c

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


def mib_table(state: DeviceState) -> list[tuple[tuple[int, ...], object]]:
    """Sorted (oid, value) rows of the device's MIB as it is right now."""
    cli = state.new_cli()
    ifaces = cli.interfaces()
    system = "1.3.6.1.2.1.1"
    rows: list[tuple[tuple[int, ...], object]] = [
        (oid(f"{system}.1.0"), rfc1902.OctetString(sys_descr(state))),
        (oid(f"{system}.2.0"), rfc1902.ObjectIdentifier(SYS_OBJECT_ID[state.spec.platform])),
        (oid(f"{system}.3.0"), rfc1902.TimeTicks(int(state.uptime.total_seconds() * 100) % 2**32)),
        (oid(f"{system}.4.0"), rfc1902.OctetString(state.facts.contact)),
        (oid(f"{system}.5.0"), rfc1902.OctetString(state.hostname)),
        (oid(f"{system}.6.0"), rfc1902.OctetString(state.facts.location)),
        (oid(f"{system}.7.0"), rfc1902.Integer(6)),
        (oid("1.3.6.1.2.1.2.1.0"), rfc1902.Integer(len(ifaces))),
    ]
    columns = [
        (1, lambda i: rfc1902.Integer(i.index)),
        (2, lambda i: rfc1902.OctetString(i.name)),
        (3, lambda i: rfc1902.Integer(24 if i.name.lower().startswith(("lo", "loopback")) else 6)),
        (4, lambda i: rfc1902.Integer(i.mtu)),
        (5, lambda i: rfc1902.Gauge32(min(i.speed_mbps * 1_000_000, 2**32 - 1))),
        (6, lambda i: rfc1902.OctetString(bytes(int(b, 16) for b in i.mac.split(":")))),
        (7, lambda i: rfc1902.Integer(1 if i.enabled else 2)),
        (8, lambda i: rfc1902.Integer(1 if i.oper_up else 2)),
        (10, lambda i: rfc1902.Counter32((i.index * 7919 * 412) % 2**32)),
        (16, lambda i: rfc1902.Counter32((i.index * 7331 * 388) % 2**32)),
    ]
    for col, fn in columns:
        for i in ifaces:
            rows.append((oid(f"1.3.6.1.2.1.2.2.1.{col}.{i.index}"), fn(i)))
    for i in ifaces:  # ifXTable ifName and ifAlias
        rows.append((oid(f"1.3.6.1.2.1.31.1.1.1.1.{i.index}"), rfc1902.OctetString(i.name)))
    for i in ifaces:
        rows.append((oid(f"1.3.6.1.2.1.31.1.1.1.18.{i.index}"), rfc1902.OctetString(i.description)))
    rows.sort(key=lambda r: r[0])
    return rows


class _Responder(cmdrsp.CommandResponderBase):
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
        if state is None or "down" in state.faults or "hang" in state.faults:
            return  # no answer: the manager times out, like an unreachable agent
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
                reps = 1 if n < non_rep else max_rep
                cur = tuple(name)
                for _ in range(reps):
                    idx = bisect.bisect_right(keys, cur)
                    if idx >= len(keys):
                        out.append((cur, rfc1905.endOfMibView))
                        break
                    cur = keys[idx]
                    out.append((rfc1902.ObjectName(cur), values[cur]))
        self.send_varbinds(snmpEngine, stateReference, 0, 0, out)


class SnmpAgent:
    def __init__(self, states: list[DeviceState]) -> None:
        self.states = [s for s in states if s.spec.snmp_port]
        self.engine: engine.SnmpEngine | None = None

    async def start(self) -> None:
        eng = engine.SnmpEngine()
        by_domain: dict[tuple[int, ...], DeviceState] = {}
        communities: set[str] = set()
        users: dict[str, tuple[str, str]] = {}
        for n, s in enumerate(self.states):
            domain = (*udp.DOMAIN_NAME, n + 1)
            config.add_transport(
                eng, domain, udp.UdpAsyncioTransport().open_server_mode((s.spec.host, s.spec.snmp_port))
            )
            by_domain[domain] = s
            communities.add(s.spec.snmp_community)
            users[s.spec.snmp_v3_user] = (s.spec.snmp_v3_auth_key, s.spec.snmp_v3_priv_key)
        for n, community in enumerate(sorted(communities)):
            config.add_v1_system(eng, f"lab-{n}", community)
        for user, (auth, priv) in users.items():
            config.add_v3_user(eng, user, config.USM_AUTH_HMAC96_SHA, auth, config.USM_PRIV_CFB128_AES, priv)
        ctx = context.SnmpContext(eng)
        _Responder(eng, ctx, by_domain)
        eng.transport_dispatcher.job_started(1)  # keep the dispatcher serving
        self.engine = eng

    def set_down(self, name: str, down: bool) -> None:
        """Faults are read from the device state on every request; nothing to do here."""

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.transport_dispatcher.job_finished(1)
            self.engine.close_dispatcher()
            self.engine = None
