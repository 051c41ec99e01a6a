"""`netcron device ...`"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from netcron.cli.common import BadInput, console, echo_json, setup_django

device_app = typer.Typer(help="Devices in the inventory.", no_args_is_help=True)


@device_app.command("add")
def device_add(
    name: str,
    host: str,
    platform: str = typer.Option(
        ..., help="cisco_ios, cisco_nxos, arista_eos, juniper_junos, mikrotik_routeros, linux"
    ),
    port: int = typer.Option(22, min=1, max=65535),
    location: str = typer.Option("", help="Location name (created if missing)"),
    role: str = typer.Option(""),
    tag: list[str] = typer.Option([], help="Tag name; repeat for several (created if missing)"),
    credential: str = typer.Option("", help="Name of an existing credential"),
) -> None:
    """Add a device (or update the device of that name)."""
    setup_django()
    from netcron.inventory.models import Credential
    from netcron.sources.csv_devices import upsert, validate_row

    row = {"name": name, "host": host, "platform": platform, "port": str(port), "location": location,
           "role": role, "tags": ";".join(tag)}
    problems = validate_row(row)
    if problems:
        raise BadInput("; ".join(problems))
    if credential and not Credential.objects.filter(name=credential).exists():
        raise BadInput(f"credential {credential!r} does not exist")
    row["credential"] = credential
    created = upsert(row, source="manual")
    typer.echo(f"{'created' if created else 'updated'} device {name}")


@device_app.command("list")
def device_list(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table")) -> None:
    """List devices with their current reachability state."""
    setup_django()
    from netcron.inventory.models import Device

    devices = Device.objects.select_related("location", "credential", "runtime_status").prefetch_related("tags")
    rows = [
        {"name": d.name, "host": d.host, "port": d.port, "platform": d.platform, "role": d.role,
         "location": d.location.name if d.location else "", "tags": sorted(t.name for t in d.tags.all()),
         "credential": d.credential.name if d.credential else "",
         "state": getattr(getattr(d, "runtime_status", None), "state", "unknown"), "active": d.is_active}
        for d in devices
    ]
    if as_json:
        echo_json(rows)
        return
    table = Table("name", "host", "port", "platform", "role", "location", "tags", "state")
    for r in rows:
        table.add_row(r["name"], r["host"], str(r["port"]), r["platform"], r["role"], r["location"],
                      ",".join(r["tags"]), r["state"])
    console.print(table)
    console.print(f"{len(rows)} device(s)")


@device_app.command("import")
def device_import(
    file: Path = typer.Argument(..., help="CSV file with a header row"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the valid rows even if some are not"),
) -> None:
    """Import devices from CSV; nothing is imported if any row is invalid (unless --skip-invalid)."""
    setup_django()
    from netcron.sources.csv_devices import import_devices

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {file}: {exc}") from None
    report = import_devices(text, skip_invalid=skip_invalid)
    for error in report.errors:
        typer.echo(f"{file}: {error}", err=True)
    if not report.imported:
        raise BadInput(f"{len(report.errors)} invalid row(s); nothing imported (use --skip-invalid to import the rest)")
    typer.echo(f"imported {report.created} new and {report.updated} updated device(s)"
               + (f"; skipped {len(report.errors)} invalid row(s)" if report.errors else ""))


@device_app.command("export")
def device_export(file: Path = typer.Argument(None, help="Write here instead of stdout")) -> None:
    """Export devices as CSV (without secrets)."""
    setup_django()
    from netcron.sources.csv_devices import export_devices

    text = export_devices()
    if file:
        file.write_text(text)
    else:
        typer.echo(text, nl=False)
