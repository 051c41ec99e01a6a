from datetime import timedelta

from django.utils import timezone

from netcron.executors.worker_health.params import WorkerHealthParams
from netcron.jobs.models import WorkerHeartbeat
from netcron.jobs.queues import queue_lengths


def inspect_workers(timeout: float) -> dict[str, dict]:
    """Per worker: the queues it consumes and its stats, as Celery's remote inspect reports them."""
    from netcron.celery import app

    inspector = app.control.inspect(timeout=timeout)
    queues = inspector.active_queues() or {}
    stats = inspector.stats() or {}
    active = inspector.active() or {}
    report = {}
    for name in sorted(set(queues) | set(stats)):
        worker_stats = stats.get(name, {})
        report[name] = {
            "queues": sorted(q["name"] for q in queues.get(name, [])),
            "active_tasks": len(active.get(name, [])),
            "processed": sum((worker_stats.get("total") or {}).values()),
            "pool_processes": (worker_stats.get("pool") or {}).get("max-concurrency"),
            "pid": worker_stats.get("pid"),
        }
    return report


def execute(ctx, params: WorkerHealthParams) -> dict:
    now = timezone.now()
    answered = inspect_workers(params.inspect_timeout)
    WorkerHeartbeat.objects.filter(last_seen_at__lt=now - timedelta(hours=params.forget_after_hours)).delete()
    heartbeats = {w.name: w for w in WorkerHeartbeat.objects.all()}
    for name, info in answered.items():
        if name in heartbeats:
            WorkerHeartbeat.objects.filter(name=name).update(info={**info, "inspected_at": now.isoformat()})
    silent = sorted(name for name, w in heartbeats.items() if not w.is_alive(now))
    for name in silent:
        ctx.log(f"worker {name} has not sent a heartbeat since {heartbeats[name].last_seen_at:%Y-%m-%d %H:%M:%S}",
                "warning")
    lengths = queue_lengths()
    consumed = {q for w in heartbeats.values() if w.is_alive(now) for q in w.queues}
    unserved = sorted(q for q, n in lengths.items() if n and q not in consumed)
    for queue in unserved:
        ctx.log(f"queue {queue} has {lengths[queue]} waiting message(s) and no live worker consumes it", "warning")
    ctx.log(f"{len(answered)} worker(s) answered; queue lengths {lengths}")
    return {"workers": answered, "silent": silent, "queues": lengths, "unserved_queues": unserved}
