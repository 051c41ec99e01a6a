"""Lab description: devices, credentials, faults; loading from YAML/JSON and inventory export."""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

PLATFORMS = ("cisco_ios", "cisco_nxos", "arista_eos", "juniper_junos", "mikrotik_routeros", "linux")
FAULTS = ("down", "auth_fail", "slow", "hang", "drop", "wrong_hostkey")
_SHORT = {
    "cisco_ios": "ios",
    "cisco_nxos": "nxos",
    "arista_eos": "eos",
    "juniper_junos": "junos",
    "mikrotik_routeros": "ros",
    "linux": "lnx",
}
_ROLES = {
    "cisco_ios": "access",
    "cisco_nxos": "leaf",
    "arista_eos": "spine",
    "juniper_junos": "edge",
    "mikrotik_routeros": "branch",
    "linux": "server",
}
_LOCATIONS = ("dc1", "dc2", "branch-nyc", "branch-lon")

INVENTORY_COLUMNS = (
    "name", "host", "port", "platform", "location", "role", "tags", "credential", "username", "password",
    "enable_secret",
)


def default_port() -> int:
    return 22 if os.geteuid() == 0 else 2222


def default_snmp_port() -> int:
    return 161 if os.geteuid() == 0 else 1161


def address_for(index: int, base: str = "127.0.1.1") -> str:
    """127.0.1.1, 127.0.1.2, ... skipping .0 and .255 so every address looks like a host."""
    start = int(ipaddress.ip_address(base))
    n = start
    for _ in range(index):
        n += 1
        while n & 0xFF in (0, 255):
            n += 1
    return str(ipaddress.ip_address(n))


@dataclass
class LabDeviceSpec:
    name: str
    platform: str
    host: str
    port: int = 2222
    username: str = "admin"
    password: str = "admin"  # noqa: S105 - lab default, printed in the inventory on purpose
    enable_secret: str = "enable"  # noqa: S105
    location: str = ""
    role: str = ""
    tags: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    latency: float = 0.0  # seconds added before every reply
    slow_latency: float = 3.0  # latency while the "slow" fault is on
    config_lines: int = 300
    login_privileged: bool = False  # IOS/EOS: log in at "#" instead of ">"
    snmp_port: int | None = None  # None: no SNMP agent for this device
    snmp_community: str = "public"
    snmp_v3_user: str = "netcron"
    snmp_v3_auth_key: str = "netcron-auth-key"
    snmp_v3_priv_key: str = "netcron-priv-key"

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"{self.name}: unknown platform {self.platform!r} (known: {', '.join(PLATFORMS)})")
        bad = set(self.faults) - set(FAULTS)
        if bad:
            raise ValueError(f"{self.name}: unknown fault(s) {sorted(bad)} (known: {', '.join(FAULTS)})")

    def inventory_row(self) -> dict[str, str]:
        return {
            "name": self.name,
            "host": self.host,
            "port": str(self.port),
            "platform": self.platform,
            "location": self.location,
            "role": self.role,
            "tags": ";".join(self.tags),
            "credential": f"lab-{self.username}",
            "username": self.username,
            "password": self.password,
            "enable_secret": self.enable_secret,
        }


@dataclass
class LabSpec:
    devices: list[LabDeviceSpec]
    data_dir: Path = Path(".netcron/lab")

    def by_name(self) -> dict[str, LabDeviceSpec]:
        return {d.name: d for d in self.devices}


def generate(
    count: int,
    platforms: list[str] | tuple[str, ...] = PLATFORMS,
    *,
    port: int | None = None,
    base_address: str = "127.0.1.1",
    start_index: int = 0,
    snmp_port: int | None = None,
    **overrides,
) -> list[LabDeviceSpec]:
    """``count`` devices, platforms assigned round-robin, names like ``ios-0001``."""
    port = default_port() if port is None else port
    out = []
    for i in range(start_index, start_index + count):
        platform = platforms[i % len(platforms)]
        out.append(
            LabDeviceSpec(
                name=f"{_SHORT[platform]}-{i + 1:04d}",
                platform=platform,
                host=address_for(i, base_address),
                port=port,
                location=_LOCATIONS[i % len(_LOCATIONS)],
                role=_ROLES[platform],
                tags=["lab", platform],
                snmp_port=snmp_port,
                **overrides,
            )
        )
    return out


def load_lab_file(path: str | os.PathLike[str], *, port: int | None = None) -> LabSpec:
    """YAML or JSON::

        data_dir: .netcron/lab          # optional
        defaults: {username: admin, password: admin, config_lines: 500, snmp_port: 1161}
        generate: {count: 20, platforms: [cisco_ios, arista_eos]}   # optional
        devices:                        # optional, explicit devices (or overrides of generated ones)
          - {name: ios-0001, faults: [slow]}
          - {name: core1, platform: juniper_junos, host: 127.0.2.1}
        faults: {ios-0003: [auth_fail], eos-0002: [down]}           # optional shorthand
    """
    raw = yaml.safe_load(Path(path).read_text()) or {}
    defaults = dict(raw.get("defaults") or {})
    lab_port = port if port is not None else defaults.pop("port", None)
    devices: dict[str, LabDeviceSpec] = {}
    gen = raw.get("generate")
    if gen:
        for d in generate(
            int(gen.get("count", 10)),
            tuple(gen.get("platforms") or PLATFORMS),
            port=lab_port,
            base_address=gen.get("base_address", "127.0.1.1"),
            **defaults,
        ):
            devices[d.name] = d
    for i, entry in enumerate(raw.get("devices") or []):
        entry = dict(entry)
        name = entry["name"]
        if name in devices:
            merged = {**asdict(devices[name]), **entry}
        else:
            platform = entry.get("platform", "cisco_ios")
            merged = {
                "host": address_for(len(devices) + i, "127.0.1.1"),
                "port": lab_port if lab_port is not None else default_port(),
                "role": _ROLES.get(platform, ""),
                "tags": ["lab", platform],
                **defaults,
                **entry,
            }
        devices[name] = LabDeviceSpec(**merged)
    for name, faults in (raw.get("faults") or {}).items():
        devices[name].faults = list(faults)
        devices[name].__post_init__()
    spec = LabSpec(list(devices.values()))
    if raw.get("data_dir"):
        spec.data_dir = Path(raw["data_dir"])
    return spec


def inventory_csv(devices: list[LabDeviceSpec]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=INVENTORY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for d in devices:
        writer.writerow(d.inventory_row())
    return buf.getvalue()


def inventory_json(devices: list[LabDeviceSpec]) -> str:
    rows = []
    for d in devices:
        row: dict = d.inventory_row()
        row["port"] = d.port
        row["tags"] = list(d.tags)
        if d.snmp_port:
            row["snmp"] = {
                "port": d.snmp_port,
                "community": d.snmp_community,
                "v3_user": d.snmp_v3_user,
                "v3_auth_key": d.snmp_v3_auth_key,
                "v3_priv_key": d.snmp_v3_priv_key,
            }
        rows.append(row)
    return json.dumps({"devices": rows}, indent=2) + "\n"


def write_inventory(devices: list[LabDeviceSpec], path: str | os.PathLike[str]) -> None:
    """CSV unless the file name ends in .json."""
    p = Path(path)
    text = inventory_json(devices) if p.suffix.lower() == ".json" else inventory_csv(devices)
    p.write_text(text)
