"""Health, OpenAPI and docs, workers, /metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from netcron.jobs.models import WorkerHeartbeat
from tests.api.conftest import make_run, make_template

pytestmark = pytest.mark.django_db


def test_health_answers_without_authentication():
    response = Client().get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"]
    assert body["time"]


def test_the_openapi_schema_lists_every_resource():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/health", "/api/devices", "/api/locations", "/api/tags", "/api/credentials",
                 "/api/job-templates", "/api/job-templates/types", "/api/job-templates/{template_id}/run",
                 "/api/job-schedules", "/api/job-schedules/preview", "/api/job-schedules/{schedule_id}/execute",
                 "/api/job-runs", "/api/job-runs/recent", "/api/job-runs/{run_id}/retry", "/api/workers"):
        assert path in paths, path


def test_the_openapi_schema_documents_bearer_authentication():
    schemes = Client().get("/api/openapi.json").json()["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_the_interactive_docs_page_is_reachable():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_workers_lists_heartbeats_with_liveness_and_queue_lengths(alice, api_as):
    now = timezone.now()
    WorkerHeartbeat.objects.create(name="all@nms1-1", hostname="nms1", pid=1, queues=["default", "backup"],
                                   last_seen_at=now, active_runs=1, processed=7)
    WorkerHeartbeat.objects.create(name="heavy@nms2-2", hostname="nms2", pid=2, queues=["heavy"],
                                   last_seen_at=now - timedelta(hours=1))
    response = api_as(alice).get("/api/workers")
    assert response.status_code == 200
    body = response.json()
    workers = {w["name"]: w for w in body["workers"]}
    assert workers["all@nms1-1"]["alive"] is True
    assert workers["all@nms1-1"]["queues"] == ["default", "backup"]
    assert workers["all@nms1-1"]["processed"] == 7
    assert workers["heavy@nms2-2"]["alive"] is False
    assert set(body["queues"]) == {"default", "backup", "network", "heavy"}
    assert body["last_health_check"] is None


def test_workers_reports_the_last_completed_health_check(alice, api_as):
    run = make_run(make_template(name="system: worker health", job_type="worker_health"), status="completed",
                   result={"alive": 2})
    body = api_as(alice).get("/api/workers").json()
    assert body["last_health_check"]["run_id"] == run.pk
    assert body["last_health_check"]["result"] == {"alive": 2}


def test_workers_needs_jobs_read(charlie, api_as):
    assert api_as(charlie).get("/api/workers").status_code == 403
    assert api_as(None).get("/api/workers").status_code == 401


def test_metrics_is_prometheus_text_with_runs_by_status_and_type():
    template = make_template()
    make_run(template, status="completed")
    make_run(template, status="completed")
    make_run(template, status="failed")
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "# TYPE netcron_runs gauge" in text
    assert 'netcron_runs{job_type="noop",status="completed"} 2.0' in text
    assert 'netcron_runs{job_type="noop",status="failed"} 1.0' in text
    for family in ("netcron_fire_lag_seconds", "netcron_queue_length", "netcron_oldest_pending_seconds"):
        assert family in text


def test_metrics_counts_alive_workers_per_queue():
    WorkerHeartbeat.objects.create(name="w1", hostname="h", pid=1, queues=["default"], last_seen_at=timezone.now())
    text = Client().get("/metrics").content.decode()
    assert 'netcron_workers_alive{queue="default"} 1.0' in text


def test_health_is_a_503_when_the_database_is_unavailable(monkeypatch):
    from netcron.api import system

    class Broken:
        def cursor(self):
            raise OSError("connection refused")

    monkeypatch.setattr(system, "connection", Broken())
    response = Client().get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded" and response.json()["database"] == "unavailable"


def test_metrics_require_the_configured_token(settings):
    from django.test import Client

    settings.NETCRON_METRICS_TOKEN = "scrape-me"
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert Client().get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200
