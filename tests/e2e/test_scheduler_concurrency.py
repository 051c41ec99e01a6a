"""Several real scheduler processes over one database: every due slot gets exactly one run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from netcron.jobs.models import JobRun, JobSchedule, JobTemplate
from tests.e2e.conftest import REDIS_URL, database_url, redis_available, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SCHEDULES = 1000


def start_schedulers(count: int, tmp_path, broker_url: str) -> list[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
    env.update(NETCRON_DATA_DIR=str(tmp_path / "sched-data"), NETCRON_DATABASE_URL=database_url(),
               NETCRON_BROKER_URL=broker_url, NETCRON_SCHEDULER_BATCH="100")
    return [
        subprocess.Popen([sys.executable, "-m", "netcron", "scheduler", "--interval", "0.05"], env=env,
                         stdout=(tmp_path / f"scheduler-{i}.log").open("w"), stderr=subprocess.STDOUT,
                         start_new_session=True)
        for i in range(count)
    ]


def test_parallel_schedulers_create_exactly_one_run_per_due_slot(tmp_path):
    if connection.vendor == "postgresql":
        if not redis_available():
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        schedulers, broker = 4, REDIS_URL
    else:
        schedulers, broker = 2, f"netcron-fs://{tmp_path / 'broker'}"
    template = JobTemplate.objects.create(name="yearly", job_type="noop", targets={})
    due = timezone.now() - timedelta(seconds=5)
    JobSchedule.objects.bulk_create([
        JobSchedule(name=f"s{i}", template=template, cron_expr="0 0 1 1 *", next_fire_at=due,
                    misfire_grace_seconds=3600, overlap_policy="allow")
        for i in range(SCHEDULES)
    ])
    processes = start_schedulers(schedulers, tmp_path, broker)
    try:
        wait_until(lambda: not JobSchedule.objects.filter(next_fire_at__lte=due).exists(), 120,
                   "every schedule to be advanced",
                   lambda: "\n".join(p.read_text()[-2000:] for p in tmp_path.glob("scheduler-*.log")))
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
    runs = JobRun.objects.filter(template=template)
    assert runs.count() == SCHEDULES
    assert runs.values("schedule_id").distinct().count() == SCHEDULES
    assert not runs.values("schedule_id", "scheduled_for").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(runs.values_list("scheduled_for", flat=True)) == {due}
    assert runs.filter(published_at__isnull=True).count() == 0
