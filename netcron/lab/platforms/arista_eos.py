"""Arista EOS."""

from __future__ import annotations

from netcron.lab.configgen import Facts, Interface, dotted, filler

from .base import Invalid
from .cisco_ios import fake_hash
from .ciscolike import CiscoLikeCli
from .ciscotree import Block, ConfigTree


class AristaEosCli(CiscoLikeCli):
    platform = "arista_eos"
    indent = "   "
    config_shows_without_do = True

    def banner(self) -> str:
        return f"Last login: Mon Jan  5 07:59:12 2026 from 192.0.2.10\n"  # noqa: F541

    def error(self, line: str, err: Invalid) -> str:
        if err.kind == "incomplete":
            return "% Incomplete command\n"
        if err.kind == "ambiguous":
            return "% Ambiguous command\n"
        index = len(line[: err.pos].split())
        token = line[err.pos:].split()[0] if line[err.pos:].split() else ""
        return f"% Invalid input (at token {index}: '{token}')\n"

    def config_banner(self) -> str:
        return ""

    def save(self) -> str:
        self.device.save()
        return "Copy completed successfully.\n"

    @classmethod
    def build_config(cls, facts: Facts, spec) -> ConfigTree:
        t = ConfigTree()
        add = t.blocks.append
        add(Block("no aaa root"))
        add(Block(f"username {spec.username} privilege 15 role network-admin secret sha512 "
                  f"{fake_hash(facts.seed, spec.username, '6')}"))
        add(Block("transceiver qsfp default-mode 4x10G"))
        add(Block("service routing protocols model multi-agent"))
        add(Block(f"hostname {facts.hostname}"))
        add(Block(f"ip domain-name {facts.domain}"))
        add(Block(f"snmp-server location {facts.location}"))
        add(Block(f"snmp-server contact {facts.contact}"))
        add(Block(f"snmp-server community {spec.snmp_community} ro"))
        add(Block("spanning-tree mode mstp"))
        for vid, vname in facts.vlans:
            add(Block(f"vlan {vid}", [f"name {vname}"]))
        add(Block("vrf instance MGMT"))
        for i in facts.interfaces:
            ch = []
            if i.description:
                ch.append(f"description {i.description}")
            if i.name.startswith("Ethernet"):
                ch.append(f"mtu {i.mtu}")
                if i.address:
                    ch += ["no switchport", f"ip address {i.address}"]
                else:
                    ch += ["switchport mode trunk"]
                if not i.enabled:
                    ch.append("shutdown")
            elif i.name == "Management1":
                ch += ["vrf MGMT", f"ip address {i.address}"]
            elif i.address:
                ch.append(f"ip address {i.address}")
            add(Block(f"interface {i.name}", ch))
        add(Block("ip routing"))
        add(Block("no ip routing vrf MGMT"))
        fixed = 40 + len(facts.interfaces) * 4
        acl = [f"{10 * (n + 1)} permit {p} host {h} any eq {port}"
               for n, (p, h, port) in enumerate(filler(facts, max(0, spec.config_lines - fixed)))]
        add(Block("ip access-list NETCRON-MGMT", acl))
        add(Block("ip route vrf MGMT 0.0.0.0/0 192.0.2.254"))
        for s in facts.ntp_servers:
            add(Block(f"ntp server vrf MGMT {s}"))
        add(Block("management api http-commands", ["no shutdown", "!", "vrf MGMT", "   no shutdown"]))
        return t

    def _body(self, tree: ConfigTree, command: str) -> str:
        f = self.facts
        head = [f"! Command: {command}", f"! device: {self.device.hostname} ({f.model}, EOS-{f.version})", "!",
                f"! boot system flash:/EOS-{f.version}.swi", "!"]
        return "\n".join([*head, *self.config_lines(tree), "!", "end", ""])

    def running_config(self, args: list[str]) -> str:
        return self._body(self.device.config, "show running-config")

    def startup_config(self) -> str:
        return self._body(self.device.startup, "show startup-config")

    def show_version(self) -> str:
        f = self.facts
        up = self.device.uptime
        return f"""Arista {f.model}
Hardware version: 11.02
Serial number: {f.serial}
Hardware MAC address: {dotted(f.base_mac)}
System MAC address: {dotted(f.base_mac)}

Software image version: {f.version}
Architecture: x86_64
Internal build version: {f.version}-3{f.seed % 100000}.{f.version.replace('.', '')}
Internal build ID: 5a8e8f2c-1e3b-4c53-9a4b-{f.seed % 10**12:012d}
Image format version: 3.0
Image optimization: Strata-4GB

Uptime: {up.days // 7} weeks, {up.days % 7} days, {up.seconds // 3600} hours and {up.seconds // 60 % 60} minutes
Total memory: 8098984 kB
Free memory: 5124096 kB

"""

    def show_interface(self, i: Interface) -> str:
        mac = i.mac.replace(":", "")
        lines = [
            f"{i.name} is {'up' if i.oper_up else ('administratively down' if not i.enabled else 'down')}, "
            f"line protocol is {'up' if i.oper_up else 'down'} ({'connected' if i.oper_up else 'notconnect'})",
            f"  Hardware is Ethernet, address is {mac[:4]}.{mac[4:8]}.{mac[8:]} (bia {mac[:4]}.{mac[4:8]}.{mac[8:]})",
        ]
        if i.description:
            lines.append(f"  Description: {i.description}")
        if i.address:
            lines.append(f"  Internet address is {i.address}")
            lines.append("  Broadcast address is 255.255.255.255")
        n = i.index * 4721 + self.facts.seed % 100000
        lines += [
            f"  IP MTU {i.mtu} bytes, BW {i.speed_mbps * 1000} kbit",
            f"  Full-duplex, {i.speed_mbps // 1000 or 1}Gb/s, auto negotiation: off, uni-link: n/a",
            "  Up 9 days, 3 hours, 12 minutes, 44 seconds",
            "  Loopback Mode : None",
            "  2 link status changes since last clear",
            "  Last clearing of \"show interface\" counters never",
            f"  5 minutes input rate {n % 900} bps (0.0% with framing overhead), {n % 7} packets/sec",
            f"  5 minutes output rate {n % 800} bps (0.0% with framing overhead), {n % 5} packets/sec",
            f"     {n * 11} packets input, {n * 11 * 600} bytes",
            "     Received 1 broadcasts, 12345 multicast",
            "     0 runts, 0 giants",
            "     0 input errors, 0 CRC, 0 alignment, 0 symbol, 0 input discards",
            f"     {n * 9} packets output, {n * 9 * 580} bytes",
            "     Sent 2 broadcasts, 23456 multicast",
            "     0 output errors, 0 collisions",
            "     0 late collision, 0 deferred, 0 output discards",
        ]
        return "\n".join(lines) + "\n"

    def show_ip_int_brief(self) -> str:
        rows = [
            "                                                                        Address",
            "Interface         IP Address            Status       Protocol           MTU    Owner  ",
            "----------------- --------------------- ------------ -------------- ---------- -------",
        ]
        for i in self.interfaces():
            if not i.address:
                continue
            status = "up" if i.oper_up else ("disabled" if not i.enabled else "down")
            rows.append(f"{i.name:<17} {i.address:<21} {status:<12} {'up' if i.oper_up else 'down':<14} "
                        f"{i.mtu:>10}")
        return "\n".join(rows) + "\n"
