"""MikroTik RouterOS 7: path-based commands (``/ip address add ...``), ``/export``, changes apply at once."""

from __future__ import annotations

import re
import shlex

from netcron.lab.configgen import Facts, Interface, filler

from .base import Cli, Invalid, Reply

SECTIONS = (
    "/interface bridge", "/interface bridge port", "/interface ethernet", "/interface list",
    "/interface list member", "/ip pool", "/ip address", "/ip dns", "/ip firewall filter",
    "/ip firewall nat", "/ip firewall address-list", "/ip route", "/ip service", "/ip dhcp-client",
    "/snmp community", "/snmp", "/system clock", "/system identity", "/system note", "/system ntp client",
    "/system ntp client servers", "/system logging", "/user", "/tool romon",
)
SINGLETON = {"/ip dns", "/snmp", "/system clock", "/system identity", "/system note", "/system ntp client",
             "/tool romon"}


def _kv(args: list[str]) -> dict[str, str]:
    out = {}
    for a in args:
        k, _, v = a.partition("=")
        out[k] = v
    return out


def _fmt(kv: dict[str, str]) -> str:
    return " ".join(f'{k}="{v}"' if " " in v else f"{k}={v}" for k, v in kv.items())


class RouterOsConfig:
    def __init__(self) -> None:
        self.sections: dict[str, list[str]] = {}

    def add(self, section: str, entry: str) -> None:
        self.sections.setdefault(section, []).append(entry)

    def set_singleton(self, section: str, kv: dict[str, str]) -> None:
        entries = self.sections.setdefault(section, [])
        current = _kv(shlex.split(entries[0])[1:]) if entries else {}
        current.update(kv)
        self.sections[section] = ["set " + _fmt(dict(sorted(current.items())))]

    def set_item(self, section: str, selector: str, kv: dict[str, str]) -> bool:
        entries = self.sections.setdefault(section, [])
        for i, e in enumerate(entries):
            if f"default-name={selector} " in e + " " or f" name={selector} " in f" {e} ":
                head, _, rest = e.partition("] ") if e.startswith("set [") else ("", "", e)
                body = _kv(shlex.split(rest)[1:] if not head else shlex.split(rest))
                body.update(kv)
                entries[i] = (head + "] " if head else "add ") + _fmt(body)
                return True
        if section == "/interface ethernet":
            entries.append(f"set [ find default-name={selector} ] " + _fmt(kv))
            return True
        return False

    def remove(self, section: str, kv: dict[str, str]) -> int:
        entries = self.sections.get(section, [])
        keep = [e for e in entries if not all(f"{k}={v}" in e.split() for k, v in kv.items())]
        self.sections[section] = keep
        return len(entries) - len(keep)

    def export(self) -> list[str]:
        out = []
        for section in SECTIONS:
            if self.sections.get(section):
                out.append(section)
                out.extend(self.sections[section])
        return out


