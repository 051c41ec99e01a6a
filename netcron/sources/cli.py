"""`netcron compare show`: the latest comparison of devices with monitoring, as a table.

Wire with `app.add_typer(compare_app, name="compare")` in netcron/cli/__init__.py.
"""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from netcron.cli.common import BadInput, console, echo_json, setup_django

compare_app = typer.Typer(help="Compare the inventory with monitoring (CheckMK, Prometheus).", no_args_is_help=True)

STYLES = {"in_sync": "green", "different": "yellow", "missing_in_monitoring": "red", "missing_in_source": "magenta"}


@compare_app.command("show")
def compare_show(
    status: str = typer.Option("", help="Comma-separated: in_sync, different, missing_in_monitoring, "
                                        "missing_in_source"),
    device: str = typer.Option("", help="Only devices whose name contains this"),
    location: str = typer.Option("", help="Comma-separated location names"),
    run: int = typer.Option(0, help="The comparison of this run (default: the latest)"),
    limit: int = typer.Option(500, min=1, help="Show at most this many rows"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Show the latest compare_devices result: what differs between netcron and monitoring."""
    setup_django()
    from netcron.monitoring.models import Comparison
    from netcron.sources.reconcile import STATUSES

    comparisons = Comparison.objects.filter(run_id=run) if run else Comparison.objects.all()
    comparison = comparisons.order_by("-created_at", "-id").first()
    if comparison is None:
        raise BadInput(f"run {run} has no comparison" if run else "no comparison yet: run a compare_devices job")
    rows = comparison.rows.all()
    statuses = [s.strip() for s in status.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise BadInput(f"--status: unknown value(s) {', '.join(unknown)}; allowed: {', '.join(STATUSES)}")
    if statuses:
        rows = rows.filter(status__in=statuses)
    if device:
        rows = rows.filter(name__icontains=device)
    if location:
        rows = rows.filter(location__in=[v.strip() for v in location.split(",") if v.strip()])
    total = rows.count()
    shown = list(rows[:limit])
    if as_json:
        echo_json({"run_id": comparison.run_id, "target": comparison.target, "target_name": comparison.target_name,
                   "created_at": comparison.created_at.isoformat(), "counts": comparison.counts, "count": total,
                   "items": [{"name": r.name, "status": r.status, "location": r.location, "summary": r.summary,
                              "diff": r.diff} for r in shown]})
        return
    table = Table("device", "status", "location", "difference")
    for row in shown:
        # Text(), not markup: names and values come from other systems and may contain [brackets].
        table.add_row(Text(row.name), Text(row.status.replace("_", " "), style=STYLES.get(row.status, "")),
                      Text(row.location), Text(row.summary))
    console.print(table)
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in comparison.counts.items())
    console.print(Text(f"run #{comparison.run_id} against {comparison.target_name} at "
                       f"{comparison.created_at:%Y-%m-%d %H:%M:%S %Z}: {counts}"
                       + (f"; showing {len(shown)} of {total}" if len(shown) < total else "")))
