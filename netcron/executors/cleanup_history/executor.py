from datetime import timedelta

from django.apps import apps
from django.db.models import Exists, OuterRef
from django.utils import timezone

from netcron.executors.cleanup_history.params import CleanupParams
from netcron.inventory.models import ReachabilityResult
from netcron.jobs.choices import RunStatus
from netcron.jobs.models import JobRun, RunLog


def delete_in_batches(queryset, batch_size: int) -> int:
    """Delete by primary-key batches so one huge DELETE never holds the database for long."""
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[1].get(queryset.model._meta.label, 0)


def retention(params: CleanupParams) -> dict[str, int | None]:
    """Days to keep each kind of history: the job's own parameter, else the system setting (None: forever)."""
    from netcron.system.models import current

    settings = current()
    return {
        "runs": params.runs_days or settings.runs_retention_days,
        "logs": params.logs_days or settings.logs_retention_days,
        "reachability": params.reachability_days or settings.reachability_retention_days,
        "config_versions": settings.config_versions_retention_days,
        "audit": settings.audit_retention_days,
    }


RETENTION_OF = {"state_changes": "reachability"}  # steps that age by another kind's retention


def old_config_versions(before):
    """Config versions older than `before`, except the newest of each device and kind."""
    if not apps.is_installed("netcron.configs"):
        return None
    version = apps.get_model("configs", "ConfigVersion")
    newer = version.objects.filter(device_id=OuterRef("device_id"), kind=OuterRef("kind"), id__gt=OuterRef("id"))
    return version.objects.filter(committed_at__lt=before).filter(Exists(newer))


def old_state_changes(before):
    """Reachability state changes older than `before`; /metrics keeps its own monotonic counters."""
    if not apps.is_installed("netcron.reachability"):
        return None
    return apps.get_model("reachability", "StateChange").objects.filter(at__lt=before)


def execute(ctx, params: CleanupParams) -> dict:
    from netcron.audit.models import AuditEntry
    from netcron.notifications.models import NotificationDelivery

    now = timezone.now()
    days = retention(params)
    ago = {name: now - timedelta(days=value) for name, value in days.items() if value}
    steps = [
        ("logs", RunLog.objects.filter(ts__lt=ago["logs"])),
        ("runs", JobRun.objects.filter(status__in=RunStatus.finished(), finished_at__lt=ago["runs"])),
        ("reachability", ReachabilityResult.objects.filter(checked_at__lt=ago["reachability"])),
    ]
    # Deliveries of runs go with their runs; state-change deliveries without a run age like runs.
    steps.append(("notifications", NotificationDelivery.objects.filter(run__isnull=True, created_at__lt=ago["runs"])))
    if "reachability" in ago and (changes := old_state_changes(ago["reachability"])) is not None:
        steps.append(("state_changes", changes))
    if "config_versions" in ago and (versions := old_config_versions(ago["config_versions"])) is not None:
        steps.append(("config_versions", versions))
    counts = {}
    total = len(steps) + ("audit" in ago)
    for done, (name, queryset) in enumerate(steps, 1):
        counts[name] = delete_in_batches(queryset.order_by("pk"), params.batch_size)
        kept_days = days.get(RETENTION_OF.get(name, name), days["runs"])
        ctx.log(f"deleted {counts[name]} {name} row(s) older than {kept_days} days")
        ctx.progress(done, total)
    if "audit" in ago:  # the audit log is only ever purged here, and only when a retention is set
        counts["audit"] = AuditEntry.objects.purge_before(ago["audit"])
        ctx.log(f"deleted {counts['audit']} audit entries older than {days['audit']} days")
        ctx.progress(total, total)
    return {"deleted": counts, "retention_days": days}
