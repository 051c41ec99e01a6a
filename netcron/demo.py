"""Demo data for `netcron up --demo`: a small inventory, templates and schedules that run at once."""

from __future__ import annotations

from django.db import transaction

from netcron.inventory.models import Credential, Device, Location, Tag
from netcron.jobs.models import JobSchedule, JobTemplate

DEMO_DEVICES = [
    # name, host, platform, location, role, tags
    ("core1", "127.0.1.1", "cisco_ios", "Berlin", "core", ["core", "demo"]),
    ("core2", "127.0.1.2", "arista_eos", "Berlin", "core", ["core", "demo"]),
    ("edge1", "127.0.1.3", "juniper_junos", "Hamburg", "edge", ["edge", "demo"]),
    ("edge2", "127.0.1.4", "cisco_nxos", "Hamburg", "edge", ["edge", "demo"]),
    ("branch1", "127.0.1.5", "mikrotik_routeros", "Munich", "access", ["branch", "demo"]),
    ("srv1", "127.0.1.6", "linux", "Munich", "server", ["demo"]),
]


@transaction.atomic
def seed_demo() -> str:
    """Idempotent: running it twice changes nothing."""
    credential, created = Credential.objects.get_or_create(name="demo", defaults={"username": "netcron"})
    if created:
        credential.set_secrets(password="netcron-demo", enable_secret="netcron-enable")  # noqa: S106 (lab)
        credential.save()
    for name, host, platform, location, role, tags in DEMO_DEVICES:
        device, _ = Device.objects.get_or_create(
            name=name,
            defaults={"host": host, "platform": platform, "role": role, "credential": credential,
                      "location": Location.objects.get_or_create(name=location)[0], "source": "demo"},
        )
        device.tags.add(*[Tag.objects.get_or_create(name=t)[0] for t in tags])
    noop, _ = JobTemplate.objects.get_or_create(
        name="demo: touch every device", defaults={"job_type": "noop", "targets": {"all": True},
                                                   "params": {"message": "demo run"}},
    )
    JobTemplate.objects.get_or_create(
        name="demo: slow job (20 s)", defaults={"job_type": "sleep", "params": {"seconds": 20, "steps": 20}},
    )
    if not JobSchedule.objects.filter(name="demo: every minute").exists():
        schedule = JobSchedule(name="demo: every minute", template=noop, kind="cron", cron_expr="* * * * *")
        schedule.reset_next_fire()
        schedule.save()
    return f"demo data ready: {Device.objects.count()} devices, {JobTemplate.objects.count()} templates"
