"""Parameters shared by compare_devices and sync_devices: which monitoring system and how devices map to it."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from netcron.executors.base import Params
from netcron.sources.mapping import PROM_LABEL, check_folder_template


class CheckmkTarget(Params):
    url: str = Field(min_length=8, max_length=500,
                     description="Site URL, e.g. https://monitor.example.com/mysite (no user or password in it)")
    credential: str = Field("", max_length=100,
                            description="Credential (name or id): username = automation user, `token` secret = "
                                        "automation secret; empty: the template's credential")
    site: str = Field("", max_length=100, description="Set the hosts' `site` attribute (empty: leave it alone)")
    folder_template: str = Field("/{location}", max_length=200,
                                 description="Host folder; variables {location} {location_path} {role} {platform} "
                                             "{site}, slugged: `/{location}` → `~berlin`")
    label_prefix: str = Field("netcron/", min_length=1, max_length=50,
                              description="Labels netcron manages start with this; others are left alone")
    tag_attributes: dict[str, str] = Field(default_factory=dict,
                                           description="Host tags to set, e.g. {\"tag_agent\": \"no-agent\", "
                                                       "\"tag_snmp_ds\": \"snmp-v2\"}")
    scope_folder: str = Field("", max_length=200,
                              description="Hosts under this folder that netcron does not know count as missing in "
                                          "source; empty: only hosts carrying netcron's `managed` label")
    verify_tls: bool = True
    timeout_seconds: float = Field(60, gt=0, le=600)
    retries: int = Field(3, ge=0, le=10, description="Retries on 5xx/429 and connection errors")
    retry_backoff_seconds: float = Field(1.0, ge=0, le=60, description="First retry delay; doubles each time")

    @field_validator("folder_template")
    @classmethod
    def valid_template(cls, value: str) -> str:
        return check_folder_template(value)

    @field_validator("tag_attributes")
    @classmethod
    def tag_keys(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k in value if not re.fullmatch(r"tag_[\w-]+", k))
        if bad:
            raise ValueError(f"keys must look like tag_<group>: {', '.join(bad)}")
        return value

    @field_validator("scope_folder")
    @classmethod
    def folder_path(cls, value: str) -> str:
        if value and not value.startswith(("/", "~")):
            raise ValueError("must be a folder path such as /network or ~network")
        return value


class PrometheusTarget(Params):
    file: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.json$", max_length=100,
                      description="File name in the Prometheus SD directory (NETCRON_PROMETHEUS_SD_DIR, default "
                                  "<data dir>/prometheus), for a file_sd_configs entry")
    port: int | None = Field(None, ge=1, le=65535, description="Appended to each target (host:port)")
    labels: dict[str, str] = Field(default_factory=dict, description="Static labels on every target")

    @field_validator("labels")
    @classmethod
    def label_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k in value if not PROM_LABEL.match(k) or k.startswith("__") or k.startswith("netcron_"))
        if bad:
            raise ValueError(f"invalid label name(s) {', '.join(bad)} (letters, digits, _; not __ or netcron_)")
        return value


class MonitorParams(Params):
    """Exactly one of `checkmk` or `prometheus`."""

    checkmk: CheckmkTarget | None = None
    prometheus: PrometheusTarget | None = None

    @model_validator(mode="after")
    def one_target(self):
        if (self.checkmk is None) == (self.prometheus is None):
            raise ValueError("set exactly one monitoring target: `checkmk` or `prometheus`")
        return self
