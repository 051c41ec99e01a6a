"""`netcron migrate | createuser | template | schedule | run | runs`"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from netcron.cli.common import BadInput, admin_user, console, echo_json, fail, setup_django

template_app = typer.Typer(help="Job templates.", no_args_is_help=True)
schedule_app = typer.Typer(help="Job schedules.", no_args_is_help=True)


def migrate(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Create or upgrade the database schema, groups and system schedules."""
    setup_django()
    from django.core.management import call_command

    from netcron.jobs.system import ensure_groups, ensure_system_jobs

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)
    ensure_groups()
    ensure_system_jobs()
    typer.echo("database is up to date")


def createuser(
    name: str,
    superuser: bool = typer.Option(False, "--superuser", help="All permissions, sees private objects too"),
    role: str = typer.Option("operator", help="operator (read+write jobs and inventory) or viewer (read only)"),
    token: bool = typer.Option(False, "--token", help="Also issue an API token and print it once"),
    password: str = typer.Option("", envvar="NETCRON_NEW_PASSWORD",
                                 help="Password (default: generated and printed once)"),
) -> None:
    """Create a user (prints the generated password and token once)."""
    setup_django()
    import secrets

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from netcron.accounts.models import ApiToken
    from netcron.jobs.system import ensure_groups

    if role not in ("operator", "viewer"):
        raise BadInput(f"--role: expected operator or viewer, got {role!r}")
    User = get_user_model()
    if User.objects.filter(username=name).exists():
        raise BadInput(f"user {name!r} already exists")
    ensure_groups()
    generated = not password
    password = password or secrets.token_urlsafe(12)
    user = User.objects.create_user(name, password=password, is_staff=superuser, is_superuser=superuser)
    user.groups.add(Group.objects.get(name=f"{role}s"))
    typer.echo(f"created user {name}" + (" (superuser)" if superuser else f" ({role})"))
    if generated:
        typer.echo(f"password: {password}")
    if token:
        _, raw = ApiToken.issue(user, name="cli")
        typer.echo(f"token: {raw}")


@template_app.command("list")
def template_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List job templates."""
    setup_django()
    from netcron.jobs.models import JobTemplate

    rows = [{"id": t.pk, "name": t.name, "job_type": t.job_type, "queue": t.effective_queue(),
             "scope": "global" if t.is_global else f"private ({t.owner})"}
            for t in JobTemplate.objects.select_related("owner")]
    if as_json:
        echo_json(rows)
        return
    table = Table("id", "name", "job type", "queue", "scope")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["job_type"], r["queue"], r["scope"])
    console.print(table)


@schedule_app.command("list")
def schedule_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List schedules with their next fire time."""
    setup_django()
    from netcron.jobs.models import JobSchedule

    rows = [{"id": s.pk, "name": s.name, "template": s.template.name, "kind": s.kind,
             "when": s.cron_expr or (f"every {s.interval_seconds}s" if s.interval_seconds else "")
             or (s.time_of_day.isoformat() if s.time_of_day else "") or (s.run_at.isoformat() if s.run_at else ""),
             "timezone": s.timezone, "active": s.is_active,
             "next_fire_at": s.next_fire_at.isoformat() if s.next_fire_at else None}
            for s in JobSchedule.objects.select_related("template")]
    if as_json:
        echo_json(rows)
        return
    table = Table("id", "name", "template", "kind", "when", "tz", "active", "next fire (UTC)")
    for r in rows:
        table.add_row(str(r["id"]), r["name"], r["template"], r["kind"], r["when"], r["timezone"],
                      "yes" if r["active"] else "paused", r["next_fire_at"] or "—")
    console.print(table)


