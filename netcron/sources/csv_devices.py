"""Import devices from CSV. Columns (header row required; only name, host and platform are mandatory):

name, host, port, platform, location, role, tags (`;`-separated), credential, username, password,
enable_secret, serial, description, is_active

Locations and tags are created when missing. A `credential` that does not exist is created from the
row's username/password/enable_secret. Every row is validated first: with any invalid row nothing is
imported, unless skip_invalid is set.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from netcron.inventory.models import PLATFORM_CHOICES, Credential, Device, Location, Tag

COLUMNS = ("name", "host", "port", "platform", "location", "role", "tags", "credential", "username", "password",
           "enable_secret", "serial", "description", "is_active")
PLATFORMS = {p for p, _ in PLATFORM_CHOICES}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    imported: bool = False


def parse_rows(text: str) -> tuple[list[tuple[int, dict]], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        return [], ["line 1: empty file (a header row is required)"]
    header = [h.strip().lower() for h in reader.fieldnames]
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in ("name", "host", "platform") if c not in header]
    errors = []
    if unknown:
        errors.append(f"line 1: unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    if missing:
        errors.append(f"line 1: missing required column(s) {', '.join(missing)}")
    if errors:
        return [], errors
    reader.fieldnames = header
    rows, seen = [], {}
    for row in reader:
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        problems = validate_row(row)
        if row.get("name") in seen:
            problems.append(f"duplicate name (also on line {seen[row['name']]})")
        seen.setdefault(row.get("name", ""), line)
        if problems:
            errors.append(f"line {line}: {'; '.join(problems)}")
        else:
            rows.append((line, row))
    return rows, errors


def validate_row(row: dict) -> list[str]:
    problems = [f"{c} is empty" for c in ("name", "host", "platform") if not row.get(c)]
    if row.get("platform") and row["platform"] not in PLATFORMS:
        problems.append(f"unknown platform {row['platform']!r}")
    if row.get("port") and (not row["port"].isdigit() or not 1 <= int(row["port"]) <= 65535):
        problems.append(f"port {row['port']!r} is not a number from 1 to 65535")
    if row.get("is_active", "true").lower() not in ("", "true", "false", "1", "0", "yes", "no"):
        problems.append(f"is_active {row['is_active']!r} is not true/false")
    if len(row.get("name", "")) > 100:
        problems.append("name is longer than 100 characters")
    return problems


def import_devices(text: str, skip_invalid: bool = False, source: str = "csv") -> ImportReport:
    report = ImportReport()
    rows, report.errors = parse_rows(text)
    if report.errors and not skip_invalid:
        return report
    with transaction.atomic():
        for _line, row in rows:
            created = upsert(row, source)
            report.created += created
            report.updated += not created
    report.imported = True
    return report


def upsert(row: dict, source: str) -> bool:
    location = Location.objects.get_or_create(name=row["location"])[0] if row.get("location") else None
    credential = None
    if row.get("credential"):
        credential, made = Credential.objects.get_or_create(name=row["credential"],
                                                            defaults={"username": row.get("username", "")})
        if made or row.get("password") or row.get("enable_secret"):
            credential.set_secrets(password=row.get("password") or None,
                                   enable_secret=row.get("enable_secret") or None)
            credential.save()
    device, created = Device.objects.update_or_create(
        name=row["name"],
        defaults={
            "host": row["host"], "port": int(row["port"]) if row.get("port") else 22,
            "platform": row["platform"], "role": row.get("role", ""), "location": location,
            "credential": credential, "serial": row.get("serial", ""), "description": row.get("description", ""),
            "is_active": row.get("is_active", "true").lower() not in ("false", "0", "no"), "source": source,
        },
    )
    names = [t.strip() for t in row.get("tags", "").split(";") if t.strip()]
    device.tags.set([Tag.objects.get_or_create(name=name)[0] for name in names])
    return created


def export_devices() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    exported = [c for c in COLUMNS if c not in ("username", "password", "enable_secret")]
    writer.writerow(exported)
    for d in Device.objects.select_related("location", "credential").prefetch_related("tags"):
        writer.writerow([d.name, d.host, d.port, d.platform, d.location.name if d.location else "", d.role,
                         ";".join(sorted(t.name for t in d.tags.all())), d.credential.name if d.credential else "",
                         d.serial, d.description, "true" if d.is_active else "false"])
    return out.getvalue()
