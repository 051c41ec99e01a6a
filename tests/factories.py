"""Small factories shared by the test packages."""

from __future__ import annotations

from datetime import UTC, datetime

from netcron.jobs.models import JobSchedule, JobTemplate


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
