"""Fake NetBox 4.1 and Nautobot 2.3 device APIs over real HTTP.

Response shapes follow the real serializers: `count/next/previous/results`; NetBox nested brief
objects (`site: {id, url, display, name, slug, description}`, `status: {value, label}`, `role`, or
`device_role` when version < 3.6); Nautobot UUID ids, `location`, `status: {name}`, nested objects
expanded only with `?depth=1`. Token auth (`Authorization: Token <t>`) answers 403 like both do
(SessionAuthentication comes first in their DRF settings), configurable to 401.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from netcron.sources.testing.server import FakeServer, Reply, Request


def slugify(value: str) -> str:
    return "-".join(value.lower().replace("_", " ").split())


@dataclass
class FakeDevice:
    name: str
    platform: str | None = "Cisco IOS"  # NetBox: platform name (slug derived); Nautobot: platform name
    network_driver: str = ""  # Nautobot only
    site: str = "Berlin"  # NetBox site / Nautobot location name
    location: str | None = None  # NetBox location inside the site
    role: str = "Core"
    ip: str | None = "10.0.0.1/24"
    tags: list[str] = field(default_factory=list)
    status: str = "active"
    serial: str = ""
    description: str = ""
    custom_fields: dict = field(default_factory=dict)
    id: int | str = 0


class FakeDcim(FakeServer):
    max_page_size = 1000
    default_page_size = 50

    def __init__(self, token: str = "dcim-token", bad_token_status: int = 403,  # noqa: S107
                 public_url: str | None = None):
        super().__init__()
        self.token, self.bad_token_status, self.public_url = token, bad_token_status, public_url
        self.devices: list[FakeDevice] = []
        self.route("GET", "/api/dcim/devices/", self._list)
        self.route("GET", "/api/status/", self._status)

    @property
    def url(self) -> str:
        return self.address

    def base(self) -> str:
        return self.public_url or self.address

    def _auth(self, request: Request) -> Reply | None:
        header = request.headers.get("authorization", "")
        if not header:
            return Reply(self.bad_token_status, {"detail": "Authentication credentials were not provided."})
        if header != f"Token {self.token}":
            return Reply(self.bad_token_status, {"detail": "Invalid token"})
        return None

    def _status(self, request: Request) -> Reply:
        return self._auth(request) or Reply(200, self.status_body())

    def _list(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        try:
            limit = int(request.arg("limit", str(self.default_page_size)))
            offset = int(request.arg("offset", "0"))
        except ValueError:
            return Reply(400, {"detail": "limit and offset must be integers"})
        limit = self.max_page_size if limit == 0 else min(limit, self.max_page_size)
        matched, errors = self.filtered(request)
        if errors:
            return Reply(400, errors)
        page = matched[offset:offset + limit]
        query = {k: v for k, v in request.query.items() if k not in ("limit", "offset")}

        def link(at: int) -> str:
            return f"{self.base()}/api/dcim/devices/?{urlencode({**query, 'limit': limit, 'offset': at}, doseq=True)}"

        depth = int(request.arg("depth", "0") or 0)
        return Reply(200, {"count": len(matched),
                           "next": link(offset + limit) if offset + limit < len(matched) else None,
                           "previous": link(max(offset - limit, 0)) if offset > 0 else None,
                           "results": [self.render(d, depth, "config_context" in request.query.get("exclude", []))
                                       for d in page]})

    def filtered(self, request: Request) -> tuple[list[FakeDevice], dict]:
        devices, errors = list(self.devices), {}
        for param, (getter, choices) in self.filters().items():
            wanted = request.query.get(param)
            if not wanted:
                continue
            unknown = [w for w in wanted if w not in choices]
            if unknown:
                errors[param] = [f"Select a valid choice. {unknown[0]} is not one of the available choices."]
                continue
            if param in ("tag", "tags"):  # tag filters are conjoined: every tag must be present
                devices = [d for d in devices if all(w in getter(d) for w in wanted)]
            else:
                devices = [d for d in devices if set(getter(d)) & set(wanted)]
        return devices, errors

    def filters(self) -> dict:
        raise NotImplementedError

    def render(self, device: FakeDevice, depth: int, exclude_context: bool) -> dict:
        raise NotImplementedError

    def status_body(self) -> dict:
        raise NotImplementedError


class FakeNetbox(FakeDcim):
    def __init__(self, version: str = "4.1.3", **kwargs):
        super().__init__(**kwargs)
        self.version = version

    def add_device(self, name: str, **fields) -> FakeDevice:
        device = FakeDevice(name, **fields)
        device.id = len(self.devices) + 1
        self.devices.append(device)
        return device

    def status_body(self) -> dict:
        return {"django-version": "5.0.9", "netbox-version": self.version, "python-version": "3.12.3", "plugins": {}}

    def filters(self) -> dict:
        every = self.devices
        return {
            "site": (lambda d: [slugify(d.site)], {slugify(d.site) for d in every}),
            "location": (lambda d: [slugify(d.location)] if d.location else [],
                         {slugify(d.location) for d in every if d.location}),
            "role": (lambda d: [slugify(d.role)], {slugify(d.role) for d in every}),
            "tag": (lambda d: [slugify(t) for t in d.tags], {slugify(t) for d in every for t in d.tags}),
            "status": (lambda d: [d.status], {"active", "offline", "planned", "staged", "failed", "inventory",
                                              "decommissioning"}),
            "platform": (lambda d: [slugify(d.platform)] if d.platform else [],
                         {slugify(d.platform) for d in every if d.platform}),
        }

    def _brief(self, kind: str, ident: int, name: str, **extra) -> dict:
        return {"id": ident, "url": f"{self.base()}/api/dcim/{kind}/{ident}/", "display": name, "name": name,
                "slug": slugify(name), "description": "", **extra}

    def render(self, device: FakeDevice, depth: int, exclude_context: bool) -> dict:
        ip = None
        if device.ip:
            ip = {"id": 1000 + device.id, "url": f"{self.base()}/api/ipam/ip-addresses/{1000 + device.id}/",
                  "display": device.ip, "family": {"value": 6 if ":" in device.ip else 4,
                                                   "label": "IPv6" if ":" in device.ip else "IPv4"},
                  "address": device.ip, "description": ""}
        data = {
            "id": device.id, "url": f"{self.base()}/api/dcim/devices/{device.id}/",
            "display_url": f"{self.base()}/dcim/devices/{device.id}/", "display": device.name, "name": device.name,
            "device_type": {"id": 1, "url": f"{self.base()}/api/dcim/device-types/1/", "display": "C9300-48P",
                            "manufacturer": self._brief("manufacturers", 1, "Cisco"), "model": "C9300-48P",
                            "slug": "c9300-48p", "description": ""},
            "role": self._brief("device-roles", abs(hash(device.role)) % 1000, device.role),
            "tenant": None,
            "platform": self._brief("platforms", abs(hash(device.platform)) % 1000, device.platform)
            if device.platform else None,
            "serial": device.serial, "asset_tag": None,
            "site": self._brief("sites", abs(hash(device.site)) % 1000, device.site),
            "location": self._brief("locations", abs(hash(device.location)) % 1000, device.location, _depth=0)
            if device.location else None,
            "rack": None, "position": None, "face": None, "latitude": None, "longitude": None,
            "parent_device": None, "status": {"value": device.status, "label": device.status.title()},
            "airflow": None, "primary_ip": ip, "primary_ip4": ip if ip and ":" not in device.ip else None,
            "primary_ip6": ip if ip and ":" in device.ip else None, "oob_ip": None, "cluster": None,
            "virtual_chassis": None, "vc_position": None, "vc_priority": None, "description": device.description,
            "comments": "", "config_template": None, "local_context_data": None,
            "tags": [{"id": abs(hash(t)) % 1000, "url": f"{self.base()}/api/extras/tags/{abs(hash(t)) % 1000}/",
                      "display_url": "", "display": t, "name": t, "slug": slugify(t), "color": "9e9e9e"}
                     for t in device.tags],
            "custom_fields": device.custom_fields, "created": "2024-05-01T10:00:00.000000Z",
            "last_updated": "2024-05-02T10:00:00.000000Z", "console_port_count": 0, "interface_count": 52,
        }
        if not exclude_context:
            data["config_context"] = {"ntp": ["10.0.0.123"], "syslog": {"server": "10.0.0.124"}}
        if tuple(int(p) for p in self.version.split(".")[:2]) < (3, 6):
            data["device_role"] = data.pop("role")
        return data


class FakeNautobot(FakeDcim):
    def __init__(self, version: str = "2.3.2", **kwargs):
        super().__init__(**kwargs)
        self.version = version

    def add_device(self, name: str, **fields) -> FakeDevice:
        fields.setdefault("status", "Active")
        fields.setdefault("network_driver", "cisco_ios")
        device = FakeDevice(name, **fields)
        device.id = str(uuid.uuid4())
        self.devices.append(device)
        return device

    def status_body(self) -> dict:
        return {"django-version": "4.2.16", "nautobot-version": self.version, "python-version": "3.11.9"}

    def filters(self) -> dict:
        every = self.devices
        return {
            "location": (lambda d: [d.site], {d.site for d in every}),
            "role": (lambda d: [d.role], {d.role for d in every}),
            "tags": (lambda d: d.tags, {t for d in every for t in d.tags}),
            "status": (lambda d: [d.status], {"Active", "Offline", "Planned", "Staged", "Failed", "Inventory",
                                              "Decommissioning"}),
            "platform": (lambda d: [d.platform] if d.platform else [], {d.platform for d in every if d.platform}),
        }

    def _nested(self, kind: str, object_type: str, name: str, depth: int, **extra) -> dict:
        ident = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{name}"))
        brief = {"id": ident, "object_type": object_type, "url": f"{self.base()}/api/{kind}/{ident}/"}
        if depth < 1:
            return brief
        return {**brief, "display": name, "natural_slug": f"{slugify(name)}_{ident[:4]}", "name": name,
                "created": "2024-05-01T10:00:00.000000Z", "last_updated": "2024-05-01T10:00:00.000000Z",
                "notes_url": f"{self.base()}/api/{kind}/{ident}/notes/", "custom_fields": {}, **extra}

    def render(self, device: FakeDevice, depth: int, exclude_context: bool) -> dict:
        ip = None
        if device.ip:
            host, _, mask = device.ip.partition("/")
            ip = self._nested("ipam/ip-addresses", "ipam.ipaddress", device.ip, depth, address=device.ip,
                              host=host, mask_length=int(mask or 32), ip_version=6 if ":" in host else 4)
        return {
            "id": device.id, "object_type": "dcim.device", "display": device.name,
            "url": f"{self.base()}/api/dcim/devices/{device.id}/",
            "natural_slug": f"{slugify(device.name)}_{str(device.id)[:4]}", "face": None,
            "local_config_context_data": None, "name": device.name, "serial": device.serial, "asset_tag": None,
            "position": None, "device_redundancy_group_priority": None, "vc_position": None, "vc_priority": None,
            "comments": "",
            "device_type": self._nested("dcim/device-types", "dcim.devicetype", "C9300-48P", depth, model="C9300-48P"),
            "status": self._nested("extras/statuses", "extras.status", device.status, depth, color="4caf50"),
            "role": self._nested("extras/roles", "extras.role", device.role, depth, color="2196f3"),
            "tenant": None,
            "platform": self._nested("dcim/platforms", "dcim.platform", device.platform, depth,
                                     network_driver=device.network_driver, napalm_driver="")
            if device.platform else None,
            "location": self._nested("dcim/locations", "dcim.location", device.site, depth),
            "rack": None,
            "primary_ip4": ip if ip and ":" not in device.ip else None,
            "primary_ip6": ip if ip and ":" in device.ip else None,
            "cluster": None, "virtual_chassis": None, "device_redundancy_group": None, "software_version": None,
            "secrets_group": None, "controller_managed_device_group": None,
            "created": "2024-05-01T10:00:00.000000Z", "last_updated": "2024-05-02T10:00:00.000000Z",
            "notes_url": f"{self.base()}/api/dcim/devices/{device.id}/notes/",
            "custom_fields": device.custom_fields,
            "tags": [self._nested("extras/tags", "extras.tag", t, depth, color="9e9e9e") for t in device.tags],
        }
