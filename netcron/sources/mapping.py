"""How a netcron device appears in a monitoring system: CheckMK host or Prometheus target."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

from netcron.sources.reconcile import Record

FOLDER_VARIABLES = ("location", "location_path", "role", "platform", "site")
PROM_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def slug(value: str) -> str:
    """A CheckMK folder name (`[-\\w]+`): `Berlin Mitte` → `berlin_mitte`."""
    return re.sub(r"[^a-z0-9_-]+", "_", value.strip().lower()).strip("_")


def check_folder_template(template: str) -> str:
    """The template if it starts with `/` and uses only known {variables}; ValueError otherwise."""
    if not template.startswith("/"):
        raise ValueError("must start with / (the CheckMK main folder)")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"is not a valid template: {exc}") from None
    unknown = sorted(names - set(FOLDER_VARIABLES))
    if unknown:
        raise ValueError(f"unknown variable(s) {', '.join(unknown)}; known: {', '.join(FOLDER_VARIABLES)}")
    if "{location_path}" in template and not any(
            segment == "{location_path}" for segment in template.split("/")):
        raise ValueError("{location_path} must be a whole path segment")
    return template


def location_chain(device, parents: dict[int, tuple[str, int | None]]) -> list[str]:
    """Location names from the top of the hierarchy down to the device's own location."""
    chain, current, seen = [], device.location_id, set()
    while current is not None and current not in seen and current in parents:
        seen.add(current)
        name, current = parents[current]
        chain.append(name)
    return list(reversed(chain))


class CheckmkMapping:
    """Folder from a template (default `/{location}` → `~berlin`), ipaddress (ipv6address) from device.host, labels
    from tags, role, platform and location under `label_prefix`, plus optional site and tag_* values."""

    def __init__(self, folder_template: str = "/{location}", site: str = "", label_prefix: str = "netcron/",
                 tag_attributes: dict[str, str] | None = None):
        self.template, self.site, self.prefix = folder_template, site, label_prefix
        self.tag_attributes = dict(tag_attributes or {})

    def folder(self, device, chain: list[str]) -> tuple[str, dict[str, str]]:
        values = {"location": device.location.name if device.location else "", "role": device.role,
                  "platform": device.platform, "site": self.site}
        segments: list[tuple[str, str]] = []
        for part in self.template.split("/"):
            if part == "{location_path}":
                segments.extend((slug(name), name) for name in chain)
                continue
            raw = part.format_map({**values, "location_path": "_".join(chain)})
            title = raw if re.fullmatch(r"\{\w+\}", part) else ""
            segments.append((slug(raw), title or slug(raw)))
        path, titles = "", {}
        for name, title in segments:
            if name:
                path += "/" + name
                titles[path] = title
        return path or "/", titles

    def labels(self, device, tags: Iterable[str]) -> dict[str, str]:
        p = self.prefix
        labels = {f"{p}managed": "yes", f"{p}platform": device.platform}
        if device.role:
            labels[f"{p}role"] = device.role
        if device.location:
            labels[f"{p}location"] = device.location.name
        labels.update({f"{p}tag/{tag}": "yes" for tag in tags})
        return labels

    def record(self, device, tags: Iterable[str], chain: list[str]) -> Record:
        folder, titles = self.folder(device, chain)
        # CheckMK keeps IPv4 (or a DNS name) in `ipaddress` and IPv6 in `ipv6address`.
        address_key = "ipv6address" if ":" in device.host else "ipaddress"
        fields = {address_key: device.host, "labels": self.labels(device, tags), **self.tag_attributes}
        if self.site:
            fields["site"] = self.site
        return Record(device.name, folder, fields, device.pk, device.location.name if device.location else "",
                      titles)


class PrometheusMapping:
    """One target group per device: `host[:port]` with netcron_* labels plus static labels."""

    def __init__(self, port: int | None = None, labels: dict[str, str] | None = None):
        self.port, self.static = port, dict(labels or {})

    def record(self, device, tags: Iterable[str], chain: list[str]) -> Record:
        host = f"[{device.host}]" if ":" in device.host else device.host
        target = f"{host}:{self.port}" if self.port else device.host
        labels = {**self.static, "netcron_device": device.name, "netcron_platform": device.platform}
        if device.role:
            labels["netcron_role"] = device.role
        if device.location:
            labels["netcron_location"] = device.location.name
        tags = sorted(tags)
        if tags:
            labels["netcron_tags"] = "," + ",".join(tags) + ","  # Prometheus convention: match with =~".*,x,.*"
        return Record(device.name, "", {"target": target, "labels": labels}, device.pk,
                      device.location.name if device.location else "")
