"""The dashboard: runs per hour by status, running now, failures, next fires, workers, reachability."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from netcron.jobs.models import WorkerHeartbeat
from tests.ui.conftest import make_device, make_run, make_schedule, make_template, queries_for, utc

pytestmark = pytest.mark.django_db


def chart_data(body: str) -> dict:
    return json.loads(body.split('<script id="chart-data" type="application/json">')[1].split("</script>")[0])


@time_machine.travel(utc(2026, 5, 1, 12, 30), tick=False)
def test_the_chart_counts_visible_runs_per_hour_and_status(alice, charlie, client_for):
    shared, mine = make_template("shared", owner=alice), make_template("mine", owner=alice, is_global=False)
    make_run(shared, "completed", queued_at=utc(2026, 5, 1, 12, 5))
    make_run(shared, "failed", queued_at=utc(2026, 5, 1, 12, 10))
    make_run(shared, "completed", queued_at=utc(2026, 4, 30, 13, 59))
    make_run(shared, "completed", queued_at=utc(2026, 4, 30, 12, 59))  # older than 24 h
    make_run(mine, "failed", queued_at=utc(2026, 5, 1, 12, 0))
    data = chart_data(client_for(charlie).get("/").content.decode())
    assert len(data["hours"]) == 24 and data["hours"][-1] == int(utc(2026, 5, 1, 12).timestamp())
    assert data["series"]["completed"][-1] == 1 and data["series"]["failed"][-1] == 1
    assert data["series"]["completed"][0] == 1
    assert data["totals"] == {"pending": 0, "running": 0, "completed": 2, "failed": 1, "cancelled": 0}


def test_the_dashboard_lists_running_runs_failures_and_next_fires(alice, client_for):
    template = make_template("touch", owner=alice)
    make_run(template, "running", progress_done=1, progress_total=4)
    failed = make_run(template, "completed", count_failed=2, error="")
    make_schedule(template, "every five", timezone="Asia/Tokyo")
    body = client_for(alice).get("/").content.decode()
    assert "1/4 · 25%" in body
    assert f"#{failed.pk} touch" in body
    assert "every five" in body and "JST (+09:00)" in body


def test_running_now_is_a_polled_partial(alice, client_for):
    run = make_run(make_template("touch", owner=alice), "pending")
    body = client_for(alice).get("/").content.decode()
    assert 'hx-get="/dashboard/active" hx-trigger="every 2s' in body
    partial = client_for(alice).get("/dashboard/active").content.decode()
    assert f"#{run.pk} touch" in partial and "waiting" in partial and "<html" not in partial


def test_the_reachability_summary_counts_active_devices_by_state(alice, client_for):
    make_device("a", state="up")
    make_device("b", state="up")
    make_device("c", state="down")
    make_device("d")
    make_device("e", state="up", is_active=False)
    body = client_for(alice).get("/").content.decode()
    summary = body.split('id="h-reach"')[1].split("</section>")[0]
    counts = dict(zip(["unknown", "up", "degraded", "down"],
                      [int(n) for n in __import__("re").findall(r'<span class="n">(\d+)</span>', summary)],
                      strict=True))
    assert counts == {"unknown": 1, "up": 2, "degraded": 0, "down": 1}
    assert "4 active devices" in summary


def test_the_workers_panel_shows_heartbeats_and_queue_lengths(alice, client_for):
    WorkerHeartbeat.objects.create(name="all@host1", hostname="host1", pid=1, queues=["default", "backup"])
    WorkerHeartbeat.objects.create(name="old@host2", hostname="host2", pid=2, queues=["heavy"],
                                   last_seen_at=timezone.now() - timedelta(minutes=10))
    body = client_for(alice).get("/dashboard/workers").content.decode()
    assert "all@host1" in body and "alive" in body and "silent" in body and "default, backup" in body
    for queue in ("default", "backup", "network", "heavy"):
        assert f"<td>{queue}</td>" in body


def test_the_dashboard_runs_the_same_number_of_queries_for_5_and_50_of_everything(alice, client_for):
    client = client_for(alice)

    def add(start, count):
        for i in range(start, start + count):
            template = make_template(f"t{i}", owner=alice)
            make_run(template, "running", progress_total=3)
            make_run(template, "failed")
            make_schedule(template, f"s{i}")
            make_device(f"d{i}", state="up")

    add(0, 5)
    few = queries_for(client, "/")
    add(5, 45)
    assert queries_for(client, "/") == few
