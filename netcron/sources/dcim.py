"""NetBox and Nautobot REST clients: read devices page by page into one neutral shape.

Modelled on NetBox 4.1 (nested `role`, older `device_role` still read) and Nautobot 2.3 (`location`,
`status: {name}`, UUID ids, nested objects expanded with `?depth=1`). No Django here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from netcron.sources.http import HttpClient, SourceError

DEVICES_PATH = "/api/dcim/devices/"
MAX_PAGES = 10_000


@dataclass
class SourceDevice:
    """A device as a source of truth describes it, before mapping to netcron's inventory."""

    external_id: str
    name: str
    platform_candidates: tuple[str, ...]
    platform_label: str
    address: str
    location: str
    role: str
    tags: list[str] = field(default_factory=list)
    serial: str = ""
    description: str = ""
    status: str = ""
    custom_fields: dict = field(default_factory=dict)


def strip_prefix(address: str | None) -> str:
    """`10.0.0.1/24` → `10.0.0.1` (IPv6 too); empty for a missing or malformed address."""
    if not address:
        return ""
    try:
        return str(ipaddress.ip_interface(address).ip)
    except ValueError:
        return ""


def _name(obj, key: str = "name") -> str:
    return str((obj or {}).get(key) or "") if isinstance(obj, dict) else ""


class DcimClient:
    """Shared by NetBox and Nautobot: token auth, limit/offset pagination following `next`."""

    kind = "dcim"
    label = "DCIM"
    filter_names: dict[str, str] = {}
    extra_params: dict[str, str] = {}

    def __init__(self, url: str, token: str, *, page_size: int = 200, verify_tls: bool = True,
                 timeout: float = 30.0, retries: int = 3, backoff: float = 1.0):
        self.page_size = page_size
        self.http = HttpClient(url, service=self.label, headers={"Authorization": f"Token {token}"},
                               secrets=[token], verify_tls=verify_tls, timeout=timeout, retries=retries,
                               backoff=backoff)

    def query(self, filters: dict[str, list[str]]) -> list[tuple[str, str]]:
        params = [(self.filter_names[key], value) for key, values in filters.items() for value in values]
        unknown = [key for key in filters if key not in self.filter_names]
        if unknown:
            raise SourceError(f"{self.label}: unsupported filter(s) {', '.join(unknown)}")
        return [*params, *self.extra_params.items(), ("limit", str(self.page_size)), ("offset", "0")]

    def pages(self, path: str, params: list[tuple[str, str]]) -> Iterator[list[dict]]:
        """Each page's `results`. Only the query of `next` is used, so the token never goes to
        another host even when a proxy makes the server print a different base URL."""
        seen = set()
        for _ in range(MAX_PAGES):
            data = self.http.get_json(path, params=params)
            if not isinstance(data, dict) or not isinstance(data.get("results"), list):
                raise SourceError(f"{self.label}: {path} did not return a paginated list (count/next/results)")
            yield data["results"]
            next_url = data.get("next")
            if not next_url or not data["results"]:
                return
            params = parse_qsl(urlsplit(next_url).query, keep_blank_values=True)
            key = tuple(params)
            if key in seen:
                raise SourceError(f"{self.label}: pagination loops (the same `next` link twice)")
            seen.add(key)
        raise SourceError(f"{self.label}: more than {MAX_PAGES} pages; narrow the filters")

    def devices(self, filters: dict[str, list[str]] | None = None) -> Iterator[SourceDevice]:
        for page in self.pages(DEVICES_PATH, self.query(filters or {})):
            for raw in page:
                yield self.to_device(raw)

    def to_device(self, raw: dict) -> SourceDevice:
        raise NotImplementedError


class NetboxClient(DcimClient):
    kind = "netbox"
    label = "NetBox"
    filter_names = {"sites": "site", "locations": "location", "roles": "role", "tags": "tag",
                    "statuses": "status", "platforms": "platform"}
    extra_params = {"exclude": "config_context"}  # the rendered config context is large and unused

    def __init__(self, url: str, token: str, *, location_from: str = "site", **kwargs):
        super().__init__(url, token, **kwargs)
        self.location_from = location_from

    def to_device(self, raw: dict) -> SourceDevice:
        platform = raw.get("platform") or {}
        ip = raw.get("primary_ip") or raw.get("primary_ip4") or raw.get("primary_ip6") or {}
        location = _name(raw.get("site"))
        if self.location_from == "location":
            location = _name(raw.get("location")) or location
        return SourceDevice(
            external_id=str(raw.get("id", "")),
            name=str(raw.get("name") or ""),
            platform_candidates=tuple(v for v in (_name(platform, "slug"), _name(platform)) if v),
            platform_label=_name(platform, "slug") or _name(platform),
            address=strip_prefix(ip.get("address") if isinstance(ip, dict) else None),
            location=location,
            # NetBox 4.x calls it `role`; 3.x `device_role`.
            role=_name(raw.get("role") or raw.get("device_role")),
            tags=sorted(_name(t) for t in raw.get("tags") or [] if _name(t)),
            serial=str(raw.get("serial") or ""),
            description=str(raw.get("description") or ""),
            status=_name(raw.get("status"), "value"),
            custom_fields=dict(raw.get("custom_fields") or {}),
        )


class NautobotClient(DcimClient):
    kind = "nautobot"
    label = "Nautobot"
    filter_names = {"locations": "location", "roles": "role", "tags": "tags", "statuses": "status",
                    "platforms": "platform"}
    extra_params = {"depth": "1"}  # Nautobot 2.x returns bare {id, url} nested objects at depth 0

    def to_device(self, raw: dict) -> SourceDevice:
        platform = raw.get("platform") or {}
        ip = raw.get("primary_ip4") or raw.get("primary_ip6") or {}
        return SourceDevice(
            external_id=str(raw.get("id", "")),
            name=str(raw.get("name") or ""),
            platform_candidates=tuple(v for v in (_name(platform, "network_driver"), _name(platform)) if v),
            platform_label=_name(platform, "network_driver") or _name(platform),
            address=strip_prefix(ip.get("address") if isinstance(ip, dict) else None),
            location=_name(raw.get("location")),
            role=_name(raw.get("role")),
            tags=sorted(_name(t) for t in raw.get("tags") or [] if _name(t)),
            serial=str(raw.get("serial") or ""),
            description=str(raw.get("description") or ""),
            status=_name(raw.get("status")),
            custom_fields=dict(raw.get("custom_fields") or {}),
        )


CLIENTS = {"netbox": NetboxClient, "nautobot": NautobotClient}
