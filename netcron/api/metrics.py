"""Prometheus /metrics: runs by status and type, fire lag, queue lengths, scheduler ticks, workers."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from netcron.jobs.models import JobRun, SchedulerTick, WorkerHeartbeat
from netcron.jobs.queues import queue_lengths
from netcron.reachability.metrics import reachability_metrics

LAG_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)


class NetcronCollector:
    """Reads the database at scrape time: any number of web processes report the same numbers."""

    def collect(self):
        runs = GaugeMetricFamily("netcron_runs", "Job runs by status and job type", labels=["status", "job_type"])
        for row in JobRun.objects.order_by().values("status", "job_type").annotate(n=Count("id")):
            runs.add_metric([row["status"], row["job_type"]], row["n"])
        yield runs

        lag = HistogramMetricFamily("netcron_fire_lag_seconds",
                                    "Start of scheduled runs minus their slot, last hour", labels=[])
        since = timezone.now() - timedelta(hours=1)
        lags = [
            (started - slot).total_seconds()
            for started, slot in JobRun.objects.filter(scheduled_for__gte=since, started_at__isnull=False)
            .order_by().values_list("started_at", "scheduled_for")[:100000]
        ]
        buckets = [(str(b), sum(1 for v in lags if v <= b)) for b in LAG_BUCKETS] + [("+Inf", len(lags))]
        lag.add_metric([], buckets, sum_value=sum(lags))
        yield lag

        queues = GaugeMetricFamily("netcron_queue_length", "Ready messages per queue", labels=["queue"])
        for name, length in queue_lengths().items():
            if length is not None:
                queues.add_metric([name], length)
        yield queues

        ticks = GaugeMetricFamily("netcron_scheduler_ticks", "Ticks per scheduler process", labels=["scheduler"])
        created = GaugeMetricFamily("netcron_scheduler_runs_created", "Runs created per scheduler",
                                    labels=["scheduler"])
        tick_ms = GaugeMetricFamily("netcron_scheduler_last_tick_ms", "Duration of the last tick",
                                    labels=["scheduler"])
        for tick in SchedulerTick.objects.all():
            ticks.add_metric([tick.name], tick.ticks)
            created.add_metric([tick.name], tick.runs_created)
            tick_ms.add_metric([tick.name], tick.last_tick_ms)
        yield from (ticks, created, tick_ms)

        workers = GaugeMetricFamily("netcron_workers_alive", "Workers with a recent heartbeat", labels=["queue"])
        now = timezone.now()
        alive: dict[str, int] = {}
        for worker in WorkerHeartbeat.objects.all():
            if worker.is_alive(now):
                for queue in worker.queues:
                    alive[queue] = alive.get(queue, 0) + 1
        for queue, count in sorted(alive.items()):
            workers.add_metric([queue], count)
        yield workers

        running = GaugeMetricFamily("netcron_oldest_pending_seconds", "Age of the oldest pending run")
        oldest = JobRun.objects.filter(status="pending", queued_at__lte=now).order_by("queued_at").first()
        running.add_metric([], (now - oldest.queued_at).total_seconds() if oldest else 0)
        yield running
        yield from reachability_metrics()


def metrics_view(request):
    """Open by default (like most exporters); set NETCRON_METRICS_TOKEN to require `Bearer <token>`."""
    expected = settings.NETCRON_METRICS_TOKEN
    if expected and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {expected}"):
        return HttpResponse("metrics token required\n", status=401, content_type="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NetcronCollector())
    return HttpResponse(generate_latest(registry), content_type="text/plain; version=0.0.4; charset=utf-8")
