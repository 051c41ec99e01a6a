"""`netcron secrets rotate`: re-encrypt stored credentials under a new NETCRON_SECRET_KEY."""

from __future__ import annotations

import typer

from netcron.cli.common import fail, setup_django

secrets_app = typer.Typer(help="Encryption of stored credentials.", no_args_is_help=True)


@secrets_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every credential with NETCRON_SECRET_KEY, reading old ones with NETCRON_OLD_SECRET_KEYS.

    Rotate by setting the new key in NETCRON_SECRET_KEY and the previous one in NETCRON_OLD_SECRET_KEYS,
    running this command, then removing the old key.
    """
    setup_django()
    from netcron.inventory.secrets import rotate_all

    rotated, failed = rotate_all()
    typer.echo(f"re-encrypted {rotated} credential(s) under the current key")
    if failed:
        fail(f"{len(failed)} credential(s) could not be decrypted with the configured keys: {', '.join(failed)}")
