from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import AliasChoices, ConfigDict, Field, ValidationInfo, field_validator

from netcron.executors.base import Params
from netcron.inventory.models import PLATFORM_CHOICES
from netcron.lib.dns import DnsConfigError, parse_server

PLATFORMS = [p for p, _ in PLATFORM_CHOICES]
MAX_IPS_CAP = 1 << 20  # one run never sweeps more than a /12


def _alias(name: str) -> AliasChoices:
    # The seed products spelled these scan_<name>; both spellings are accepted, the short one is stored.
    return AliasChoices(name, f"scan_{name}")


def networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(v, strict=False) for v in values]


class ScanParams(Params):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    max_ips: int = Field(65_536, ge=1, le=MAX_IPS_CAP, validation_alias=_alias("max_ips"),
                         description="Refuse to scan more addresses than this")
    prefixes: list[str] = Field(default_factory=list, max_length=1000,
                                description="CIDR prefixes to sweep, e.g. 10.1.0.0/24")
    include: list[str] = Field(default_factory=list, max_length=1000,
                               description="Extra addresses or CIDRs to sweep as well")
    exclude: list[str] = Field(default_factory=list, max_length=1000,
                               description="Addresses or CIDRs never to probe (wins over prefixes and include)")
    custom_field_name: str = Field("", max_length=100, validation_alias=_alias("custom_field_name"),
                                   description="Take prefixes from devices whose custom field has this name ...")
    custom_field_value: str = Field("", max_length=200, validation_alias=_alias("custom_field_value"),
                                    description="... and this value (empty: any value)")
    inventory_tags: list[str] = Field(default_factory=list, max_length=50,
                                      description="... or from devices with any of these tags")
    prefix_field: str = Field("prefixes", max_length=100,
                              description="Custom field of those devices holding their CIDR(s)")
    ping_count: int = Field(1, ge=1, le=10, validation_alias=_alias("ping_count"))
    timeout_ms: int = Field(1000, ge=10, le=60_000, validation_alias=_alias("timeout_ms"))
    retries: int = Field(1, ge=0, le=5, validation_alias=_alias("retries"),
                         description="Extra probes to addresses that stayed silent")
    interval_ms: int = Field(0, ge=0, le=10_000, validation_alias=_alias("interval_ms"),
                             description="Pause between two probes to one address")
    rate: int = Field(20_000, ge=10, le=200_000, description="Packets per second across the sweep")
    resolve_dns: bool = Field(False, validation_alias=_alias("resolve_dns"), description="Reverse-resolve alive hosts")
    dns_servers: list[str] = Field(default_factory=list, max_length=5,
                                   description="DNS servers (ip or ip:port); default: the system resolver")
    dns_timeout_ms: int = Field(2000, ge=10, le=30_000)
    tcp_ports: list[int] = Field(default_factory=list, max_length=20, description="Ports probed on alive hosts")
    tcp_timeout_ms: int = Field(1000, ge=10, le=30_000)
    action: Literal["report", "create", "tag"] = Field(
        "report", description="report only; create discovered devices; or tag existing devices found alive")
    tag: str = Field("discovered", min_length=1, max_length=100, description="Tag for created or matched devices")
    create_platform: str = Field("linux", description="Platform of created devices")
    create_active: bool = Field(False, description="Created devices are active (targets of other jobs) at once")
    response_custom_field_name: str = Field("", max_length=100, validation_alias=_alias("response_custom_field_name"),
                                            description="Custom field receiving the last-seen time on devices")
    keep_silent: bool = Field(False, description="Also store a result row for every silent address")

    @field_validator("prefixes", "include", "exclude")
    @classmethod
    def cidrs(cls, value: list[str], info: ValidationInfo) -> list[str]:
        out = []
        for item in value:
            try:
                out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR prefix") from None
        if info.field_name == "prefixes":
            total = sum(n.num_addresses for n in networks(out))
            cap = info.data.get("max_ips")
            if cap is not None and total > cap:
                raise ValueError(f"{total} addresses exceed max_ips ({cap}); raise max_ips or narrow the prefixes")
        return out

    @field_validator("dns_servers")
    @classmethod
    def servers(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                parse_server(item)
            except DnsConfigError as e:
                raise ValueError(str(e)) from None
        return value

    @field_validator("tcp_ports")
    @classmethod
    def ports(cls, value: list[int]) -> list[int]:
        bad = [p for p in value if not 1 <= p <= 65535]
        if bad:
            raise ValueError(f"ports must be 1-65535, not {bad}")
        return list(dict.fromkeys(value))

    @field_validator("create_platform")
    @classmethod
    def platform(cls, value: str) -> str:
        if value not in PLATFORMS:
            raise ValueError(f"unknown platform {value!r}; choose from {', '.join(PLATFORMS)}")
        return value

    def uses_inventory(self) -> bool:
        return bool(self.custom_field_name or self.inventory_tags)
