from __future__ import annotations

from django.utils import timezone
from ninja import Router

from netcron.api.auth import JOBS_READ, require
from netcron.api.common import iso
from netcron.jobs.models import JobRun, WorkerHeartbeat
from netcron.jobs.queues import queue_lengths

router = Router(tags=["workers"])


@router.get("", summary="Workers (from their heartbeats), their queues, and queue lengths")
def list_workers(request):
    require(request, JOBS_READ)
    now = timezone.now()
    health = JobRun.objects.filter(job_type="worker_health", status="completed").order_by("-id").first()
    return {
        "workers": [
            {"name": w.name, "hostname": w.hostname, "pid": w.pid, "queues": w.queues, "alive": w.is_alive(now),
             "started_at": iso(w.started_at), "last_seen_at": iso(w.last_seen_at), "active_runs": w.active_runs,
             "processed": w.processed, "info": w.info}
            for w in WorkerHeartbeat.objects.all()
        ],
        "queues": queue_lengths(),
        "last_health_check": ({"run_id": health.pk, "finished_at": iso(health.finished_at), "result": health.result}
                              if health else None),
    }
