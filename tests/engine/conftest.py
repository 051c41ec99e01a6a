from __future__ import annotations

from datetime import UTC, datetime

import pytest

from netcron.inventory.models import Device, Location, Tag
from netcron.jobs.models import JobRun, JobSchedule, JobTemplate


@pytest.fixture
def devices(db):
    berlin = Location.objects.create(name="Berlin")
    core = Tag.objects.create(name="core")
    made = []
    for i, (name, platform) in enumerate([("r1", "cisco_ios"), ("r2", "arista_eos"), ("r3", "juniper_junos")]):
        device = Device.objects.create(name=name, host=f"127.0.1.{i + 1}", platform=platform, role="core",
                                       location=berlin if i < 2 else None)
        if i == 0:
            device.tags.add(core)
        made.append(device)
    return made


def make_template(name="t", job_type="noop", params=None, targets=None, **extra) -> JobTemplate:
    return JobTemplate.objects.create(name=name, job_type=job_type, params=params or {},
                                      targets={"all": True} if targets is None else targets, **extra)


def make_schedule(template, next_fire_at, name="s", **extra) -> JobSchedule:
    fields = {"kind": "cron", "cron_expr": "* * * * *", **extra}
    return JobSchedule.objects.create(name=name, template=template, next_fire_at=next_fire_at, **fields)


def make_run(template, **extra) -> JobRun:
    from netcron.jobs.dispatch import new_run

    run = new_run(template, extra.pop("triggered_by", "manual"))
    for key, value in extra.items():
        setattr(run, key, value)
    run.save()
    return run


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
