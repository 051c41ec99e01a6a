"""Config model of IOS-like CLIs (IOS, NX-OS, EOS): top-level lines, each with indented children.

Enough semantics for backups to see meaningful diffs: sub-modes, ``no`` removal, singleton keys such as
``hostname`` replaced in place, order preserved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Top-level commands that open a sub-mode, and the mode name IOS shows in the prompt.
SUBMODES = {
    "interface": "config-if",
    "router": "config-router",
    "line": "config-line",
    "vlan": "config-vlan",
    "ip access-list": "config-ext-nacl",
    "ip prefix-list": None,
    "route-map": "config-route-map",
    "class-map": "config-cmap",
    "policy-map": "config-pmap",
    "vrf definition": "config-vrf",
    "vrf context": "config-vrf",
    "vrf instance": "config-vrf",
    "management api": "config-mgmt-api-http-cmds",
    "archive": "config-archive",
    "control-plane": "config-cp",
    "redundancy": "config-red",
    "aaa group server": "config-sg-tacacs+",
}

# Global commands that can appear once: a new value replaces the old line.
SINGLETONS = (
    "hostname ",
    "ip domain name ",
    "ip domain-name ",
    "clock timezone ",
    "snmp-server location ",
    "snmp-server contact ",
    "logging buffered ",
    "banner motd ",
    "enable secret ",
    "ip name-server ",
    "spanning-tree mode ",
    "switchname ",
    "ip routing",
)

GLOBAL_WORDS = {
    "aaa", "access-list", "alias", "archive", "banner", "boot", "cdp", "class-map", "clock", "control-plane",
    "crypto", "daemon", "default", "enable", "errdisable", "event", "feature", "hostname", "interface", "ip",
    "ipv6", "license", "line", "lldp", "logging", "login", "mac", "management", "monitor", "no", "ntp",
    "platform", "policy-map", "radius-server", "redundancy", "route-map", "router", "service",
    "snmp-server", "spanning-tree", "switchname", "system", "tacacs-server", "transceiver", "udld",
    "username", "version", "vlan", "vrf", "vtp", "copp", "power", "diagnostic", "port-channel", "key",
}

CHILD_WORDS = {
    "access-class", "address-family", "bandwidth", "bgp", "cdp", "channel-group", "default", "delay",
    "description", "deny", "duplex", "encapsulation", "exec-timeout", "exit-address-family", "ip", "ipv6",
    "lldp", "load-interval", "logging", "login", "match", "maximum-paths", "mode", "mtu", "name", "neighbor",
    "network", "no", "password", "peer", "permit", "privilege", "protocol", "redistribute", "remark",
    "router-id", "service-policy", "set", "shutdown", "speed", "spanning-tree", "standby", "stopbits",
    "storm-control", "switchport", "transport", "vrf", "vrrp", "session-timeout", "authentication", "class",
    "police", "server", "rd", "route-target", "timers", "passive-interface", "area", "log-adjacency-changes",
    "flowcontrol", "power", "storm", "udld", "vpc", "rate-limit", "priority", "length", "width", "timeout",
    "destination", "source", "state", "vlan", "media-type", "negotiation", "keepalive",
}


# Child settings that hold one value: setting them again replaces the old line.
_REPLACE_KEYS = (
    ("description",), ("ip", "address"), ("mtu",), ("speed",), ("duplex",), ("switchport", "mode"),
    ("switchport", "access", "vlan"), ("bandwidth",), ("name",), ("exec-timeout",), ("router-id",),
)


@dataclass
class Block:
    line: str
    children: list[str] = field(default_factory=list)


@dataclass
class ConfigTree:
    blocks: list[Block] = field(default_factory=list)

    def copy(self) -> ConfigTree:
        # Blocks hold only strings: a two-level copy is a deep copy, ~30x cheaper than copy.deepcopy.
        return ConfigTree([Block(b.line, list(b.children)) for b in self.blocks])

    def find(self, line: str) -> Block | None:
        for b in self.blocks:
            if b.line == line:
                return b
        return None

    def block(self, line: str) -> Block:
        b = self.find(line)
        if b is None:
            b = Block(line)
            self.blocks.append(b)
        return b

    def get(self, prefix: str) -> str | None:
        for b in self.blocks:
            if b.line.startswith(prefix):
                return b.line[len(prefix):]
        return None

    def lines(self, indent: str = " ", separator: str | None = "!") -> list[str]:
        out: list[str] = []
        prev_had_children = False
        for b in self.blocks:
            if separator is not None and (b.children or prev_had_children) and out and out[-1] != separator:
                out.append(separator)
            out.append(b.line)
            out.extend(indent + c for c in b.children)
            prev_had_children = bool(b.children)
        return out


def submode_of(line: str) -> str | bool | None:
    """Mode name if ``line`` opens a sub-mode, False otherwise (None: opens one without a prompt)."""
    for key, mode in SUBMODES.items():
        if line == key or line.startswith(key + " "):
            return mode
    return False


class TreeEditor:
    """Applies config lines like a config-mode session would; tracks the current sub-mode."""

    def __init__(self, tree: ConfigTree) -> None:
        self.tree = tree
        self.current: Block | None = None
        self.mode: str | None = None  # None = global config

    def apply(self, raw: str) -> bool:
        """Apply one line; returns False when it is not a config command we know (invalid input)."""
        line = raw.strip()
        if not line or line.startswith("!"):
            return True
        first = line.split()[0].lower()
        if len(first) >= 3 and "interface".startswith(first) and first != "interface":
            line = "interface " + line.split(None, 1)[1] if " " in line else line
            first = "interface"
        if first == "interface" and " " in line:
            line = "interface " + self._interface_name(line.split(None, 1)[1])
        if first == "exit":
            if self.current is None:
                return True
            self.current, self.mode = None, None
            return True
        mode = submode_of(line)
        if mode is not False:
            self.current = self.tree.block(line)
            self.mode = mode or "config"
            return True
        if self.current is not None and (first in CHILD_WORDS or first.isdigit()):
            self._apply_child(self.current, line)
            return True
        if first not in GLOBAL_WORDS:
            return False
        # A global command typed in a sub-mode leaves the sub-mode, as IOS does.
        self.current, self.mode = None, None
        self._apply_global(line)
        return True

    def _interface_name(self, typed: str) -> str:
        """Expand "gi1/0/2" to the existing "GigabitEthernet1/0/2", as IOS does."""
        import re

        m = re.match(r"([A-Za-z\-]+)\s*(\S.*)", typed.strip())
        if not m:
            return typed.strip()
        for b in self.tree.blocks:
            if b.line.startswith("interface "):
                name = b.line[len("interface "):]
                n = re.match(r"([A-Za-z\-]+)(.*)", name)
                if n and n.group(1).lower().startswith(m.group(1).lower()) and n.group(2) == m.group(2):
                    return name
        return typed.strip()

    def _apply_child(self, block: Block, line: str) -> None:
        words = line.split()
        if words[0] == "no":
            target = line[3:]
            block.children = [c for c in block.children if not (c == target or c.startswith(target + " "))]
            return
        for key in _REPLACE_KEYS:
            if words[: len(key)] == list(key) and "secondary" not in words:
                for i, c in enumerate(block.children):
                    cw = c.split()
                    if cw[: len(key)] == list(key) and "secondary" not in cw:
                        block.children[i] = line
                        return
                break
        if line not in block.children:
            block.children.append(line)

    def _apply_global(self, line: str) -> None:
        if line.startswith("no "):
            target = line[3:]
            self.tree.blocks = [
                b for b in self.tree.blocks if not (b.line == target or b.line.startswith(target + " "))
            ]
            return
        for key in SINGLETONS:
            if line.startswith(key) or line == key.strip():
                for b in self.tree.blocks:
                    if b.line.startswith(key) or b.line == key.strip():
                        b.line = line
                        return
                break
        self.tree.block(line)
