"""Shared by the CLI commands: Django start-up with clean config errors, output helpers."""

from __future__ import annotations

import sys
from functools import cache

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


class BadInput(Exception):
    """Input the user can fix: printed as one line on stderr, exit code 2."""


def fail_bad_input(message: str) -> None:
    print(f"netcron: {message}", file=sys.stderr)
    raise SystemExit(2)


def fail(message: str) -> None:
    print(f"netcron: {message}", file=sys.stderr)
    raise SystemExit(1)


@cache
def setup_django() -> None:
    """Import settings (turning a bad NETCRON_* value into one line, exit 2) and set Django up."""
    import django
    from django.apps import apps

    from netcron.conf import ConfigError

    if apps.ready:  # already set up (tests, or a command calling another): don't reconfigure logging
        return
    try:
        django.setup()
    except ConfigError as exc:
        fail_bad_input(str(exc))


def admin_user():
    """The user CLI actions are recorded as: the first superuser, if any."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def echo_json(data) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, default=str))
