"""Juniper Junos: operational mode, candidate configuration, commit."""

from __future__ import annotations

import copy
import re
import shlex
from datetime import UTC, datetime

from netcron.lab.configgen import Facts, Interface, filler

from .base import Cli, CommandTable, Invalid, Reply, apply_pipes, split_pipes
from .cisco_ios import fake_hash

# Statements "keyword value;" (the keyword takes exactly one value).
VALUE_LEAVES = {
    "host-name", "domain-name", "time-zone", "description", "address", "mtu", "location", "contact",
    "authorization", "class", "encrypted-password", "router-id", "autonomous-system", "next-hop", "peer-as",
    "local-address", "type", "vlan-id", "interface-mode", "members", "uid", "root-login", "any", "server",
    "source-address", "destination-port", "protocol", "speed", "port", "level", "size", "files", "version",
    "interactive-commands",
}
# Containers named by the following word: "unit 0 {", "family inet {", "user admin {".
NAMED = {"unit", "family", "group", "neighbor", "term", "policy-statement", "user", "interface", "route",
         "community", "file", "filter", "host", "area", "vlan", "prefix-list", "instance"}
# Statements that appear once: setting them again replaces the old value.
SINGLE = {"host-name", "domain-name", "time-zone", "description", "mtu", "location", "contact", "router-id",
          "autonomous-system", "encrypted-password", "uid", "class"}


