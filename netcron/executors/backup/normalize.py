"""What to run per platform to get its configs, and how to turn the output into a stable text file."""

from __future__ import annotations

import re

# kind -> command; a platform without "startup" has no separate startup config (it is skipped).
PLATFORM_COMMANDS: dict[str, dict[str, str]] = {
    "cisco_ios": {"running": "show running-config", "startup": "show startup-config"},
    "cisco_nxos": {"running": "show running-config", "startup": "show startup-config"},
    "arista_eos": {"running": "show running-config", "startup": "show startup-config"},
    # Commits are persistent on Junos and RouterOS: the running config is the one that boots.
    "juniper_junos": {"running": "show configuration"},
    "mikrotik_routeros": {"running": "/export"},
    "linux": {"running": "vtysh -c 'show running-config'", "startup": "cat /etc/frr/frr.conf"},
}

# Lines that change without anyone changing the config: timestamps, counters, uptime, banners of the
# command itself. Dropping them keeps "unchanged" unchanged (and the git history meaningful).
VOLATILE: dict[str, list[str]] = {
    "cisco_ios": [
        r"^Building configuration\.\.\.$",
        r"^Current configuration ?: \d+ bytes$",
        r"^Using \d+ out of \d+ bytes",
        r"^! Last configuration change at ",
        r"^! NVRAM config last updated at ",
        r"^! No configuration change since last restart",
        r"^ntp clock-period \d+",
        r"^! Time: ",
    ],
    "cisco_nxos": [
        r"^!Command: show ",
        r"^!Running configuration last done at: ",
        r"^!Startup config saved at: ",
        r"^!Time: ",
        r"^ntp clock-period \d+",
    ],
    "arista_eos": [
        r"^! Command: show ",
        r"^! Startup-config last modified at ",
        r"^! Time: ",
        r"^ntp clock-period \d+",
    ],
    "juniper_junos": [
        r"^## Last commit: ",
        r"^## Last changed: ",
        r"^# Last commit: ",
    ],
    "mikrotik_routeros": [
        r"^# .* by RouterOS ",
    ],
    "linux": [
        r"^Building configuration\.\.\.$",
        r"^Current configuration:$",
    ],
}


def command_for(platform: str, kind: str, overrides: dict[str, dict[str, str]]) -> str | None:
    """The command that prints this kind of config, or None if the platform has no such config."""
    return overrides.get(platform, {}).get(kind) or PLATFORM_COMMANDS.get(platform, {}).get(kind)


def volatile_re(platform: str, strip: bool, extra: dict[str, list[str]]) -> re.Pattern[str] | None:
    patterns = [*(VOLATILE.get(platform, []) if strip else []), *extra.get("*", []), *extra.get(platform, [])]
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def normalise(text: str, volatile: re.Pattern[str] | None) -> str:
    """Unix line endings, no trailing whitespace, no volatile lines, no blank lines at either end."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = [line.rstrip() for line in lines]
    if volatile is not None:
        out = [line for line in out if not volatile.search(line)]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""
