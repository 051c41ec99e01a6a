"""Deterministic per-device facts: serial, model, version, interfaces, addresses.

Everything derives from the device name and platform through a seeded RNG, so a lab rebuilt with the same
file produces byte-identical output (backup tests compare against it).
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
from dataclasses import dataclass, field

_DESCRIPTIONS = (
    "uplink to core",
    "server rack A",
    "printer floor 2",
    "AP ceiling",
    "voip phone",
    "camera lobby",
    "storage array",
    "hypervisor",
    "wan handoff",
    "peer link",
    "backup link",
    "mgmt switch",
)

_MODELS = {
    "cisco_ios": (("C9300-48P", "17.09.04a"), ("C9300-24T", "17.06.05"), ("C9200L-48P-4G", "17.09.03")),
    "cisco_nxos": (("N9K-C93180YC-EX", "9.3(10)"), ("N9K-C93240YC-FX2", "10.2(5)")),
    "arista_eos": (("DCS-7050SX3-48YC8-F", "4.30.5M"), ("DCS-7280SR-48C6-F", "4.29.2F")),
    "juniper_junos": (("mx204", "22.4R3-S2.11"), ("ex4300-48t", "21.4R3-S5.4"), ("qfx5120-48y", "23.2R1.14")),
    "mikrotik_routeros": (("CCR2004-16G-2S+", "7.16.1"), ("RB5009UG+S+", "7.15.3"), ("CRS326-24G-2S+", "7.14.3")),
    "linux": (("Ubuntu 22.04.4 LTS", "5.15.0-105-generic"), ("Debian GNU/Linux 12 (bookworm)", "6.1.0-21-amd64")),
}

_SERIAL_PREFIX = {
    "cisco_ios": "FOC",
    "cisco_nxos": "FDO",
    "arista_eos": "JPE",
    "juniper_junos": "JN",
    "mikrotik_routeros": "HE",
    "linux": "VM",
}


@dataclass
class Interface:
    name: str
    description: str = ""
    address: str | None = None  # "10.1.2.3/24"
    enabled: bool = True
    oper_up: bool = True
    speed_mbps: int = 1000
    mtu: int = 1500
    mac: str = "00:00:00:00:00:00"
    index: int = 0

    @property
    def ip(self) -> str | None:
        return self.address.split("/")[0] if self.address else None

    @property
    def netmask(self) -> str | None:
        return str(ipaddress.ip_interface(self.address).netmask) if self.address else None


@dataclass
class Facts:
    name: str
    platform: str
    hostname: str
    model: str
    version: str
    serial: str
    base_mac: str
    mgmt_ip: str
    location: str
    contact: str
    domain: str
    interfaces: list[Interface] = field(default_factory=list)
    vlans: list[tuple[int, str]] = field(default_factory=list)
    ntp_servers: list[str] = field(default_factory=list)
    filler_hosts: list[str] = field(default_factory=list)  # addresses for ACL-ish filler lines
    seed: int = 0

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{purpose}")


def seed_for(name: str, platform: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{platform}/{name}".encode()).digest()[:8], "big")


def _mac(rng: random.Random, oui: str) -> str:
    tail = [rng.randrange(256) for _ in range(3)]
    return oui + ":" + ":".join(f"{b:02x}" for b in tail)


def _interface_names(platform: str, count: int) -> list[str]:
    if platform == "cisco_ios":
        return [f"GigabitEthernet1/0/{i}" for i in range(1, count + 1)] + ["Loopback0", "Vlan10"]
    if platform == "cisco_nxos":
        return ["mgmt0"] + [f"Ethernet1/{i}" for i in range(1, count + 1)] + ["loopback0"]
    if platform == "arista_eos":
        return ["Management1"] + [f"Ethernet{i}" for i in range(1, count + 1)] + ["Loopback0"]
    if platform == "juniper_junos":
        return ["fxp0"] + [f"ge-0/0/{i}" for i in range(count)] + ["lo0"]
    if platform == "mikrotik_routeros":
        return [f"ether{i}" for i in range(1, count + 1)] + ["sfp-sfpplus1", "bridge1"]
    return ["lo", "eth0", "eth1"]


def make_facts(
    name: str,
    platform: str,
    *,
    index: int = 0,
    mgmt_ip: str = "127.0.1.1",
    config_lines: int = 300,
    location: str = "lab",
) -> Facts:
    seed = seed_for(name, platform)
    rng = random.Random(seed)
    model, version = rng.choice(_MODELS[platform])
    serial = _SERIAL_PREFIX[platform] + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(8))
    oui = {"cisco_ios": "00:a3:d1", "cisco_nxos": "00:3a:9c", "arista_eos": "44:4c:a8",
           "juniper_junos": "28:8a:1c", "mikrotik_routeros": "48:8f:5a", "linux": "52:54:00"}[platform]
    # Interfaces carry most of a real config; scale them with the requested size (a dozen lines each).
    port_count = max(4, min(96, config_lines // 14)) if platform != "linux" else 2
    names = _interface_names(platform, port_count)
    subnet = 10 + index % 200
    interfaces = []
    for i, ifname in enumerate(names):
        loop = ifname.lower().startswith(("loopback", "lo"))
        mgmt = ifname in ("mgmt0", "Management1", "fxp0", "eth0", "ether1")
        addr = None
        if mgmt:
            addr = f"{mgmt_ip}/24" if not mgmt_ip.startswith("127.") else f"192.0.2.{1 + index % 250}/24"
        elif loop:
            addr = f"10.255.{index // 250 % 250}.{1 + index % 250}/32" if ifname != "lo" else "127.0.0.1/8"
        elif i % 4 == 1 or ifname.startswith("Vlan") or ifname == "eth1":
            addr = f"10.{subnet}.{i % 250}.1/24"
        up = rng.random() > 0.2 or mgmt or loop
        interfaces.append(
            Interface(
                name=ifname,
                description="management" if mgmt else ("" if loop else rng.choice(_DESCRIPTIONS)),
                address=addr,
                enabled=up or rng.random() > 0.5,
                oper_up=up,
                speed_mbps=10000 if "sfp" in ifname or "Ten" in ifname else 1000,
                mtu=9214 if platform in ("arista_eos", "cisco_nxos") and not mgmt else 1500,
                mac=_mac(rng, oui),
                index=i + 1,
            )
        )
    hostname = name
    return Facts(
        name=name,
        platform=platform,
        hostname=hostname,
        model=model,
        version=version,
        serial=serial,
        base_mac=_mac(rng, oui),
        mgmt_ip=mgmt_ip,
        location=location,
        contact="noc@example.net",
        domain="lab.example.net",
        interfaces=interfaces,
        vlans=[(v, f"VLAN{v:04d}") for v in sorted(rng.sample(range(10, 400), 6))],
        ntp_servers=["192.0.2.123", "198.51.100.123"],
        filler_hosts=[f"203.0.113.{rng.randrange(1, 255)}" for _ in range(8)],
        seed=seed,
    )


def filler(facts: Facts, n: int) -> list[tuple[str, str, int]]:
    """``n`` deterministic (proto, host, port) triples for ACL / firewall filler lines."""
    rng = facts.rng("filler")
    out = []
    for _ in range(n):
        out.append((rng.choice(("tcp", "udp")), f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                    rng.choice((22, 53, 80, 123, 161, 443, 514, 830, 8080))))
    return out


def dotted(mac: str) -> str:
    """00:a3:d1:f4:0a:01 -> 00a3.d1f4.0a01 (Cisco style)."""
    h = mac.replace(":", "")
    return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"