class RouterOsCli(Cli):
    platform = "mikrotik_routeros"
    more_prompt = "-- [Q quit|D dump|down]"
    more_erase = "\r" + " " * 23 + "\r"

    def __init__(self, device, username, options="") -> None:
        super().__init__(device, username, options)
        # "admin+ct511w4098h": options after "+"; a tall terminal ("NNNh") means no paging.
        m = re.search(r"\+.*?(\d+)h", options or "")
        if m:
            self.page_length = 0 if int(m.group(1)) > 200 else int(m.group(1))

    def banner(self) -> str:
        return (
            "\n\n\n  MMM      MMM       KKK                          TTTTTTTTTTT      KKK\n"
            "  MMMM    MMMM       KKK                          TTTTTTTTTTT      KKK\n"
            "  MMM MMMM MMM  III  KKK  KKK  RRRRRR     OOOOOO      TTT     III  KKK  KKK\n"
            "  MMM  MM  MMM  III  KKKKK     RRR  RRR  OOO  OOO     TTT     III  KKKKK\n"
            "  MMM      MMM  III  KKK KKK   RRRRRR    OOO  OOO     TTT     III  KKK KKK\n"
            "  MMM      MMM  III  KKK  KKK  RRR  RRR   OOOOOO      TTT     III  KKK  KKK\n\n"
            f"  MikroTik RouterOS {self.facts.version} (c) 1999-2024       https://www.mikrotik.com/\n\n"
            "Press F1 for help\n\n"
        )

    def prompt(self) -> str:
        return f"[{self.username}@{self.device.hostname}] > "

    def error(self, line: str, err: Invalid) -> str:
        col = err.pos + 1
        if err.kind == "syntax":
            return f"syntax error (line 1 column {col})\n"
        if err.kind == "end":
            return f"expected end of command (line 1 column {col})\n"
        word = re.match(r"[^\s/]*", line[err.pos:]).group()
        return f"bad command name {word} (line 1 column {col})\n"

    def dispatch(self, line: str) -> Reply:
        text = line.strip()
        lead = len(line) - len(line.lstrip())
        if text in ("quit", "/quit"):
            return Reply(close=True)
        if not text.startswith("/"):
            raise Invalid(lead)
        if text in ("/export", "/export terse", "/export compact"):
            return Reply(self.cached_running())
        section = next((s for s in sorted(SECTIONS, key=len, reverse=True)
                        if text == s or text.startswith(s + " ")), None)
        if section is None:
            return Reply(self._print_only(text, lead))
        try:
            rest = shlex.split(text[len(section):])
        except ValueError:
            raise Invalid(len(line.rstrip()), "syntax") from None
        if not rest:
            raise Invalid(lead + len(section), "end")
        action, args = rest[0], rest[1:]
        col = lead + len(section) + 1
        if action == "print":
            return Reply(self._print(section))
        if action == "export":
            return Reply("\n".join([section, *self.device.config.sections.get(section, [])]) + "\n")
        try:
            self._change(section, action, args, col)
        except Invalid:
            raise
        self.device.touch(self.username)
        return Reply("")

    def _change(self, section: str, action: str, args: list[str], col: int) -> None:
        cfg: RouterOsConfig = self.device.config
        if any("=" not in a for a in args if not a.startswith("[")) and action == "add":
            raise Invalid(col + len(action) + 1, "syntax")
        if action == "add":
            cfg.add(section, "add " + _fmt(_kv(args)))
        elif action == "set":
            if section in SINGLETON:
                cfg.set_singleton(section, _kv(args))
                if section == "/system identity" and "name" in _kv(args):
                    self.device.hostname = _kv(args)["name"]
            elif args and "=" not in args[0] and not args[0].startswith("["):
                if not cfg.set_item(section, args[0], _kv(args[1:])):
                    raise Invalid(col + len(action) + 1, "item")
            else:
                raise Invalid(col + len(action) + 1, "syntax")
        elif action == "remove":
            cfg.remove(section, _kv([a for a in args if "=" in a]))
        else:
            raise Invalid(col)

    def _print_only(self, text: str, lead: int) -> str:
        if text.startswith("/system resource print"):
            f, up = self.facts, self.device.uptime
            return (
                f"                   uptime: {up.days // 7}w{up.days % 7}d{up.seconds // 3600:02d}:"
                f"{up.seconds // 60 % 60:02d}:{up.seconds % 60:02d}\n"
                f"                  version: {f.version} (stable)\n"
                "               build-time: 2024-10-10 14:03:32\n"
                "              free-memory: 3.4GiB\n             total-memory: 4.0GiB\n"
                "                      cpu: ARM64\n                cpu-count: 4\n"
                "                 cpu-load: 1%\n           architecture-name: arm64\n"
                f"               board-name: {f.model}\n                 platform: MikroTik\n"
            )
        if text.startswith("/system routerboard print"):
            f = self.facts
            return (f"       routerboard: yes\n             model: {f.model}\n     serial-number: {f.serial}\n"
                    f"     firmware-type: al2\n  current-firmware: {f.version}\n  upgrade-firmware: {f.version}\n")
        if text.startswith("/interface print"):
            rows = ["Flags: R - RUNNING; X - DISABLED", "Columns: NAME, TYPE, ACTUAL-MTU, MAC-ADDRESS",
                    " #   NAME          TYPE    ACTUAL-MTU  MAC-ADDRESS"]
            for n, i in enumerate(self.interfaces()):
                flag = "X" if not i.enabled else ("R" if i.oper_up else " ")
                kind = "bridge" if i.name.startswith("bridge") else "ether"
                rows.append(f"{n:>2} {flag} {i.name:<13} {kind:<7} {i.mtu:>10}  {i.mac.upper()}")
            return "\n".join(rows) + "\n"
        word_at = lead + 1 + len(text[1:].split()[0]) + 1 if " " in text else lead + 1
        if text.split()[0] in ("/system", "/ip", "/interface", "/snmp", "/user", "/tool"):
            raise Invalid(word_at)
        raise Invalid(lead + 1)

    def _print(self, section: str) -> str:
        entries = self.device.config.sections.get(section, [])
        if section in SINGLETON:
            kv = _kv(entries[0].split()[1:]) if entries else {}
            return "".join(f"{k:>20}: {v}\n" for k, v in kv.items())
        rows = [f"Columns: {', '.join(k.upper() for k in _kv(entries[0].split()[1:]))}"] if entries else []
        for n, e in enumerate(entries):
            rows.append(f"{n:>2}   " + " ".join(v.partition("=")[2] for v in e.split()[1:] if "=" in v))
        return "\n".join(rows) + "\n"

    # config model ------------------------------------------------------------------------------------

    @classmethod
    def build_config(cls, facts: Facts, spec) -> RouterOsConfig:
        c = RouterOsConfig()
        c.add("/interface bridge", "add name=bridge1 comment=LAN")
        for i in facts.interfaces:
            if i.name.startswith(("ether", "sfp")):
                kv = {}
                if i.description:
                    kv["comment"] = i.description
                if not i.enabled:
                    kv["disabled"] = "yes"
                if kv:
                    c.add("/interface ethernet", f"set [ find default-name={i.name} ] " + _fmt(kv))
        for i in facts.interfaces:
            if i.name.startswith("ether") and not i.address and i.name != "ether1":
                c.add("/interface bridge port", f"add bridge=bridge1 interface={i.name}")
        c.add("/interface list", "add name=WAN")
        c.add("/interface list", "add name=LAN")
        c.add("/ip pool", f"add name=dhcp_pool0 ranges=10.{facts.seed % 200}.0.10-10.{facts.seed % 200}.0.250")
        for i in facts.interfaces:
            if i.address:
                import ipaddress

                net = ipaddress.ip_interface(i.address).network.network_address
                c.add("/ip address", f"add address={i.address} interface={i.name} network={net}")
        c.set_singleton("/ip dns", {"allow-remote-requests": "yes", "servers": "192.0.2.53,198.51.100.53"})
        fixed = 40 + len(facts.interfaces) * 2
        for proto, host, port in filler(facts, max(0, spec.config_lines - fixed)):
            c.add("/ip firewall filter",
                  f"add action=accept chain=input dst-port={port} protocol={proto} src-address={host}")
        c.add("/ip firewall filter", "add action=drop chain=input comment=\"defconf: drop all\" in-interface-list=WAN")
        c.add("/ip firewall nat", "add action=masquerade chain=srcnat out-interface-list=WAN")
        c.add("/ip route", "add disabled=no dst-address=0.0.0.0/0 gateway=192.0.2.254")
        c.add("/ip service", "set telnet disabled=yes")
        c.add("/ip service", "set ftp disabled=yes")
        c.add("/snmp community", f"set [ find default=yes ] name={spec.snmp_community}")
        c.set_singleton("/snmp", {"contact": facts.contact, "enabled": "yes", "location": facts.location})
        c.set_singleton("/system clock", {"time-zone-name": "UTC"})
        c.set_singleton("/system identity", {"name": facts.hostname})
        c.set_singleton("/system note", {"show-at-login": "no"})
        c.set_singleton("/system ntp client", {"enabled": "yes"})
        for s in facts.ntp_servers:
            c.add("/system ntp client servers", f"add address={s}")
        return c

    def render_running(self) -> str:
        f = self.facts
        when = self.device.last_change.strftime("%Y-%m-%d %H:%M:%S")
        head = [f"# {when} by RouterOS {f.version}", f"# software id = {f.serial[2:6]}-{f.serial[6:10]}", "#",
                f"# model = {f.model}", f"# serial number = {f.serial}"]
        return "\n".join([*head, *self.device.config.export()]) + "\n"

    def render_startup(self) -> str:
        return self.render_running()  # RouterOS has no separate startup config

    def apply_lines(self, lines: list[str]) -> None:
        for line in lines:
            try:
                self.dispatch(line)
            except Invalid:
                raise ValueError(f"invalid command: {line.strip()[:80]!r}") from None

    def interfaces(self) -> list[Interface]:
        cfg: RouterOsConfig = self.device.config
        out = []
        for base in self.facts.interfaces:
            i = Interface(**base.__dict__)
            i.description, i.enabled = "", True
            for e in cfg.sections.get("/interface ethernet", []):
                if f"default-name={i.name} " in e + " ":
                    kv = _kv(shlex.split(e.partition("] ")[2]))
                    i.description = kv.get("comment", "").strip('"')
                    i.enabled = kv.get("disabled", "no") != "yes"
            i.address = None
            for e in cfg.sections.get("/ip address", []):
                kv = _kv(e.split()[1:])
                if kv.get("interface") == i.name:
                    i.address = kv.get("address")
            i.oper_up = i.enabled and base.oper_up
            out.append(i)
        return out