def _tokens(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def _q(word: str) -> str:
    return f'"{word}"' if (" " in word or "$" in word or not word or ("*" in word and len(word) > 1)) else word


def render_hierarchy(set_lines: list[str]) -> list[str]:
    tree: dict = {}
    for line in set_lines:
        t = _tokens(line)[1:]
        if not t:
            continue
        if len(t) >= 2 and t[-2] in VALUE_LEAVES:
            path, leaf = t[:-2], f"{t[-2]} {_q(t[-1])}"
        else:
            path, leaf = t[:-1], _q(t[-1])
        nodes, i = [], 0
        while i < len(path):
            if path[i] in NAMED and i + 1 < len(path):
                nodes.append(f"{path[i]} {path[i + 1]}")
                i += 2
            else:
                nodes.append(path[i])
                i += 1
        if nodes and nodes[-1] in NAMED:
            leaf = f"{nodes.pop()} {leaf}"
        node = tree
        for n in nodes:
            node = node.setdefault(n, {})
        node.setdefault(None, []).append(leaf)
    out: list[str] = []

    def walk(node: dict, depth: int) -> None:
        pad = "    " * depth
        for leaf in node.get(None, []):
            out.append(f"{pad}{leaf};")
        for key, child in node.items():
            if key is None:
                continue
            out.append(f"{pad}{key} {{")
            walk(child, depth + 1)
            out.append(f"{pad}}}")

    walk(tree, 0)
    return out


class JunosConfig:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def apply(self, line: str) -> bool:
        t = _tokens(line)
        if not t or t[0] not in ("set", "delete"):
            return False
        if len(t) < 2:
            return False
        body = " ".join(_q(x) for x in t[1:])
        if t[0] == "delete":
            self.lines = [x for x in self.lines if not (x == f"set {body}" or x.startswith(f"set {body} "))]
            return True
        new = f"set {body}"
        if len(t) >= 3 and t[-2] in SINGLE:
            prefix = "set " + " ".join(_q(x) for x in t[1:-1]) + " "
            for i, x in enumerate(self.lines):
                if x.startswith(prefix):
                    self.lines[i] = new
                    self.lines = [y for j, y in enumerate(self.lines) if j == i or not y.startswith(prefix)]
                    return True
        if new not in self.lines:
            self.lines.append(new)
        return True

    def value(self, prefix: str) -> str | None:
        for x in self.lines:
            if x.startswith(prefix + " "):
                return _tokens(x)[-1]
        return None


class JunosCli(Cli):
    platform = "juniper_junos"
    more_prompt = "---(more)---"
    more_erase = "\r" + " " * 40 + "\r"

    def __init__(self, device, username, options="") -> None:
        super().__init__(device, username, options)
        self.candidate: JunosConfig | None = None
        self.commands = CommandTable()
        c = self.commands
        c.add("show version", lambda a: self.show_version())
        c.add("show configuration ?", lambda a: self.cached_running())
        c.add("show interfaces terse", lambda a: self.show_terse())
        c.add("show interfaces ?", self._show_interfaces)
        c.add("show chassis hardware", lambda a: self.show_hardware())
        c.add("show system uptime", lambda a: self.show_uptime())
        c.add("set cli screen-length *", self._screen_length)
        c.add("set cli screen-width *", lambda a: f"Screen width set to {a[0]}\n")
        c.add("configure ?", self._configure)
        for w in ("exit", "quit"):
            c.add(w, lambda a: Reply(close=True))
        self.config_commands = CommandTable()
        cc = self.config_commands
        cc.add("set *", lambda a: self._edit("set", a))
        cc.add("delete *", lambda a: self._edit("delete", a))
        cc.add("show ?", self._config_show)
        cc.add("commit ?", self._commit)
        cc.add("rollback ?", self._rollback)
        cc.add("top", lambda a: "")
        cc.add("exit ?", self._exit_config)
        cc.add("quit", self._exit_config)
        cc.add("run *", lambda a: self.dispatch_op(" ".join(a)))
        self.op_commands = self.commands

    # Cli interface ------------------------------------------------------------------------------------

    def banner(self) -> str:
        return f"--- JUNOS {self.facts.version} Kernel 64-bit  JNPR-12.1-20230802.2e4f2a1_buil\n"

    def prompt(self) -> str:
        user_host = f"{self.username}@{self.device.hostname}"
        if self.candidate is not None:
            return f"\n[edit]\n{user_host}# "
        return f"{user_host}> "

    def dispatch(self, line: str) -> Reply:
        if self.candidate is not None:
            saved, self.commands = self.commands, self.config_commands
            try:
                return self._dispatch_piped(line)
            finally:
                self.commands = saved
        return self._dispatch_piped(line)

    def dispatch_op(self, line: str) -> Reply:
        saved, self.commands = self.commands, self.op_commands
        try:
            return self._dispatch_piped(line)
        finally:
            self.commands = saved

    def _dispatch_piped(self, line: str) -> Reply:
        cmd, pipes = split_pipes(line)
        handler, args = self.commands.resolve(cmd)
        if any(p[0] == "display" and len(p) > 1 and p[1] == "set" for p in pipes) and cmd.split()[0] == "show":
            config = self.candidate or self.device.config
            out = "\n".join(config.lines) + "\n"
        else:
            result = handler(args)
            reply = result if isinstance(result, Reply) else Reply(result)
            out = reply.output
            if not pipes:
                return reply
        pipes = [p for p in pipes if p[0] not in ("display", "no-more")]
        try:
            return Reply(apply_pipes(out, pipes, style="junos"))
        except (ValueError, re.error):
            raise Invalid(line.index("|") + 1) from None

    def error(self, line: str, err: Invalid) -> str:
        caret = " " * (len(self.prompt().split("\n")[-1]) + err.pos) + "^\n"
        if err.kind == "incomplete":
            return caret + "syntax error, expecting <command>.\n"
        if err.kind == "ambiguous":
            return caret + f"'{err.token.split()[-1]}' is ambiguous.\n"
        if err.pos == 0:
            return caret + "unknown command.\n"
        return caret + "syntax error, expecting <command>.\n"

    # operational mode ----------------------------------------------------------------------------------

    def _screen_length(self, args: list[str]) -> str:
        if not args[0].isdigit():
            raise Invalid(len("set cli screen-length "))
        self.page_length = int(args[0])
        return f"Screen length set to {args[0]}\n"

    def _configure(self, args: list[str]) -> str:
        self.candidate = copy.deepcopy(self.device.config)
        return "Entering configuration mode\n"

    def _edit(self, verb: str, args: list[str]) -> str:
        assert self.candidate is not None
        if not self.candidate.apply(f"{verb} " + " ".join(_q(a) for a in args)):
            raise Invalid(len(verb) + 1)
        return ""

    def _config_show(self, args: list[str]) -> str:
        assert self.candidate is not None
        return "\n".join(render_hierarchy(self.candidate.lines)) + "\n"

    def _commit(self, args: list[str]) -> str:
        assert self.candidate is not None
        if args and args[0] == "check":
            return "configuration check succeeds\n"
        self._do_commit(self.candidate)
        self.candidate = copy.deepcopy(self.device.config)
        if args and "and-quit".startswith(args[0]):
            self.candidate = None
            return "commit complete\nExiting configuration mode\n"
        return "commit complete\n"

    def _do_commit(self, candidate: JunosConfig) -> None:
        changed = candidate.lines != self.device.config.lines
        self.device.config = copy.deepcopy(candidate)
        self.device.hostname = candidate.value("set system host-name") or self.device.hostname
        if changed:
            self.device.touch(self.username)
        # Junos has no separate startup config: a commit is what survives a reboot.
        self.device.save()

    def _rollback(self, args: list[str]) -> str:
        self.candidate = copy.deepcopy(self.device.config)
        return "load complete\n"

    def _exit_config(self, args: list[str]) -> str:
        assert self.candidate is not None
        dirty = self.candidate.lines != self.device.config.lines
        self.candidate = None
        if dirty:
            return "The configuration has been changed but not committed\nExiting configuration mode\n"
        return "Exiting configuration mode\n"

    # config model -----------------------------------------------------------------------------------

    @classmethod
    def build_config(cls, facts: Facts, spec) -> JunosConfig:
        pw = fake_hash(facts.seed, spec.username, "6")
        lines = [
            f"set version {facts.version}",
            f"set system host-name {facts.hostname}",
            f"set system domain-name {facts.domain}",
            "set system time-zone UTC",
            f'set system root-authentication encrypted-password "{fake_hash(facts.seed, "root", "6")}"',
            f"set system login user {spec.username} uid 2000",
            f"set system login user {spec.username} class super-user",
            f'set system login user {spec.username} authentication encrypted-password "{pw}"',
            "set system services ssh root-login deny",
            "set system services netconf ssh",
            'set system syslog user * any emergency',
            "set system syslog file messages any notice",
            "set system syslog file interactive-commands interactive-commands any",
            *(f"set system ntp server {s}" for s in facts.ntp_servers),
            f'set snmp location "{facts.location}"',
            f'set snmp contact "{facts.contact}"',
            f"set snmp community {spec.snmp_community} authorization read-only",
        ]
        for i in facts.interfaces:
            if i.description:
                lines.append(f'set interfaces {i.name} description "{i.description}"')
            if not i.enabled:
                lines.append(f"set interfaces {i.name} disable")
            if i.address:
                lines.append(f"set interfaces {i.name} unit 0 family inet address {i.address}")
            elif i.name.startswith("ge-"):
                lines.append(f"set interfaces {i.name} unit 0 family ethernet-switching interface-mode access")
        lo = next((i for i in facts.interfaces if i.name == "lo0"), None)
        if lo and lo.ip:
            lines.append(f"set routing-options router-id {lo.ip}")
        lines.append("set routing-options static route 0.0.0.0/0 next-hop 192.0.2.254")
        lines.append("set protocols lldp interface all")
        # Rendered hierarchy is ~2x the set lines; filter terms (3 set lines, ~9 rendered) pad it.
        rendered = len(render_hierarchy(lines)) + 10
        n_terms = max(0, spec.config_lines - rendered) // 9
        for n, (proto, host, _port) in enumerate(filler(facts, n_terms)):
            base = f"set firewall family inet filter NETCRON-MGMT term t{n + 1}"
            lines += [f"{base} from source-address {host}/32", f"{base} from protocol {proto}",
                      f"{base} then accept"]
        return JunosConfig(lines)

    def _header(self) -> str:
        when = self.device.last_change.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"## Last commit: {when} by {self.device.last_change_by}\n"

    def render_running(self) -> str:
        return self._header() + "\n".join(render_hierarchy(self.device.config.lines)) + "\n"

    def render_startup(self) -> str:
        return self.render_running()

    def apply_lines(self, lines: list[str]) -> None:
        candidate = copy.deepcopy(self.device.config)
        for line in lines:
            if not candidate.apply(line):
                raise ValueError(f"invalid config line: {line.strip()[:80]!r}")
        self._do_commit(candidate)

    def interfaces(self) -> list[Interface]:
        by_name = {i.name: i for i in self.facts.interfaces}
        names: list[str] = []
        for x in self.device.config.lines:
            t = _tokens(x)
            if len(t) > 2 and t[1] == "interfaces" and t[2] not in names:
                names.append(t[2])
        out = []
        for name in names:
            base = by_name.get(name) or Interface(name=name, index=len(by_name) + len(out) + 1)
            i = Interface(**base.__dict__)
            i.description = self.device.config.value(f"set interfaces {name} description") or ""
            i.address = self.device.config.value(f"set interfaces {name} unit 0 family inet address")
            i.enabled = f"set interfaces {name} disable" not in self.device.config.lines
            i.oper_up = i.enabled and base.oper_up
            out.append(i)
        return out

    # show commands ------------------------------------------------------------------------------------

    def show_version(self) -> str:
        f = self.facts
        return (
            f"Hostname: {self.device.hostname}\nModel: {f.model}\nJunos: {f.version}\n"
            f"JUNOS OS Kernel 64-bit  [20230802.2e4f2a1_builder_stable_12_222]\n"
            f"JUNOS OS libs [20230802.2e4f2a1_builder_stable_12_222]\n"
            f"JUNOS OS runtime [20230802.2e4f2a1_builder_stable_12_222]\n"
            f"JUNOS OS time zone information [20230802.2e4f2a1_builder_stable_12_222]\n"
            f"JUNOS network stack and utilities [20230824.095043_builder_junos_224_r3_s2]\n"
            f"JUNOS libs [20230824.095043_builder_junos_224_r3_s2]\n"
            f"JUNOS Packet Forwarding Engine Support (MX/EX92XX Common) [{f.version}]\n"
            f"JUNOS Routing Engine Software Suite [{f.version}]\n"
        )

    def show_hardware(self) -> str:
        f = self.facts
        return (
            "Hardware inventory:\nItem             Version  Part number  Serial number     Description\n"
            f"Chassis                                {f.serial:<17} {f.model.upper()}\n"
            f"Routing Engine 0 REV 09   750-076543   {f.serial[:-2]}RE     RE-S-1600x8\n"
        )

    def show_uptime(self) -> str:
        up = self.device.uptime
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (f"Current time: {now}\nSystem booted: {self.device.booted_at:%Y-%m-%d %H:%M:%S UTC} "
                f"({up.days // 7}w{up.days % 7}d {up.seconds // 3600:02d}:{up.seconds // 60 % 60:02d} ago)\n")

    def show_terse(self) -> str:
        rows = [f"{'Interface':<24}{'Admin':<6}{'Link':<5}{'Proto':<9}{'Local':<22}Remote"]
        for i in self.interfaces():
            admin = "up" if i.enabled else "down"
            link = "up" if i.oper_up else "down"
            rows.append(f"{i.name:<24}{admin:<6}{link}")
            if i.address:
                rows.append(f"{i.name + '.0':<24}{admin:<6}{link:<5}{'inet':<9}{i.address}")
        return "\n".join(rows) + "\n"

    def _show_interfaces(self, args: list[str]) -> str:
        ifaces = self.interfaces()
        if args:
            ifaces = [i for i in ifaces if i.name == args[0]]
            if not ifaces:
                return f"error: device {args[0]} not found\n"
        out = []
        for i in ifaces:
            n = i.index * 3571 + self.facts.seed % 100000
            out += [
                f"Physical interface: {i.name}, {'Enabled' if i.enabled else 'Administratively down'}, "
                f"Physical link is {'Up' if i.oper_up else 'Down'}",
                f"  Interface index: {100 + i.index}, SNMP ifIndex: {500 + i.index}",
            ]
            if i.description:
                out.append(f"  Description: {i.description}")
            out += [
                f"  Link-level type: Ethernet, MTU: {i.mtu + 14}, LAN-PHY mode, Speed: {i.speed_mbps}mbps, "
                "Duplex: Full-Duplex",
                f"  Current address: {i.mac}, Hardware address: {i.mac}",
                "  Last flapped   : 2025-12-28 10:11:12 UTC (1w1d 21:48 ago)",
                f"  Input rate     : {n % 9000} bps ({n % 11} pps)",
                f"  Output rate    : {n % 8000} bps ({n % 7} pps)",
                "",
            ]
        return "\n".join(out) + "\n"
