"""Cisco NX-OS (Nexus 9000)."""

from __future__ import annotations

from netcron.lab.configgen import Facts, Interface, filler

from .base import Invalid
from .cisco_ios import fake_hash
from .ciscolike import CiscoLikeCli
from .ciscotree import Block, ConfigTree


class CiscoNxosCli(CiscoLikeCli):
    platform = "cisco_nxos"
    indent = "  "
    separator = None
    starts_privileged = True  # network-admin role: "#" right after login, no enable
    config_shows_without_do = True

    def _register(self) -> None:
        super()._register()
        # NX-OS has no user exec mode and no "write memory".
        self.commands = self._without(self.commands, ("enable", "disable", "write"))

    @staticmethod
    def _without(table, words):
        for w in words:
            table._root.pop(w, None)
        return table

    def banner(self) -> str:
        return (
            "Cisco Nexus Operating System (NX-OS) Software\n"
            "TAC support: http://www.cisco.com/tac\n"
            "Copyright (C) 2002-2024, Cisco and/or its affiliates.\n"
            "All rights reserved.\n"
        )

    def error(self, line: str, err: Invalid) -> str:
        caret = " " * (len(self.prompt()) + err.pos) + "^\n"
        if err.kind == "incomplete":
            return caret + "% Incomplete command at '^' marker.\n"
        if err.kind == "ambiguous":
            return caret + "% Ambiguous command at '^' marker.\n"
        return caret + "% Invalid command at '^' marker.\n"

    def config_banner(self) -> str:
        return "Enter configuration commands, one per line. End with CNTL/Z.\n"

    def save(self) -> str:
        self.device.save()
        return ("[########################################] 100%\n"
                "Copy complete, now saving to disk (please wait)...\nCopy complete.\n")

    @classmethod
    def build_config(cls, facts: Facts, spec) -> ConfigTree:
        t = ConfigTree()
        add = t.blocks.append
        add(Block(f"version {facts.version} Bios:version 07.69"))
        add(Block(f"hostname {facts.hostname}"))
        for feat in ("nxapi", "bash-shell", "scp-server", "interface-vlan", "lacp", "vpc", "lldp", "bgp"):
            add(Block(f"feature {feat}"))
        pw = fake_hash(facts.seed, spec.username, "5")
        add(Block(f"username {spec.username} password 5 {pw}  role network-admin"))
        add(Block(f"ip domain-name {facts.domain}"))
        add(Block("copp profile strict"))
        add(Block(f"snmp-server community {spec.snmp_community} group network-operator"))
        add(Block(f"snmp-server location {facts.location}"))
        add(Block(f"snmp-server contact {facts.contact}"))
        for s in facts.ntp_servers:
            add(Block(f"ntp server {s} use-vrf management"))
        fixed = 20 + len(facts.interfaces) * 4
        for n, (_p, h, _port) in enumerate(filler(facts, max(0, spec.config_lines - fixed) // 2)):
            add(Block(f"ip prefix-list NETCRON-PL seq {5 * (n + 1)} permit {h}/32"))
        for vid, vname in facts.vlans:
            add(Block(f"vlan {vid}", [f"name {vname}"]))
        add(Block("vrf context management", ["ip route 0.0.0.0/0 192.0.2.254"]))
        for i in facts.interfaces:
            ch = []
            if i.description:
                ch.append(f"description {i.description}")
            if i.name.startswith("Ethernet"):
                ch += [f"mtu {i.mtu}"]
                if i.address:
                    ch += ["no switchport", f"ip address {i.address}"]
                else:
                    ch += ["switchport mode trunk"]
                ch.append("no shutdown" if i.enabled else "shutdown")
            elif i.name == "mgmt0":
                ch += ["vrf member management", f"ip address {i.address}"]
            elif i.address:
                ch.append(f"ip address {i.address}")
            add(Block(f"interface {i.name}", ch))
        add(Block("line console", ["exec-timeout 0"]))
        add(Block("line vty", ["exec-timeout 30"]))
        add(Block(f"boot nxos bootflash:/nxos.{facts.version.replace('(', '.').replace(')', '')}.bin"))
        return t

    def interfaces(self) -> list[Interface]:
        ifaces = super().interfaces()
        for i, b in zip(ifaces, [b for b in self.device.config.blocks if b.line.startswith("interface ")],
                        strict=False):
            if "shutdown" not in b.children and "no shutdown" in b.children:
                i.enabled = True
        return ifaces

    def _stamp(self, when) -> str:
        return when.strftime("%a %b %d %H:%M:%S %Y")

    def running_config(self, args: list[str]) -> str:
        lines = ["", "!Command: show running-config",
                 f"!Running configuration last done at: {self._stamp(self.device.last_change)}", "",
                 *self._body_lines(self.device.config), ""]
        return "\n".join(lines)

    def startup_config(self) -> str:
        lines = ["", "!Command: show startup-config",
                 f"!Startup config saved at: {self._stamp(self.device.last_saved)}", "",
                 *self._body_lines(self.device.startup), ""]
        return "\n".join(lines)

    def _body_lines(self, tree: ConfigTree) -> list[str]:
        out = []
        for b in tree.blocks:
            if b.children:
                out.append("")
            out.append(b.line)
            out.extend(self.indent + c for c in b.children)
        return out

    def show_version(self) -> str:
        f = self.facts
        up = self.device.uptime
        return f"""Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Documents: http://www.cisco.com/en/US/products/ps9372/tsd_products_support_series_home.html
Copyright (c) 2002-2024, Cisco Systems, Inc. All rights reserved.

Software
  BIOS: version 07.69
  NXOS: version {f.version}
  BIOS compile time:  04/08/2021
  NXOS image file is: bootflash:///nxos.{f.version.replace('(', '.').replace(')', '')}.bin
  NXOS compile time:  12/20/2023 12:00:00 [12/20/2023 20:30:00]


Hardware
  cisco Nexus9000 {f.model.replace('N9K-', '')} chassis
  Intel(R) Xeon(R) CPU  @ 1.80GHz with 24569356 kB of memory.
  Processor Board ID {f.serial}

  Device name: {self.device.hostname}
  bootflash:  115805708 kB
Kernel uptime is {up.days} day(s), {up.seconds // 3600} hour(s), {up.seconds // 60 % 60} minute(s), \
{up.seconds % 60} second(s)

Last reset at 112233 usecs after Mon Jan 01 00:00:00 2026
  Reason: Reset Requested by CLI command reload
  System version: {f.version}
  Service:

plugin
  Core Plugin, Ethernet Plugin

Active Package(s):
"""

    def show_interface(self, i: Interface) -> str:
        state = "up" if i.oper_up else "down"
        lines = [f"{i.name} is {state}"]
        if not i.enabled:
            lines[0] += " (Administratively down)"
        lines.append(f"admin state is {'up' if i.enabled else 'down'}, Dedicated Interface")
        lines.append(f"  Hardware: 100/1000/10000/25000 Ethernet, address: {i.mac.replace(':', '')[:4]}."
                     f"{i.mac.replace(':', '')[4:8]}.{i.mac.replace(':', '')[8:]}")
        if i.description:
            lines.append(f"  Description: {i.description}")
        if i.address:
            lines.append(f"  Internet Address is {i.address}")
        n = i.index * 6133 + self.facts.seed % 100000
        lines += [
            f"  MTU {i.mtu} bytes, BW {i.speed_mbps * 1000} Kbit , DLY 10 usec",
            "  reliability 255/255, txload 1/255, rxload 1/255",
            "  Encapsulation ARPA, medium is broadcast",
            f"  full-duplex, {i.speed_mbps // 1000 or 1} Gb/s",
            "  Auto-Negotiation is turned on  FEC mode is Auto",
            "  Input flow-control is off, output flow-control is off",
            "  Last link flapped 1week(s) 2day(s)",
            "  RX",
            f"    {n * 17} unicast packets  {n % 4000} multicast packets  {n % 97} broadcast packets",
            f"    {n * 17 + n % 4000} input packets  {n * 17 * 500} bytes",
            "  TX",
            f"    {n * 13} unicast packets  {n % 3000} multicast packets  {n % 53} broadcast packets",
            f"    {n * 13 + n % 3000} output packets  {n * 13 * 480} bytes",
            "",
        ]
        return "\n".join(lines) + "\n"

    def show_ip_int_brief(self) -> str:
        rows = ['IP Interface Status for VRF "default"(1)',
                "Interface            IP Address      Interface Status"]
        for i in self.interfaces():
            if not i.address or i.name == "mgmt0":
                continue
            short = i.name.replace("Ethernet", "Eth").replace("loopback", "Lo")
            status = f"protocol-{'up' if i.oper_up else 'down'}/link-{'up' if i.oper_up else 'down'}/" \
                     f"admin-{'up' if i.enabled else 'down'}"
            rows.append(f"{short:<21}{i.ip:<16}{status}")
        return "\n".join(rows) + "\n"
