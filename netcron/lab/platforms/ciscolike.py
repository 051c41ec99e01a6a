"""Exec / enable / config-mode behaviour shared by IOS, NX-OS and EOS; each subclass adds its texts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from netcron.lab.configgen import Interface

from .base import Cli, Invalid, Reply
from .ciscotree import ConfigTree, TreeEditor


class CiscoLikeCli(Cli):
    indent = " "
    separator: str | None = "!"
    hostname_key = "hostname "
    starts_privileged = False
    config_shows_without_do = False  # NX-OS and EOS accept "show ..." in config mode

    def __init__(self, device, username, options="") -> None:
        super().__init__(device, username, options)
        self.privileged = self.starts_privileged or device.spec.login_privileged
        self.editor: TreeEditor | None = None
        self.user_commands = self.commands.__class__()
        self._register()

    # tables -------------------------------------------------------------------------------------------

    def _register(self) -> None:
        for table in (self.user_commands, self.commands):
            table.add("show version", lambda a: self.show_version())
            table.add("show interfaces ?", self._show_interfaces)
            table.add("show ip interface brief", lambda a: self.show_ip_int_brief())
            table.add("show clock", lambda a: self.show_clock())
            table.add("show inventory", lambda a: self.show_inventory())
            table.add("terminal length *", self._terminal_length)
            table.add("terminal width *", lambda a: "")
            table.add("terminal monitor", lambda a: "")
            for word in self.exit_words:
                table.add(word, lambda a: Reply(close=True))
            table.add("enable", self._enable)
        self.commands.add("show running-config ?", lambda a: self.running_config(a) if a else self.cached_running())
        self.commands.add("show startup-config", lambda a: self.startup_config())
        self.commands.add("configure terminal", self._configure)
        self.commands.add("configure", self._configure)
        self.commands.add("write memory", lambda a: self.save())
        self.commands.add("write", lambda a: self.save())
        self.commands.add("copy running-config startup-config", lambda a: self.save())
        self.commands.add("disable", self._disable)

    # the Cli interface ----------------------------------------------------------------------------------

    def prompt(self) -> str:
        mode = f"({self.editor.mode or 'config'})" if self.editor is not None else ""
        return f"{self.hostname}{mode}{'#' if self.privileged else '>'}"

    def dispatch(self, line: str) -> Reply:
        if self.editor is not None:
            return self._config_line(line)
        if not self.privileged:
            saved, self.commands = self.commands, self.user_commands
            try:
                return super().dispatch(line)
            finally:
                self.commands = saved
        return super().dispatch(line)

    def error(self, line: str, err: Invalid) -> str:
        if err.kind == "incomplete":
            return "% Incomplete command.\n"
        if err.kind == "ambiguous":
            return f'% Ambiguous command:  "{err.token}"\n'
        caret = " " * (len(self.prompt()) + err.pos) + "^\n"
        return caret + "% Invalid input detected at '^' marker.\n"

    # exec commands ----------------------------------------------------------------------------------------

    def _terminal_length(self, args: list[str]) -> str:
        if not args or not args[0].isdigit() or int(args[0]) > 512:
            raise Invalid(len("terminal length "))
        self.page_length = int(args[0])
        return ""

    def _enable(self, args: list[str]) -> Reply:
        if self.privileged:
            return Reply()
        secret = self.device.spec.enable_secret
        if not secret:
            self.privileged = True
            return Reply()

        def check(line: str) -> Reply:
            if line == secret:
                self.privileged = True
                return Reply(paged=False)
            return Reply("% Access denied\n", paged=False)

        return self.ask_secret("Password: ", check)

    def _disable(self, args: list[str]) -> str:
        self.privileged = False
        return ""

    def _configure(self, args: list[str]) -> str:
        if args and not "terminal".startswith(args[0].lower()):
            raise Invalid(len("configure "))
        self.editor = TreeEditor(self.device.config)
        return self.config_banner()

    def config_banner(self) -> str:
        return "Enter configuration commands, one per line.  End with CNTL/Z.\n"

    def _config_line(self, line: str) -> Reply:
        assert self.editor is not None
        stripped = line.strip()
        word = stripped.split()[0].lower() if stripped else ""
        if stripped in ("end", "\x1a") or (word == "exit" and self.editor.current is None):
            self.editor = None
            self.device.touch(self.username)
            return Reply(paged=False)
        if word == "do" or (self.config_shows_without_do and word in ("show", "sh")):
            cmd = stripped[3:] if word == "do" else stripped
            editor, self.editor = self.editor, None
            try:
                return Cli.dispatch(self, cmd)
            except Invalid as e:
                return Reply(self.error(line, Invalid(e.pos + (3 if word == "do" else 0))), paged=False)
            finally:
                self.editor = editor
        before = self.device.hostname
        if not self.editor.apply(stripped):
            raise Invalid(line.index(stripped[0]))
        if stripped.startswith(self.hostname_key):
            self.device.hostname = stripped.split(None, 1)[1]
        if self.device.hostname != before or word != "exit":
            self.device.touch(self.username)
        return Reply(paged=False)

    def save(self) -> str:
        self.device.save()
        return "Building configuration...\n[OK]\n"

    def show_clock(self) -> str:
        now = datetime.now(UTC)
        return now.strftime("*%H:%M:%S.") + f"{now.microsecond // 1000:03d}" + now.strftime(" UTC %a %b %d %Y\n")

    def show_inventory(self) -> str:
        f = self.facts
        return (
            f'NAME: "Chassis", DESCR: "{f.model} chassis"\n'
            f"PID: {f.model:<20}, VID: V02  , SN: {f.serial}\n\n"
        )

    def _show_interfaces(self, args: list[str]) -> str:
        ifaces = self.interfaces()
        if args:
            ifaces = [i for i in ifaces if iface_matches(i.name, "".join(args))][:1]
            if not ifaces:
                raise Invalid(len("show interfaces "))
        return "".join(self.show_interface(i) for i in ifaces)

    # config model ------------------------------------------------------------------------------------------

    def render_running(self) -> str:
        return self.running_config([])

    def render_startup(self) -> str:
        return self.startup_config()

    def apply_lines(self, lines: list[str]) -> None:
        editor = TreeEditor(self.device.config)
        for line in lines:
            if not editor.apply(line):
                raise ValueError(f"invalid config line: {line.strip()[:80]!r}")
            if line.strip().startswith(self.hostname_key):
                self.device.hostname = line.split(None, 1)[1].strip()

    def interfaces(self) -> list[Interface]:
        return interfaces_from_tree(self.device.config, self.facts.interfaces)

    def config_lines(self, tree: ConfigTree) -> list[str]:
        return tree.lines(self.indent, self.separator)

    # to be provided by each platform
    def show_version(self) -> str:
        raise NotImplementedError

    def show_interface(self, iface: Interface) -> str:
        raise NotImplementedError

    def show_ip_int_brief(self) -> str:
        raise NotImplementedError

    def running_config(self, args: list[str]) -> str:
        raise NotImplementedError

    def startup_config(self) -> str:
        raise NotImplementedError


def iface_matches(name: str, typed: str) -> bool:
    """IOS-style interface abbreviations: "gi1/0/2" and "Gig 1/0/2" mean GigabitEthernet1/0/2."""
    m_name = re.match(r"([A-Za-z\-]+)(.*)", name)
    m_typed = re.match(r"([A-Za-z\-]+)\s*(.*)", typed)
    if not m_name or not m_typed:
        return False
    return m_name.group(1).lower().startswith(m_typed.group(1).lower()) and m_name.group(2) == m_typed.group(2)


def interfaces_from_tree(tree: ConfigTree, facts_ifaces: list[Interface]) -> list[Interface]:
    """Interfaces as configured now: description, address and shutdown come from the running config."""
    import ipaddress

    by_name = {i.name: i for i in facts_ifaces}
    out = []
    for b in tree.blocks:
        if not b.line.startswith("interface "):
            continue
        name = b.line.split(None, 1)[1]
        base = by_name.get(name) or Interface(name=name, mac="00:00:5e:00:53:01", index=len(by_name) + len(out) + 1)
        iface = Interface(**{**base.__dict__})
        iface.description, iface.address, iface.enabled = "", None, True
        for c in b.children:
            if c.startswith("description "):
                iface.description = c.split(None, 1)[1]
            elif c.startswith("ip address ") and "secondary" not in c:
                parts = c.split()
                if len(parts) >= 4:
                    iface.address = str(ipaddress.ip_interface(f"{parts[2]}/{parts[3]}"))
                elif len(parts) == 3:
                    iface.address = parts[2]
            elif c == "shutdown":
                iface.enabled = False
        iface.oper_up = iface.enabled and base.oper_up
        out.append(iface)
    return out
