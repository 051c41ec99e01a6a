"""Cisco IOS XE (Catalyst 9000 flavour)."""

from __future__ import annotations

import hashlib

from netcron.lab.configgen import Facts, Interface, dotted, filler

from .base import Invalid
from .ciscolike import CiscoLikeCli
from .ciscotree import Block, ConfigTree


def fake_hash(seed: int, what: str, kind: str = "9") -> str:
    digest = hashlib.sha256(f"{seed}{what}".encode()).hexdigest()
    return f"${kind}${digest[:14]}${digest[14:57]}"


def _uptime_text(td) -> str:
    days = td.days
    weeks, days = divmod(days, 7)
    hours, rem = divmod(td.seconds, 3600)
    parts = []
    if weeks:
        parts.append(f"{weeks} week{'s' if weeks != 1 else ''}")
    parts.append(f"{days} day{'s' if days != 1 else ''}")
    parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    parts.append(f"{rem // 60} minute{'s' if rem // 60 != 1 else ''}")
    return ", ".join(parts)


class CiscoIosCli(CiscoLikeCli):
    platform = "cisco_ios"

    def banner(self) -> str:
        return (
            "\n**************************************************************************\n"
            f"* {self.facts.hostname}: authorised access only. Activity is logged.{' ' * 8}*\n"
            "**************************************************************************\n\n"
        )

    def error(self, line: str, err: Invalid) -> str:
        # A single unknown word at the exec prompt is taken as a host name to telnet to.
        if err.kind == "invalid" and self.editor is None and err.pos == 0 and len(line.split()) == 1:
            return (f'Translating "{line.strip()}"\n'
                    "% Unknown command or computer name, or unable to find computer address\n")
        return super().error(line, err)

    @classmethod
    def build_config(cls, facts: Facts, spec) -> ConfigTree:
        t = ConfigTree()
        add = t.blocks.append
        major = ".".join(facts.version.split(".")[:2]).lstrip("0").replace(".0", ".")
        for line in (
            f"version {major}",
            "service timestamps debug datetime msec",
            "service timestamps log datetime msec",
            "service password-encryption",
            "service call-home",
            "platform punt-keepalive disable-kernel-core",
            f"hostname {facts.hostname}",
        ):
            add(Block(line))
        add(Block("vrf definition Mgmt-vrf", ["!", "address-family ipv4", "exit-address-family"]))
        for line in (
            "logging buffered 64000 informational",
            f"enable secret 9 {fake_hash(facts.seed, 'enable')}",
            "aaa new-model",
            "aaa authentication login default local",
            "aaa authorization exec default local",
            "aaa session-id common",
            "clock timezone UTC 0 0",
            "switch 1 provision " + facts.model.lower().replace("c", "c", 1),
            f"ip domain name {facts.domain}",
            "no ip domain lookup",
            "login on-success log",
            f"username {spec.username} privilege 15 secret 9 {fake_hash(facts.seed, spec.username)}",
            "vtp mode transparent",
            "spanning-tree mode rapid-pvst",
            "spanning-tree extend system-id",
            "redundancy",
        ):
            add(Block(line, [" mode sso"[1:]] if line == "redundancy" else []))
        for vid, vname in facts.vlans:
            add(Block(f"vlan {vid}", [f"name {vname}"]))
        for i in facts.interfaces:
            children = []
            if i.description:
                children.append(f"description {i.description}")
            if i.name.startswith("GigabitEthernet"):
                if i.address:
                    children += ["no switchport", f"ip address {i.ip} {i.netmask}"]
                else:
                    vid = facts.vlans[i.index % len(facts.vlans)][0]
                    children += [f"switchport access vlan {vid}", "switchport mode access", "spanning-tree portfast"]
            elif i.address:
                children.append(f"ip address {i.ip} {i.netmask}")
            if not i.enabled:
                children.append("shutdown")
            add(Block(f"interface {i.name}", children))
        add(Block("ip forward-protocol nd"))
        add(Block("no ip http server"))
        add(Block("no ip http secure-server"))
        add(Block("ip ssh version 2"))
        # ACL entries pad the config to the requested size.
        fixed = len(t.lines()) + 20 + len(facts.ntp_servers)
        acl = [f"{10 * (n + 1)} permit {p} host {h} any eq {port}"
               for n, (p, h, port) in enumerate(filler(facts, max(0, spec.config_lines - fixed)))]
        add(Block("ip access-list extended NETCRON-MGMT", [*acl, f"{10 * (len(acl) + 1)} deny ip any any log"]))
        for line in (
            "logging host 192.0.2.50",
            f"snmp-server community {spec.snmp_community} RO",
            f"snmp-server location {facts.location}",
            f"snmp-server contact {facts.contact}",
            *(f"ntp server {s}" for s in facts.ntp_servers),
        ):
            add(Block(line))
        add(Block("line con 0", ["exec-timeout 0 0", "stopbits 1"]))
        add(Block("line vty 0 4", ["exec-timeout 30 0", "transport input ssh"]))
        add(Block("line vty 5 15", ["exec-timeout 30 0", "transport input ssh"]))
        return t

    def _header_times(self, saved: bool) -> list[str]:
        d = self.device
        change = d.last_change.strftime("%H:%M:%S UTC %a %b %d %Y")
        nvram = d.last_saved.strftime("%H:%M:%S UTC %a %b %d %Y")
        out = [f"! Last configuration change at {change} by {d.last_change_by}"]
        out.append(f"! NVRAM config last updated at {nvram} by {d.last_change_by}")
        return out

    def _body(self, tree: ConfigTree) -> str:
        return "\n".join(["!", *self.config_lines(tree), "!", "end", ""])

    def running_config(self, args: list[str]) -> str:
        body = "\n".join(["!", *self._header_times(False), "!", *self.config_lines(self.device.config), "!", "end"])
        return f"Building configuration...\n\nCurrent configuration : {len(body) + 1} bytes\n{body}\n"

    def startup_config(self) -> str:
        body = "\n".join(["!", *self._header_times(True), "!", *self.config_lines(self.device.startup), "!", "end"])
        return f"Using {len(body) + 1} out of 33554432 bytes\n{body}\n"

    def show_version(self) -> str:
        f = self.facts
        v = f.version
        short = v.lstrip("0").replace(".0", ".")
        up = _uptime_text(self.device.uptime)
        return f"""Cisco IOS XE Software, Version {v}
Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version {short}, RELEASE SOFTWARE (fc3)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2024 by Cisco Systems, Inc.
Compiled Fri 26-Jan-24 02:44 by mcpre


Cisco IOS-XE software, Copyright (c) 2005-2024 by cisco Systems, Inc.
All rights reserved.  Certain components of Cisco IOS-XE software are
licensed under the GNU General Public License ("GPL") Version 2.0.  The
software code licensed under GPL Version 2.0 is free software that comes
with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such
GPL code under the terms of GPL Version 2.0.  For more details, see the
documentation or "License Notice" file accompanying the IOS-XE software,
or the applicable URL provided on the flyer accompanying the IOS-XE
software.


ROM: IOS-XE ROMMON
BOOTLDR: System Bootstrap, Version 17.11.1r, RELEASE SOFTWARE (P)

{self.device.hostname} uptime is {up}
Uptime for this control processor is {up}
System returned to ROM by Reload Command
System image file is "flash:packages.conf"
Last reload reason: Reload Command



This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use.

Technology Package License Information:

------------------------------------------------------------------------------
Technology-package                                     Technology-package
Current                        Type                       Next reboot
------------------------------------------------------------------------------
network-advantage       Smart License                 network-advantage
dna-advantage           Subscription Smart License    dna-advantage


Smart Licensing Status: Registration Not Applicable/Not Applicable

cisco {f.model} (X86) processor with 1333098K/6147K bytes of memory.
Processor board ID {f.serial}
{sum(1 for i in f.interfaces if i.name.startswith("Gig"))} Gigabit Ethernet interfaces
2048K bytes of non-volatile configuration memory.
8388608K bytes of physical memory.
1638400K bytes of Crash Files at crashinfo:.
11264000K bytes of Flash at flash:.

Base Ethernet MAC Address          : {f.base_mac}
Motherboard Assembly Number        : 73-18271-03
Model Revision Number              : C0
Model Number                       : {f.model}
System Serial Number               : {f.serial}


Switch Ports Model              SW Version        SW Image              Mode
------ ----- -----              ----------        ----------            ----
*    1 {len(f.interfaces):<5} {f.model:<18} {v:<17} CAT9K_IOSXE           INSTALL


Configuration register is 0x102

"""

    def show_interface(self, i: Interface) -> str:
        admin = "up" if i.enabled else "administratively down"
        proto = "up" if i.oper_up else "down"
        conn = " (connected)" if i.oper_up else (" (disabled)" if not i.enabled else " (notconnect)")
        hw = "Loopback" if i.name.startswith("Loop") else (
            "Ethernet SVI" if i.name.startswith("Vlan") else "Gigabit Ethernet")
        lines = [
            f"{i.name} is {admin}, line protocol is {proto}{conn if i.name.startswith('Gig') else ''}",
            f"  Hardware is {hw}, address is {dotted(i.mac)} (bia {dotted(i.mac)})",
        ]
        if i.description:
            lines.append(f"  Description: {i.description}")
        if i.address:
            lines.append(f"  Internet address is {i.address}")
        n = i.index * 7919 + self.facts.seed % 100000
        lines += [
            f"  MTU {i.mtu} bytes, BW {i.speed_mbps * 1000} Kbit/sec, DLY 10 usec,",
            "     reliability 255/255, txload 1/255, rxload 1/255",
            "  Encapsulation ARPA, loopback not set",
            "  Keepalive set (10 sec)",
            f"  Full-duplex, {i.speed_mbps}Mb/s, media type is 10/100/1000BaseTX",
            "  input flow-control is off, output flow-control is unsupported",
            "  ARP type: ARPA, ARP Timeout 04:00:00",
            "  Last input 00:00:00, output 00:00:01, output hang never",
            '  Last clearing of "show interface" counters never',
            "  Input queue: 0/2000/0/0 (size/max/drops/flushes); Total output drops: 0",
            "  Queueing strategy: fifo",
            "  Output queue: 0/40 (size/max)",
            f"  5 minute input rate {n % 9000} bits/sec, {n % 13} packets/sec",
            f"  5 minute output rate {n % 7000} bits/sec, {n % 11} packets/sec",
            f"     {n * 31} packets input, {n * 31 * 412} bytes, 0 no buffer",
            f"     Received {n % 977} broadcasts ({n % 331} IP multicasts)",
            "     0 runts, 0 giants, 0 throttles",
            "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored",
            f"     {n * 29} packets output, {n * 29 * 388} bytes, 0 underruns",
            "     0 output errors, 0 collisions, 1 interface resets",
            "     0 unknown protocol drops",
            "     0 output buffer failures, 0 output buffers swapped out",
        ]
        return "\n".join(lines) + "\n"

    def show_ip_int_brief(self) -> str:
        rows = [f"{'Interface':<23}{'IP-Address':<16}OK? Method Status                Protocol"]
        for i in self.interfaces():
            status = "up" if i.oper_up else ("administratively down" if not i.enabled else "down")
            rows.append(
                f"{i.name:<23}{i.ip or 'unassigned':<16}YES {'NVRAM' if i.address else 'unset':<7}"
                f"{status:<22}{'up' if i.oper_up else 'down'}"
            )
        return "\n".join(rows) + "\n"
