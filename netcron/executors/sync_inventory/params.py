from typing import Literal

from pydantic import Field, field_validator, model_validator

from netcron.executors.base import Params
from netcron.sources.platforms import NETCRON_PLATFORMS


class SyncInventoryParams(Params):
    source: Literal["netbox", "nautobot"] = Field(description="Which kind of source of truth")
    url: str = Field(min_length=8, max_length=500,
                     description="Base URL, e.g. https://netbox.example.com (no user or password in it)")
    credential: str = Field("", max_length=100,
                            description="Credential (name or id) whose `token` secret is the API token; "
                                        "empty: the template's credential")
    verify_tls: bool = True
    sites: list[str] = Field(default_factory=list, description="NetBox site slugs (NetBox only)")
    locations: list[str] = Field(default_factory=list, description="NetBox location slugs / Nautobot location names")
    roles: list[str] = Field(default_factory=list, description="Role slugs (NetBox) or names (Nautobot)")
    tags: list[str] = Field(default_factory=list, description="Tag slugs (NetBox) or names (Nautobot)")
    statuses: list[str] | None = Field(None, description="Status values; default only active devices "
                                                         "(NetBox `active`, Nautobot `Active`); [] for all")
    location_from: Literal["site", "location"] = Field(
        "site", description="NetBox: netcron location from the site or the location (falls back to the site)")
    platform_map: dict[str, str] = Field(
        default_factory=dict, description="Extra source platform → netcron platform, e.g. {\"ios-xe\": \"cisco_ios\"}")
    custom_fields: list[str] | None = Field(None, description="Custom fields to copy; default all")
    deactivate_missing: bool = Field(True, description="Deactivate (never delete) devices of this source "
                                                       "that the source no longer returns")
    source_name: str = Field("", max_length=20, pattern=r"^[a-z0-9_.:-]*$",
                             description="Tag stored on the devices (default: the source kind); give slices "
                                         "of one source synced by separate templates distinct names")
    without_primary_ip: Literal["skip", "use_name"] = Field("skip", description="A device without primary IP "
                                                                                "is skipped or reached by name")
    device_credential: str = Field("", max_length=100, description="Credential assigned to new devices")
    page_size: int = Field(200, ge=1, le=1000)
    timeout_seconds: float = Field(30, gt=0, le=600)
    retries: int = Field(3, ge=0, le=10, description="Retries on 5xx/429 and connection errors")
    retry_backoff_seconds: float = Field(1.0, ge=0, le=60, description="First retry delay; doubles each time")

    @field_validator("platform_map")
    @classmethod
    def known_platforms(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({v for v in value.values() if v not in NETCRON_PLATFORMS})
        if unknown:
            raise ValueError(f"unknown netcron platform(s) {', '.join(unknown)}; known: {', '.join(NETCRON_PLATFORMS)}")
        return value

    @model_validator(mode="after")
    def sites_only_for_netbox(self):
        if self.source == "nautobot" and self.sites:
            raise ValueError("sites: Nautobot 2.x has no sites; use locations")
        return self

    def filters(self) -> dict[str, list[str]]:
        statuses = self.statuses if self.statuses is not None else (
            ["active"] if self.source == "netbox" else ["Active"])
        return {k: v for k, v in {"sites": self.sites, "locations": self.locations, "roles": self.roles,
                                  "tags": self.tags, "statuses": statuses}.items() if v}
