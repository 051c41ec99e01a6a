"""Built-in groups and the system jobs (history cleanup, worker health) as ordinary schedules."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from netcron.jobs.models import JobSchedule, JobTemplate

GROUP_PERMISSIONS = {
    "operators": ["jobs.read", "jobs.write", "inventory.read", "inventory.write"],
    "viewers": ["jobs.read", "inventory.read"],
}

SYSTEM_JOBS = [
    # (template name, job type, schedule kind, schedule fields)
    ("system: history cleanup", "cleanup_history", {"kind": "cron", "cron_expr": "30 3 * * *"}),
    ("system: worker health", "worker_health", {"kind": "interval", "interval_seconds": 300}),
]


def ensure_groups() -> None:
    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label=p.split(".")[0], codename=p.split(".")[1])
                  for p in perms]
        group.permissions.add(*wanted)


@transaction.atomic
def ensure_system_jobs() -> None:
    """Create the system templates and schedules once; never overwrite what an admin changed."""
    for name, job_type, timing in SYSTEM_JOBS:
        template, _ = JobTemplate.objects.get_or_create(
            name=name, defaults={"job_type": job_type, "is_global": True, "description": "Built-in system job"}
        )
        if not JobSchedule.objects.filter(template=template, is_system=True).exists():
            schedule = JobSchedule(name=name, template=template, is_system=True, is_global=True,
                                   misfire_policy="run_once", overlap_policy="skip", start_at=timezone.now(),
                                   **timing)
            schedule.reset_next_fire()
            schedule.save()
