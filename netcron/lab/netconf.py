"""NETCONF subsystem of a lab device: RFC 6242 framing (1.0 end-marker and 1.1 chunked) and a few RPCs.

Config is exposed through ietf-system / ietf-interfaces plus the CLI text in a lab namespace, so a
NETCONF backup sees the same changes as a CLI one.
"""

from __future__ import annotations

import re
from itertools import count
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from lxml import etree

if TYPE_CHECKING:
    import asyncssh

    from .device import DeviceState

BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
BASE_10 = "urn:ietf:params:netconf:base:1.0"
BASE_11 = "urn:ietf:params:netconf:base:1.1"
EOM = b"]]>]]>"

_COMMON_CAPS = (
    BASE_10,
    BASE_11,
    "urn:ietf:params:netconf:capability:writable-running:1.0",
    "urn:ietf:params:netconf:capability:candidate:1.0",
    "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
    "urn:ietf:params:netconf:capability:validate:1.1",
    "urn:ietf:params:xml:ns:yang:ietf-interfaces?module=ietf-interfaces&revision=2018-02-20",
    "urn:ietf:params:xml:ns:yang:ietf-system?module=ietf-system&revision=2014-08-06",
    "urn:ietf:params:xml:ns:yang:ietf-ip?module=ietf-ip&revision=2018-02-22",
)
_PLATFORM_CAPS = {
    "cisco_ios": ("http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&revision=2023-07-01",),
    "cisco_nxos": ("http://cisco.com/ns/yang/cisco-nx-os-device?module=Cisco-NX-OS-device&revision=2022-09-02",),
    "arista_eos": ("http://arista.com/yang/openconfig/interfaces/augments?module=arista-intf-augments",),
    "juniper_junos": ("http://xml.juniper.net/netconf/junos/1.0", "http://xml.juniper.net/dmi/system/1.0"),
    "mikrotik_routeros": (),
    "linux": (),
}
_session_ids = count(1000)


def capabilities(platform: str) -> list[str]:
    return [*_COMMON_CAPS, *_PLATFORM_CAPS.get(platform, ())]


def config_xml(state: DeviceState, *, with_state: bool = False) -> str:
    cli = state.new_cli()
    ifaces = cli.interfaces()
    f = state.facts
    parts = [
        '<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system">',
        f"<hostname>{escape(state.hostname)}</hostname><contact>{escape(f.contact)}</contact>",
        f"<location>{escape(f.location)}</location><ntp><enabled>true</enabled>",
        *(f"<server><name>{s}</name><udp><address>{s}</address></udp></server>" for s in f.ntp_servers),
        "</ntp></system>",
        '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">',
    ]
    for i in ifaces:
        parts.append(f"<interface><name>{escape(i.name)}</name>")
        if i.description:
            parts.append(f"<description>{escape(i.description)}</description>")
        parts.append('<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">ianaift:ethernetCsmacd</type>')
        parts.append(f"<enabled>{'true' if i.enabled else 'false'}</enabled>")
        if i.address:
            ip, plen = i.address.split("/")
            parts.append(
                '<ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">'
                f"<address><ip>{ip}</ip><prefix-length>{plen}</prefix-length></address></ipv4>"
            )
        parts.append("</interface>")
    parts.append("</interfaces>")
    if with_state:
        parts.append('<interfaces-state xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">')
        for i in ifaces:
            parts.append(
                f"<interface><name>{escape(i.name)}</name><if-index>{i.index}</if-index>"
                f"<admin-status>{'up' if i.enabled else 'down'}</admin-status>"
                f"<oper-status>{'up' if i.oper_up else 'down'}</oper-status>"
                f"<phys-address>{i.mac}</phys-address><speed>{i.speed_mbps * 1_000_000}</speed></interface>"
            )
        parts.append("</interfaces-state>")
    parts.append(f'<cli-config xmlns="urn:netcron:lab">{escape(cli.render_running())}</cli-config>')
    return "".join(parts)


class NetconfHandler:
    def __init__(self, state: DeviceState, chan: asyncssh.SSHServerChannel) -> None:
        self.state = state
        self.chan = chan
        self.buf = b""
        self.chunked = False
        self.got_hello = False
        self.session_id = next(_session_ids)

    def start(self) -> None:
        caps = "".join(f"<capability>{escape(c)}</capability>" for c in capabilities(self.state.spec.platform))
        self._send_raw(
            f'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="{BASE_NS}"><capabilities>{caps}</capabilities>'
            f"<session-id>{self.session_id}</session-id></hello>",
            chunked=False,
        )

    def stop(self) -> None:
        self.buf = b""

    def feed(self, data: str) -> None:
        self.buf += data.encode()
        for message in self._messages():
            self._handle(message)

    def _messages(self):
        while True:
            if not self.chunked:
                idx = self.buf.find(EOM)
                if idx < 0:
                    return
                msg, self.buf = self.buf[:idx], self.buf[idx + len(EOM):]
                yield msg
                continue
            # RFC 6242 chunked framing: \n#<len>\n<data> ... \n##\n
            pos, out = 0, []
            while True:
                m = re.match(rb"\s*\n#(\d+)\n", self.buf[pos:]) if self.buf[pos:pos + 4] != b"\n##\n" else None
                if self.buf[pos:pos + 4] == b"\n##\n":
                    yield b"".join(out)
                    self.buf = self.buf[pos + 4:]
                    break
                if not m:
                    return
                size = int(m.group(1))
                start = pos + m.end()
                if len(self.buf) < start + size:
                    return
                out.append(self.buf[start:start + size])
                pos = start + size

    def _send_raw(self, xml: str, *, chunked: bool) -> None:
        data = xml.encode()
        if chunked:
            self.chan.write(f"\n#{len(data)}\n{xml}\n##\n")
        else:
            self.chan.write(xml + "]]>]]>")

    def _handle(self, message: bytes) -> None:
        try:
            root = etree.fromstring(message.strip())
        except etree.XMLSyntaxError:
            self._reply_error("", "malformed-message", "protocol")
            return
        tag = etree.QName(root).localname
        if not self.got_hello:
            if tag == "hello":
                self.got_hello = True
                caps = [c.text for c in root.iter(f"{{{BASE_NS}}}capability")]
                self.chunked = BASE_11 in caps
            return
        if tag != "rpc":
            return
        msg_id = root.get("message-id", "")
        ops = [c for c in root if isinstance(c.tag, str)]
        op = etree.QName(ops[0]).localname if ops else ""
        if op == "get-config":
            self._reply(msg_id, f"<data>{config_xml(self.state)}</data>")
        elif op == "get":
            self._reply(msg_id, f"<data>{config_xml(self.state, with_state=True)}</data>")
        elif op in ("lock", "unlock", "discard-changes", "validate", "commit", "edit-config", "kill-session"):
            self._reply(msg_id, "<ok/>")
        elif op == "close-session":
            self._reply(msg_id, "<ok/>")
            self.chan.exit(0)
        else:
            self._reply_error(msg_id, "operation-not-supported", "protocol")

    def _reply(self, msg_id: str, body: str) -> None:
        self._send_raw(
            f'<rpc-reply xmlns="{BASE_NS}" '
            f'message-id="{escape(msg_id)}">{body}</rpc-reply>',
            chunked=self.chunked,
        )

    def _reply_error(self, msg_id: str, tag: str, etype: str) -> None:
        self._reply(
            msg_id,
            f"<rpc-error><error-type>{etype}</error-type><error-tag>{tag}</error-tag>"
            "<error-severity>error</error-severity></rpc-error>",
        )
