from datetime import timedelta

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


def execute(ctx, params: CleanupParams) -> dict:
    now = timezone.now()
    runs = JobRun.objects.filter(status__in=RunStatus.finished(),
                                 finished_at__lt=now - timedelta(days=params.runs_days))
    logs = RunLog.objects.filter(ts__lt=now - timedelta(days=params.logs_days))
    history = ReachabilityResult.objects.filter(checked_at__lt=now - timedelta(days=params.reachability_days))
    counts = {}
    for done, (name, queryset) in enumerate((("logs", logs), ("runs", runs), ("reachability", history)), 1):
        counts[name] = delete_in_batches(queryset.order_by("pk"), params.batch_size)
        ctx.log(f"deleted {counts[name]} {name} row(s)")
        ctx.progress(done, 3)
    return {"deleted": counts}
