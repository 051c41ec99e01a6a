"""Worker identity and liveness: unique names and a heartbeat row per worker process."""

from __future__ import annotations

import os
import socket
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import connection
from django.utils import timezone


def default_worker_name(queues: list[str]) -> str:
    """Unique per process: `<queues>@<host>-<pid>`, e.g. `backup@nms1-4242`."""
    label = "all" if len(queues) == 4 else "+".join(queues)
    return f"{label}@{socket.gethostname()}-{os.getpid()}"


def worker_name(celery_hostname: str | None) -> str:
    return celery_hostname or default_worker_name(settings.NETCRON_WORKER_QUEUES)


class WorkerBeat(threading.Thread):
    """Writes this worker's WorkerHeartbeat row every NETCRON_HEARTBEAT_SECONDS."""

    def __init__(self, name: str, queues: list[str]):
        super().__init__(name="worker-heartbeat", daemon=True)
        self.worker, self.queues = name, queues
        self.stopped = threading.Event()
        self.active = 0
        self.processed = 0

    def beat(self) -> None:
        from celery.worker import state

        from netcron.jobs.models import WorkerHeartbeat

        # Celery keeps these counters in the worker's main process, where this thread runs.
        self.active = len(state.active_requests)
        self.processed = sum(state.total_count.values())
        WorkerHeartbeat.objects.update_or_create(
            name=self.worker,
            defaults={"hostname": socket.gethostname(), "pid": os.getpid(), "queues": self.queues,
                      "last_seen_at": timezone.now(), "active_runs": self.active, "processed": self.processed},
        )

    def run(self) -> None:
        from netcron.jobs.models import WorkerHeartbeat

        WorkerHeartbeat.objects.filter(name=self.worker).update(started_at=timezone.now(), processed=0)
        try:
            while True:
                try:
                    self.beat()
                except Exception:  # database briefly unavailable: try again next beat
                    connection.close()
                if self.stopped.wait(settings.NETCRON_HEARTBEAT_SECONDS):
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        from netcron.jobs.models import WorkerHeartbeat

        self.stopped.set()
        self.join(timeout=5)
        WorkerHeartbeat.objects.filter(name=self.worker).delete()


_beat: WorkerBeat | None = None


@worker_ready.connect
def start_worker_beat(sender=None, **_kwargs) -> None:
    global _beat
    queues = sorted(q.name for q in sender.app.amqp.queues.consume_from.values()) if sender else []
    _beat = WorkerBeat(sender.hostname if sender else default_worker_name(queues), queues)
    _beat.start()


@worker_shutdown.connect
def stop_worker_beat(**_kwargs) -> None:
    if _beat is not None:
        _beat.stop()
