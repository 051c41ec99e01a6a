"""Small factories shared by the test packages."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from netcron.jobs.models import DeviceResult, JobRun, JobSchedule, JobTemplate


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_template(name: str = "t", job_type: str = "noop", owner=None, is_global: bool = True,
                  params: dict | None = None, targets: dict | None = None, **extra) -> JobTemplate:
    return JobTemplate.objects.create(name=name, job_type=job_type, owner=owner, is_global=is_global,
                                      params=params or {}, targets={"all": True} if targets is None else targets,
                                      **extra)


def make_schedule(template: JobTemplate, name: str = "s", owner=None, is_global: bool = True,
                  **extra) -> JobSchedule:
    fields = {"kind": "cron", "cron_expr": "*/5 * * * *", **extra}
    schedule = JobSchedule(name=name, template=template, owner=owner, is_global=is_global, **fields)
    schedule.reset_next_fire()
    schedule.save()
    return schedule


def make_run(template: JobTemplate, status: str = "pending", results: dict | None = None, **extra) -> JobRun:
    """A run of `template` (is_global/owner copied from it); `results` maps devices to ok/failed/..."""
    from netcron.jobs.dispatch import new_run

    run = new_run(template, extra.pop("triggered_by", "manual"), schedule=extra.pop("schedule", None),
                  user=extra.pop("requested_by", None))
    run.status = status
    if status in ("completed", "failed", "cancelled"):
        run.started_at = run.started_at or timezone.now()
        run.finished_at = timezone.now()
    elif status == "running":
        run.started_at = run.heartbeat_at = timezone.now()
    for key, value in extra.items():
        setattr(run, key, value)
    run.save()
    for device, result in (results or {}).items():
        DeviceResult.objects.create(run=run, device=device, device_name=device.name, status=result,
                                    message=f"{device.name} {result}")
    return run


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `netcron ARGV` in-process; returns (exit code, stdout, stderr)."""
    from netcron.cli import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out = capsys.readouterr()
    return code, out.out, out.err
