"""Map a source of truth's platform (NetBox slug/name, Nautobot network_driver/name) to netcron's ids."""

from __future__ import annotations

import re

NETCRON_PLATFORMS = ("cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos", "mikrotik_routeros", "linux")

# Spellings seen in the wild; matched after normalize() (lower case, runs of - / space / . → _).
ALIASES = {
    "cisco_ios": ("ios", "cisco_ios", "ios_xe", "iosxe", "cisco_ios_xe", "cisco_iosxe", "cisco_xe"),
    "cisco_nxos": ("nxos", "nx_os", "cisco_nxos", "cisco_nx_os", "nxos_ssh", "cisco_nxos_ssh"),
    "arista_eos": ("eos", "arista_eos", "arista"),
    "juniper_junos": ("junos", "juniper_junos", "juniper"),
    "mikrotik_routeros": ("routeros", "mikrotik", "mikrotik_routeros", "ros"),
    "linux": ("linux", "ubuntu", "debian", "centos", "rhel", "red_hat_enterprise_linux", "rocky", "almalinux"),
}
_LOOKUP = {alias: platform for platform, aliases in ALIASES.items() for alias in aliases}


def normalize(value: str) -> str:
    return re.sub(r"[\s\-/.]+", "_", value.strip().lower()).strip("_")


class PlatformMapper:
    """Resolves candidates in order; `overrides` ({source value: netcron id}) win over the built-in aliases."""

    def __init__(self, overrides: dict[str, str] | None = None):
        self.overrides = {normalize(k): v for k, v in (overrides or {}).items()}

    def resolve(self, *candidates: str | None) -> str | None:
        keys = [normalize(c) for c in candidates if c]
        for key in keys:
            if key in self.overrides:
                return self.overrides[key]
        for key in keys:
            if key in _LOOKUP:
                return _LOOKUP[key]
        return None
