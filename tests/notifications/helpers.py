"""Small factories for the notification tests: a fleet, a template, a run through the real runner."""

from __future__ import annotations

from netcron.inventory.models import Device
from netcron.jobs import runner
from netcron.jobs.dispatch import new_run
from netcron.jobs.models import JobRun
from netcron.notifications.models import NotificationDelivery, NotificationRule
from tests.factories import make_template


def fleet() -> list[Device]:
    return [Device.objects.create(name=f"r{i}", host=f"192.0.2.{i}", platform="cisco_ios") for i in (1, 2, 3)]


def failing_template(fail=("r2",), **extra):
    return make_template("nightly backup", params={"fail_devices": list(fail)}, **extra)


def rule(template, channel="email", target="noc@example.com", **extra) -> NotificationRule:
    fields = {"on_failure": True, **extra}
    return NotificationRule.objects.create(name=f"{channel} rule", template=template, channel=channel, target=target,
                                           **fields)


def run_job(template, schedule=None) -> JobRun:
    """Run `template` through the runner as a worker would; returns the finished run."""
    run = new_run(template, "manual", schedule=schedule)
    run.save()
    runner.execute_run(run.pk, worker="test@host-1")
    run.refresh_from_db()
    return run


def deliveries(run) -> list[NotificationDelivery]:
    return list(NotificationDelivery.objects.filter(run=run).order_by("id"))


def send_all(run) -> list[str]:
    """What the deliver_notification task does for each queued delivery of `run` (its body, run in-process)."""
    from netcron.notifications.tasks import deliver_notification

    return [deliver_notification(d.pk) for d in deliveries(run)]
