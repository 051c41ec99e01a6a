"""Simulated CLIs, one module per platform."""

from __future__ import annotations

import importlib

_MODULES = {
    "cisco_ios": ("cisco_ios", "CiscoIosCli"),
    "cisco_nxos": ("cisco_nxos", "CiscoNxosCli"),
    "arista_eos": ("arista_eos", "AristaEosCli"),
    "juniper_junos": ("juniper_junos", "JunosCli"),
    "mikrotik_routeros": ("mikrotik_routeros", "RouterOsCli"),
    "linux": ("linux", "LinuxCli"),
}


def cli_class_for(platform: str):
    module, cls = _MODULES[platform]
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)
