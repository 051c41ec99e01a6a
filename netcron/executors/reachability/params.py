from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from netcron.executors.base import Params
from netcron.lib.webhook import WebhookUrlError
from netcron.notifications.destinations import checked_webhook_url

CHECKS = ("ping", "tcp", "snmp", "ssh", "netconf")
Check = Literal["ping", "tcp", "snmp", "ssh", "netconf"]


class PingParams(Params):
    count: int = Field(3, ge=1, le=10, description="Echo requests per device")
    interval_ms: int = Field(200, ge=0, le=10_000, description="Pause between two requests to one device")
    timeout_ms: int = Field(1000, ge=10, le=60_000, description="How long to wait for each reply")
    packet_size: int = Field(56, ge=8, le=1472, description="ICMP payload bytes")
    rate: int = Field(20_000, ge=10, le=200_000, description="Packets per second across all devices")


class WebhookParams(Params):
    url: str = Field(min_length=1, max_length=2000, description="http(s) URL receiving one POST per state change")
    credential_id: int = Field(ge=1, description="Credential whose `token` secret is the HMAC-SHA256 key")
    timeout_s: float = Field(5.0, gt=0, le=60)
    retries: int = Field(3, ge=0, le=10)
    backoff_s: float = Field(1.0, ge=0, le=60, description="First pause between attempts; doubles each time")
    budget_s: float = Field(60.0, gt=0, le=900, description="Time for all deliveries of one run")
    include_initial: bool = Field(False, description="Also notify first sightings (unknown -> up/down)")

    @field_validator("url")
    @classmethod
    def http_url(cls, value: str) -> str:
        try:
            # Literal addresses and localhost here; names are checked against their addresses when sending.
            return checked_webhook_url(value, resolve_names=False)
        except WebhookUrlError as e:
            raise ValueError(str(e)) from None


class ReachabilityParams(Params):
    checks: list[Check] = Field(default_factory=lambda: ["ping", "tcp"], min_length=1,
                                description="Checks per device, in this order")
    mode: Literal["all", "until_failure"] = Field(
        "all", description="all: run every check; until_failure: stop at a device's first failed check")
    ping: PingParams = Field(default_factory=PingParams)
    tcp_ports: list[int] = Field(default_factory=list, max_length=20,
                                 description="Ports for the tcp check (empty: the device's port)")
    ssh_port: int | None = Field(None, ge=1, le=65535, description="Default: the device's port")
    netconf_port: int | None = Field(None, ge=1, le=65535, description="Default: the device's port")
    snmp_port: int = Field(161, ge=1, le=65535)
    snmp_v3_user: str = Field("", max_length=100, description="SNMPv3 user (default: the credential's username)")
    timeout_s: float = Field(5.0, gt=0, le=120, description="Time limit of each tcp/snmp/ssh/netconf check")
    latency_threshold_ms: float | None = Field(None, gt=0, description="Slower than this (ping avg) is degraded")
    concurrency: int = Field(200, ge=1, le=5000, description="Devices checked at the same time")
    history_per_check: bool = Field(False, description="Also keep one history row per check, not only per device")
    webhook: WebhookParams | None = None

    @field_validator("checks")
    @classmethod
    def no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each check may appear once")
        return value

    @field_validator("tcp_ports")
    @classmethod
    def valid_ports(cls, value: list[int]) -> list[int]:
        bad = [p for p in value if not 1 <= p <= 65535]
        if bad:
            raise ValueError(f"ports must be 1-65535, not {bad}")
        return list(dict.fromkeys(value))
