"""A Linux server running FRR: a bash-like shell over a small in-memory file system."""

from __future__ import annotations

import shlex

from netcron.lab.configgen import Facts, Interface, filler

from .base import Cli, Invalid, Reply, apply_pipes

FRR_CONF = "/etc/frr/frr.conf"


class LinuxCli(Cli):
    platform = "linux"
    default_page_length = 0  # shells do not page

    def banner(self) -> str:
        f = self.facts
        return (
            f"Welcome to {f.model} (GNU/Linux {f.version} x86_64)\n\n"
            " * Documentation:  https://help.ubuntu.com\n * Management:     https://landscape.canonical.com\n\n"
            "Last login: Mon Jan  5 07:59:12 2026 from 192.0.2.10\n"
        )

    def prompt(self) -> str:
        return f"{self.username}@{self.device.hostname}:~$ "

    def error(self, line: str, err: Invalid) -> str:
        return f"-bash: {line.split()[0]}: command not found\n"

    @property
    def files(self) -> dict[str, str]:
        return self.device.config

    def dispatch(self, line: str) -> Reply:
        # Only "|" to grep is supported, which is what scripts use.
        cmd, _, pipe = line.partition("|")
        try:
            words = shlex.split(cmd)
        except ValueError:
            return Reply("-bash: syntax error: unexpected end of file\n")
        if not words:
            return Reply()
        if words[0] == "sudo":
            words = words[1:] or ["true"]
        out = self._run(words, cmd)
        if pipe.strip():
            p = shlex.split(pipe)
            if p[0] != "grep" or len(p) < 2:
                return Reply(f"-bash: {p[0]}: command not found\n")
            out = apply_pipes(out, [["include", p[-1]]]) + "\n" if out else out
        return out if isinstance(out, Reply) else Reply(out)

    def _run(self, words: list[str], raw: str):
        cmd, args = words[0], words[1:]
        if cmd in ("exit", "logout"):
            return Reply(close=True)
        if cmd == "true":
            return ""
        if cmd == "cat":
            out = []
            for path in args:
                if path in self.files:
                    out.append(self.files[path])
                else:
                    out.append(f"cat: {path}: No such file or directory\n")
            return "".join(out)
        if cmd == "echo":
            if ">>" in args or ">" in args:
                op = ">>" if ">>" in args else ">"
                i = args.index(op)
                text, path = " ".join(args[:i]) + "\n", args[i + 1] if i + 1 < len(args) else ""
                if not path.startswith("/etc/"):
                    return f"-bash: {path}: Permission denied\n"
                self.files[path] = (self.files.get(path, "") if op == ">>" else "") + text
                if path == "/etc/hostname":
                    self.device.hostname = text.strip()
                self.device.touch(self.username)
                return ""
            return " ".join(args) + "\n"
        if cmd == "hostname":
            return self.device.hostname + "\n"
        if cmd == "whoami":
            return self.username + "\n"
        if cmd == "uname":
            f = self.facts
            if "-a" in args:
                return f"Linux {self.device.hostname} {f.version} #115-Ubuntu SMP x86_64 x86_64 x86_64 GNU/Linux\n"
            return "Linux\n"
        if cmd == "uptime":
            up = self.device.uptime
            return f" 08:00:00 up {up.days} days, {up.seconds // 3600}:{up.seconds // 60 % 60:02d},  1 user,  " \
                   "load average: 0.08, 0.03, 0.01\n"
        if cmd == "ip" and args and args[-1] in ("a", "addr", "address"):
            return self._ip_addr(brief="-br" in args)
        if cmd == "vtysh" and len(args) >= 2 and args[0] == "-c":
            sub = " ".join(args[1:])
            if sub.startswith("show run"):
                return self.render_running()
            if sub.startswith(("write", "copy run")):
                self.device.save()
                return "Note: this version of vtysh never writes vtysh.conf\nBuilding Configuration...\n" \
                       "Integrated configuration saved to /etc/frr/frr.conf\n[OK]\n"
            return "% Unknown command: " + sub + "\n"
        raise Invalid(0)

    def _ip_addr(self, brief: bool) -> str:
        rows = []
        for n, i in enumerate(self.interfaces(), 1):
            state = "UP" if i.oper_up else "DOWN"
            if i.name == "lo":
                state = "UNKNOWN"
            if brief:
                rows.append(f"{i.name:<16} {state:<14} {i.address or ''}")
            else:
                rows.append(f"{n}: {i.name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu {i.mtu} qdisc mq state {state}")
                rows.append(f"    link/ether {i.mac} brd ff:ff:ff:ff:ff:ff")
                if i.address:
                    rows.append(f"    inet {i.address} scope global {i.name}")
        return "\n".join(rows) + "\n"

    @classmethod
    def build_config(cls, facts: Facts, spec) -> dict[str, str]:
        ifaces = "\n".join(
            f"auto {i.name}\niface {i.name} inet static\n    address {i.address}\n"
            for i in facts.interfaces if i.address and i.name != "lo"
        )
        frr = [
            "frr version 8.4.4", "frr defaults traditional", f"hostname {facts.hostname}",
            "log syslog informational", "service integrated-vtysh-config", "!",
        ]
        fixed = len(frr) + 12
        for n, (_p, host, _port) in enumerate(filler(facts, max(0, spec.config_lines - fixed))):
            frr.append(f"ip prefix-list NETCRON-PL seq {5 * (n + 1)} permit {host}/32")
        frr += ["!", "router bgp 65000", " bgp router-id 10.255.0.1", " neighbor 192.0.2.254 remote-as 65001",
                " !", " address-family ipv4 unicast", "  network 10.0.0.0/8", " exit-address-family", "exit",
                "!", "line vty", "!"]
        return {
            "/etc/hostname": facts.hostname + "\n",
            "/etc/hosts": f"127.0.0.1 localhost\n127.0.1.1 {facts.hostname}.{facts.domain} {facts.hostname}\n",
            "/etc/os-release": f'PRETTY_NAME="{facts.model}"\nNAME="{facts.model.split()[0]}"\n',
            "/etc/resolv.conf": "nameserver 192.0.2.53\nsearch " + facts.domain + "\n",
            "/etc/network/interfaces": "auto lo\niface lo inet loopback\n\n" + ifaces,
            FRR_CONF: "\n".join(frr) + "\n",
        }

    def render_running(self) -> str:
        return "Building configuration...\n\nCurrent configuration:\n!\n" + self.files[FRR_CONF] + "end\n"

    def render_startup(self) -> str:
        return self.device.startup[FRR_CONF]

    def apply_lines(self, lines: list[str]) -> None:
        """Lines are appended to frr.conf (what ``vtysh`` config mode would do)."""
        self.files[FRR_CONF] += "".join(line.rstrip("\n") + "\n" for line in lines)

    def interfaces(self) -> list[Interface]:
        return self.facts.interfaces
