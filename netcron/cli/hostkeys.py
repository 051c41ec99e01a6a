"""`netcron hostkeys list|forget|trust`: the SSH host key store of this machine's workers."""

from __future__ import annotations

import typer
from rich.table import Table

from netcron.cli.common import BadInput, console, echo_json, fail, setup_django

hostkeys_app = typer.Typer(help="SSH host keys recorded for devices (known hosts).", no_args_is_help=True)


def _store():
    from netcron.executors.fleet import known_hosts_path
    from netcron.lib.hostkeys import FileHostKeyStore

    return FileHostKeyStore(known_hosts_path())


def _device(name: str):
    from netcron.inventory.models import Device

    device = Device.objects.filter(name=name).first()
    if device is None:
        raise BadInput(f"no device named {name!r}")
    return device


@hostkeys_app.command("list")
def hostkeys_list(device: str = typer.Argument("", help="Only this device"),
                  as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
    """Recorded keys with their fingerprints and the devices at each host and port."""
    setup_django()
    from netcron.api.hostkeys import entries

    only = None
    if device:
        found = _device(device)
        only = (found.host, found.port)
    items = entries(_store(), only)
    if as_json:
        echo_json(items)
        return
    table = Table("endpoint", "algorithm", "fingerprint", "devices")
    for item in items:
        table.add_row(item["endpoint"], item["algorithm"], item["fingerprint"], ", ".join(item["devices"]))
    console.print(table)


@hostkeys_app.command("forget")
def hostkeys_forget(device: str) -> None:
    """Forget a device's key (after a legitimate change): the next connection records it again under tofu."""
    setup_django()
    from netcron import audit
    from netcron.lib.hostkeys import endpoint

    found = _device(device)
    where = endpoint(found.host, found.port)
    if not _store().forget(found.host, found.port):
        typer.echo(f"nothing recorded for {device} ({where})")
        return
    audit.record("hostkey_forgotten", found, details={"endpoint": where})
    typer.echo(f"forgot the host key of {device} ({where})")


@hostkeys_app.command("trust")
def hostkeys_trust(device: str,
                   key: str = typer.Option("", help="'<algorithm> <base64>' to pin; default: the key the device "
                                                    "presents now"),
                   timeout: float = typer.Option(10.0, min=0.1, help="Seconds to wait for the device")) -> None:
    """Pin a device's key: the one given, or the one it presents now (check the fingerprint it prints)."""
    setup_django()
    import asyncio

    from netcron import audit
    from netcron.lib.hostkeys import HostKey, endpoint, fetch_host_key

    found = _device(device)
    where = endpoint(found.host, found.port)
    try:
        host_key = HostKey.parse(key) if key else asyncio.run(fetch_host_key(found.host, found.port, timeout))
    except ValueError as exc:
        raise BadInput(f"--key: {exc}" if key else str(exc)) from None
    except Exception as exc:  # OSError, TimeoutError, asyncssh's own DisconnectError types...
        fail(f"could not read the host key of {device} ({where}): {str(exc) or type(exc).__name__}")
    _store().pin(found.host, found.port, host_key)
    audit.record("hostkey_pinned", found, details={"endpoint": where, "fingerprint": host_key.fingerprint})
    typer.echo(f"trusted {host_key.algorithm} {host_key.fingerprint} for {device} ({where})")
