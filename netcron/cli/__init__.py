"""`netcron`: the command line. Exit codes: 0 ok, 1 failure, 2 usage or bad input (one line on stderr)."""

from __future__ import annotations

import os
import sys

import typer

from netcron.audit import context as audit_context
from netcron.cli.common import BadInput, fail_bad_input
from netcron.cli.hostkeys import hostkeys_app
from netcron.cli.inventory import device_app
from netcron.cli.jobs import register_job_commands
from netcron.cli.processes import register_process_commands
from netcron.cli.secrets import secrets_app
from netcron.configs.cli import config_app
from netcron.sources.cli import compare_app

app = typer.Typer(name="netcron", help="Scheduled automation jobs for network fleets.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
app.add_typer(device_app, name="device")
app.add_typer(secrets_app, name="secrets")
app.add_typer(compare_app, name="compare")
app.add_typer(config_app, name="config")
app.add_typer(hostkeys_app, name="hostkeys")
register_job_commands(app)
register_process_commands(app)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcron.settings")
    args = argv if argv is not None else sys.argv[1:]
    try:
        with audit_context.for_cli(args):  # changes made by commands are audited as the admin user
            app(args=args, prog_name="netcron")
    except BadInput as exc:
        fail_bad_input(str(exc))