def parse_instant(value: str, option: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{option}: not an ISO-8601 time: {value!r}") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


@schedule_app.command("preview")
def schedule_preview(
    cron: str = typer.Option("", help="5-field cron expression or @daily etc."),
    interval: int = typer.Option(0, help="Interval in seconds (instead of --cron)"),
    daily: str = typer.Option("", help="Daily wall time HH:MM (instead of --cron)"),
    once: str = typer.Option("", help="One-off ISO-8601 time (instead of --cron)"),
    solar: str = typer.Option("", help="Sun event, e.g. sunrise or dusk_civil (instead of --cron; needs --lat, --lon)"),
    lat: float | None = typer.Option(None, help="Latitude for --solar, degrees north"),
    lon: float | None = typer.Option(None, help="Longitude for --solar, degrees east"),
    tz: str = typer.Option("UTC", help="IANA time zone, e.g. Europe/Berlin"),
    start: str = typer.Option("", help="ISO-8601 start (interval anchor / first day)"),
    after: str = typer.Option("", help="ISO-8601 instant to start from (default: now)"),
    count: int = typer.Option(5, min=1, max=1000),
    local: bool = typer.Option(False, "--local", help="Also show the wall time in the time zone"),
) -> None:
    """Print the next fire times, one ISO-8601 UTC instant per line."""
    from datetime import time as dtime

    from netcron.lib.cron import ScheduleError, Timing, describe_offset

    given = (("cron", cron), ("interval", interval), ("daily", daily), ("once", once), ("solar", solar))
    kinds = [k for k, v in given if v]
    if len(kinds) != 1:
        raise BadInput("give exactly one of --cron, --interval, --daily, --once, --solar")
    try:
        time_of_day = dtime.fromisoformat(daily) if daily else None
    except ValueError:
        raise BadInput(f"--daily: expected HH:MM, got {daily!r}") from None
    timing = Timing(kind=kinds[0], timezone=tz, cron_expr=cron, interval_seconds=interval or None,
                    time_of_day=time_of_day, run_at=parse_instant(once, "--once") if once else None,
                    start_at=parse_instant(start, "--start") if start else None,
                    solar_event=solar, latitude=lat, longitude=lon)
    try:
        timing.validate()
        fires = timing.preview(parse_instant(after, "--after") if after else datetime.now(UTC), count)
    except ScheduleError as exc:
        raise BadInput(f"{exc.field}: {exc}") from None
    for at in fires:
        line = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        typer.echo(f"{line}  {describe_offset(at, tz)}" if local else line)


def find_template(ref: str):
    from netcron.jobs.models import JobTemplate

    template = JobTemplate.objects.filter(name=ref).first()
    if template is None and ref.isdigit():
        template = JobTemplate.objects.filter(pk=int(ref)).first()
    if template is None:
        raise BadInput(f"no job template named {ref!r}")
    return template


def parse_params(pairs: list[str]) -> dict:
    import json

    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadInput(f"--param: expected KEY=VALUE, got {pair!r}")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def run(
    template: str = typer.Argument(..., help="Template name or id"),
    wait: bool = typer.Option(False, "--wait", help="Follow the run with a progress bar until it ends"),
    param: list[str] = typer.Option([], help="Parameter override KEY=VALUE (JSON values allowed); repeatable"),
    timeout: float = typer.Option(0, help="With --wait: give up waiting after this many seconds"),
) -> None:
    """Run a template now. With --wait, exit 0 if it completed without failures, 1 otherwise."""
    setup_django()
    from pydantic import ValidationError

    from netcron.jobs import dispatch
    from netcron.jobs.choices import TriggeredBy

    job = find_template(template)
    try:
        launched = dispatch.launch(job, TriggeredBy.MANUAL, user=admin_user(), param_overrides=parse_params(param))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"params.{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    typer.echo(f"run #{launched.pk} of {job.name} queued on {launched.queue}")
    if wait:
        follow(launched.pk, timeout)


def follow(run_id: int, timeout: float = 0) -> None:
    from netcron.jobs.models import JobRun

    started = time.monotonic()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        bar = progress.add_task(f"run #{run_id} pending", total=None)
        while True:
            run_row = JobRun.objects.get(pk=run_id)
            progress.update(bar, description=f"run #{run_id} {run_row.status}",
                            completed=run_row.progress_done, total=run_row.progress_total or None)
            if run_row.is_finished:
                break
            if timeout and time.monotonic() - started > timeout:
                fail(f"run #{run_id} still {run_row.status} after {timeout:g} s")
            time.sleep(0.3)
    summary = (f"run #{run_id} {run_row.status}: {run_row.count_ok} ok, {run_row.count_failed} failed, "
               f"{run_row.count_skipped} skipped")
    if run_row.error:
        summary += f" — {run_row.error}"
    typer.echo(summary)
    if run_row.status != "completed" or run_row.count_failed:
        raise SystemExit(1)


def runs(
    status: str = typer.Option("", help="Comma-separated statuses, e.g. failed,cancelled"),
    job_type: str = typer.Option("", "--type", help="Comma-separated job types"),
    limit: int = typer.Option(20, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List recent runs."""
    setup_django()
    from netcron.jobs.choices import RunStatus
    from netcron.jobs.models import JobRun

    qs = JobRun.objects.all()
    statuses = [s for s in status.split(",") if s]
    unknown = [s for s in statuses if s not in RunStatus.values]
    if unknown:
        raise BadInput(f"--status: unknown value(s) {', '.join(unknown)}; allowed: {', '.join(RunStatus.values)}")
    if statuses:
        qs = qs.filter(status__in=statuses)
    if job_type:
        qs = qs.filter(job_type__in=[t for t in job_type.split(",") if t])
    rows = [{"id": r.pk, "job": r.job_name, "type": r.job_type, "status": r.status, "trigger": r.triggered_by,
             "queued_at": r.queued_at.isoformat(), "worker": r.executed_by, "ok": r.count_ok,
             "failed": r.count_failed, "error": r.error} for r in qs[:limit]]
    if as_json:
        echo_json(rows)
        return
    table = Table("id", "job", "type", "status", "trigger", "queued (UTC)", "worker", "ok", "failed")
    for r in rows:
        table.add_row(str(r["id"]), r["job"], r["type"], r["status"], r["trigger"], r["queued_at"][:19],
                      r["worker"], str(r["ok"]), str(r["failed"]))
    console.print(table)


def register_job_commands(app: typer.Typer) -> None:
    app.command()(migrate)
    app.command()(createuser)
    app.add_typer(template_app, name="template")
    app.add_typer(schedule_app, name="schedule")
    app.command()(run)
    app.command()(runs)
