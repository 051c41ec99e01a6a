"""`netcron config show|diff|history|search`: the backed-up config history from the command line.

Wire with ``app.add_typer(config_app, name="config")`` in netcron/cli/__init__.py.
Exit codes: 0 ok, 1 nothing found (no backup yet, no match), 2 bad input (one line on stderr).
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from netcron.cli.common import BadInput, console, echo_json, fail, setup_django

config_app = typer.Typer(help="Backed-up device configs: show, diff, history, search.", no_args_is_help=True)

KIND_HELP = "running or startup"


def _device(name: str):
    from netcron.inventory.models import Device

    device = Device.objects.filter(name=name).first()
    if device is None and name.isdigit():
        device = Device.objects.filter(pk=int(name)).first()
    if device is None:
        raise BadInput(f"no device named {name!r}")
    return device


def _call(fn, *args, **kwargs):
    from netcron.configs import history

    try:
        return fn(*args, **kwargs)
    except history.BadQuery as exc:
        raise BadInput(str(exc).replace("q: ", "")) from None
    except history.NotFound as exc:
        fail(str(exc))


@config_app.command("show")
def config_show(
    device: str = typer.Argument(..., help="Device name (or id)"),
    commit: str = typer.Option("latest", "--commit", "-c", help="Commit id or unique prefix (default: latest)"),
    kind: str = typer.Option("running", "--kind", "-k", help=KIND_HELP),
) -> None:
    """Print a device's backed-up config (the latest, or at a commit)."""
    setup_django()
    from netcron.configs import history

    version = _call(history.resolve, _device(device), commit, _call(history.check_kind, kind))
    typer.echo(_call(history.content, version), nl=False)


@config_app.command("diff")
def config_diff(
    device: str = typer.Argument(..., help="Device name (or id)"),
    from_: str = typer.Option("", "--from", help="Older commit (default: the version before --to)"),
    to: str = typer.Option("latest", "--to", help="Newer commit (default: latest)"),
    kind: str = typer.Option("running", "--kind", "-k", help=KIND_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON with both versions and the diff"),
) -> None:
    """Unified diff of two versions of a device's config."""
    setup_django()
    from netcron.configs import history

    out = _call(history.diff, _device(device), kind, from_ or None, to)
    if as_json:
        echo_json(out)
    elif out["diff"]:
        typer.echo(out["diff"], nl=False)
    else:
        typer.echo("no differences")


@config_app.command("history")
def config_history(
    device: str = typer.Argument(..., help="Device name (or id)"),
    kind: str = typer.Option("", "--kind", "-k", help=f"{KIND_HELP} (default: both)"),
    limit: int = typer.Option(50, min=1, max=10000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A device's config versions, newest first."""
    setup_django()
    from netcron.configs import history

    rows = [history.version_out(v) for v in _call(history.versions, _device(device), kind or None)
            .order_by("-id")[:limit]]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        fail(f"{device} has no backed-up config yet")
    table = Table("commit", "kind", "committed at", "run", "changed lines", "lines", "path")
    for r in rows:
        table.add_row(r["commit"][:10], r["kind"], r["committed_at"][:19], str(r["run_id"] or ""),
                      str(r["changed_lines"]), str(r["line_count"]), escape(r["path"]))
    console.print(table)


@config_app.command("search")
def config_search(
    pattern: str = typer.Argument(..., help="Text (or with --regex a Python regular expression)"),
    regex: bool = typer.Option(False, "--regex", "-E", help="Treat PATTERN as a regular expression"),
    ignore_case: bool = typer.Option(False, "--ignore-case", "-i"),
    kind: str = typer.Option("running", "--kind", "-k", help=KIND_HELP),
    max_devices: int = typer.Option(200, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Which devices' current config contains PATTERN (exit 1 if none does)."""
    setup_django()
    from netcron.configs import history

    out = _call(history.search, pattern, regex=regex, kind=kind, ignore_case=ignore_case, max_devices=max_devices)
    if as_json:
        echo_json(out)
    else:
        for match in out["matches"]:
            for line in match["lines"]:
                typer.echo(f"{match['device']}:{line['line']}: {line['text']}")
            if match["more_lines"]:
                typer.echo(f"{match['device']}: ... more matching lines")
        if out["truncated"]:
            typer.echo(f"(stopped early: {out['reason']})", err=True)
    if not out["matches"]:
        raise SystemExit(1)
