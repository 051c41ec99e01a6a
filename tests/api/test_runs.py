"""Job runs: filtered lists, detail with device results, logs, cancel, retry, recent, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netcron.jobs.models import JobRun
from tests.api.conftest import make_device, make_logs, make_run, make_schedule, make_template, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(db):
    """Five runs over two templates, with distinct status, trigger and queue time."""
    noop, sleep = make_template("noop-t"), make_template("sleep-t", job_type="sleep")
    schedule = make_schedule(noop)
    now = timezone.now()
    return {
        "completed": make_run(noop, "completed", schedule=schedule, triggered_by="schedule",
                              queued_at=now - timedelta(days=3)),
        "failed": make_run(noop, "failed", triggered_by="api", queued_at=now - timedelta(days=2)),
        "running": make_run(sleep, "running", queued_at=now - timedelta(hours=5)),
        "pending": make_run(sleep, "pending", triggered_by="retry", queued_at=now - timedelta(hours=1)),
        "cancelled": make_run(noop, "cancelled", queued_at=now),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {run["id"] for run in response.json()["items"]}


def test_the_run_list_is_newest_first_and_paginated(alice, api_as, runs):
    api = api_as(alice)
    first = api.get("/api/job-runs", page_size=2).json()
    assert first["count"] == 5 and first["page"] == 1 and first["page_size"] == 2
    assert [r["id"] for r in first["items"]] == [runs["cancelled"].pk, runs["pending"].pk]
    third = api.get("/api/job-runs", page=3, page_size=2).json()
    assert [r["id"] for r in third["items"]] == [runs["completed"].pk]


def test_the_run_list_takes_comma_separated_filters(alice, api_as, runs):
    api = api_as(alice)
    assert ids(api.get("/api/job-runs", status="completed,failed")) == {runs["completed"].pk, runs["failed"].pk}
    assert ids(api.get("/api/job-runs", job_type="sleep")) == {runs["running"].pk, runs["pending"].pk}
    assert ids(api.get("/api/job-runs", triggered_by="schedule,api")) == {runs["completed"].pk, runs["failed"].pk}
    assert ids(api.get("/api/job-runs", schedule_id=str(runs["completed"].schedule_id))) == {runs["completed"].pk}
    sleep_template = runs["running"].template_id
    assert ids(api.get("/api/job-runs", template_id=f"{sleep_template},999999")) == {runs["running"].pk,
                                                                                     runs["pending"].pk}
    assert ids(api.get("/api/job-runs", status="failed", job_type="sleep")) == set()


def test_the_run_list_filters_by_queue_time(alice, api_as, runs):
    api = api_as(alice)
    now = timezone.now()
    after = (now - timedelta(hours=6)).isoformat()
    before = (now - timedelta(minutes=30)).isoformat()
    assert ids(api.get("/api/job-runs", queued_after=after, queued_before=before)) == {runs["running"].pk,
                                                                                       runs["pending"].pk}
    assert ids(api.get("/api/job-runs", queued_before=(now - timedelta(days=1)).isoformat())) == {
        runs["completed"].pk, runs["failed"].pk}


def test_a_date_filter_without_an_offset_is_utc(alice, api_as):
    template = make_template("t1")
    early = make_run(template, queued_at=utc(2026, 1, 1, 9, 0))
    late = make_run(template, queued_at=utc(2026, 1, 1, 11, 0))
    api = api_as(alice)
    assert ids(api.get("/api/job-runs", queued_after="2026-01-01T10:00:00")) == {late.pk}
    assert ids(api.get("/api/job-runs", queued_before="2026-01-01T10:00:00")) == {early.pk}
    assert ids(api.get("/api/job-runs", queued_after="2026-01-01T10:00:00+02:00")) == {early.pk, late.pk}


@pytest.mark.parametrize(("name", "value"), [
    ("status", "completed,exploded"), ("job_type", "telnet"), ("triggered_by", "cron"),
    ("schedule_id", "1,abc"), ("template_id", "x"), ("template_id", "99999999999999999999999"),
])
def test_an_unknown_filter_value_is_a_422_naming_the_filter(alice, api_as, name, value):
    response = api_as(alice).get("/api/job-runs", **{name: value})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{name}:")


def test_a_malformed_date_filter_is_a_422_naming_it(alice, api_as):
    response = api_as(alice).get("/api/job-runs", queued_after="yesterday")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "queued_after"


def test_a_run_shows_its_per_device_results(alice, api_as):
    r1, r2 = make_device("r1"), make_device("r2")
    run = make_run(make_template("t1"), "failed", results={r1: "ok", r2: "failed"}, target_device_ids=[r1.pk, r2.pk],
                   count_ok=1, count_failed=1)
    api = api_as(alice)
    body = api.get(f"/api/job-runs/{run.pk}").json()
    assert body["status"] == "failed" and body["target_device_ids"] == [r1.pk, r2.pk]
    assert body["count_ok"] == 1 and body["count_failed"] == 1
    results = {r["device_name"]: r for r in body["device_results"]}
    assert results["r1"]["status"] == "ok" and results["r2"]["status"] == "failed"
    assert results["r2"]["device_id"] == r2.pk and results["r2"]["message"] == "r2 failed"
    only_failed = api.get(f"/api/job-runs/{run.pk}", device_status="failed").json()["device_results"]
    assert [r["device_name"] for r in only_failed] == ["r2"]
    assert api.get(f"/api/job-runs/{run.pk}", device_status="broken").status_code == 422


def test_run_logs_are_paginated_oldest_first(alice, api_as):
    run = make_run(make_template("t1"), "running")
    lines = make_logs(run, 5)
    body = api_as(alice).get(f"/api/job-runs/{run.pk}/logs", page_size=2, page=2).json()
    assert body["count"] == 5 and body["run_status"] == "running"
    assert [line["id"] for line in body["items"]] == [lines[2].pk, lines[3].pk]
    assert body["items"][0]["message"] == "line 2" and body["items"][0]["level"] == "info"


def test_run_logs_can_be_tailed_with_after_id_and_filtered_by_level(alice, api_as):
    run = make_run(make_template("t1"), "running")
    lines = make_logs(run, 3) + make_logs(run, 2, level="error")
    api = api_as(alice)
    tail = api.get(f"/api/job-runs/{run.pk}/logs", after_id=lines[2].pk).json()
    assert [line["id"] for line in tail["items"]] == [lines[3].pk, lines[4].pk]
    assert api.get(f"/api/job-runs/{run.pk}/logs", after_id=lines[4].pk).json()["items"] == []
    assert api.get(f"/api/job-runs/{run.pk}/logs", level="error").json()["count"] == 2
    assert api.get(f"/api/job-runs/{run.pk}/logs", level="loud").status_code == 422


def test_cancelling_a_pending_run_cancels_it_at_once(alice, api_as):
    run = make_run(make_template("t1"), "pending")
    response = api_as(alice).post(f"/api/job-runs/{run.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["cancel_requested"] is True
    run.refresh_from_db()
    assert run.status == "cancelled" and run.finished_at is not None


def test_cancelling_a_running_run_asks_it_to_stop(alice, api_as):
    run = make_run(make_template("t1"), "running")
    response = api_as(alice).post(f"/api/job-runs/{run.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "running" and response.json()["cancel_requested"] is True


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_cancelling_a_finished_run_is_a_409(alice, api_as, status):
    run = make_run(make_template("t1"), status)
    response = api_as(alice).post(f"/api/job-runs/{run.pk}/cancel")
    assert response.status_code == 409
    assert status in response.json()["detail"]


def test_retrying_reruns_only_the_failed_devices(alice, api_as, published):
    r1, r2, r3 = make_device("r1"), make_device("r2"), make_device("r3")
    template = make_template("t1", params={"message": "hi"})
    run = make_run(template, "failed", results={r1: "ok", r2: "failed", r3: "failed"},
                   target_device_ids=[r1.pk, r2.pk, r3.pk])
    with published():
        response = api_as(alice).post(f"/api/job-runs/{run.pk}/retry")
    assert response.status_code == 201, response.content
    assert response.json()["devices"] == 2 and response.json()["status"] == "pending"
    retry = JobRun.objects.get(pk=response.json()["run_id"])
    assert sorted(retry.target_device_ids) == sorted([r2.pk, r3.pk])
    assert retry.retry_of == run and retry.attempt == 2 and retry.triggered_by == "retry"
    assert retry.params == {"message": "hi"} and retry.requested_by == alice
    assert retry.status == "pending" and retry.published_at is not None


def test_retrying_a_run_without_failed_devices_is_a_409(alice, api_as):
    r1 = make_device("r1")
    run = make_run(make_template("t1"), "completed", results={r1: "ok"})
    response = api_as(alice).post(f"/api/job-runs/{run.pk}/retry")
    assert response.status_code == 409
    assert "no failed devices" in response.json()["detail"]
    assert JobRun.objects.count() == 1


def test_retrying_a_run_that_has_not_finished_is_a_409(alice, api_as):
    r1 = make_device("r1")
    run = make_run(make_template("t1"), "running", results={r1: "failed"})
    assert api_as(alice).post(f"/api/job-runs/{run.pk}/retry").status_code == 409


def test_retrying_a_run_whose_template_was_deleted_is_a_409(alice, api_as):
    r1 = make_device("r1")
    template = make_template("t1")
    run = make_run(template, "failed", results={r1: "failed"})
    template.delete()
    assert api_as(alice).post(f"/api/job-runs/{run.pk}/retry").status_code == 409


def test_recent_runs_are_newest_first_and_limited(alice, api_as, runs):
    api = api_as(alice)
    body = api.get("/api/job-runs/recent", limit=2).json()
    assert [r["id"] for r in body] == [runs["cancelled"].pk, runs["pending"].pk]
    assert len(api.get("/api/job-runs/recent").json()) == 5
    assert api.get("/api/job-runs/recent", limit=0).status_code == 422
    assert api.get("/api/job-runs/recent", limit=201).status_code == 422


def test_the_templates_with_runs_feed_the_filter_drop_down(alice, api_as, runs):
    body = api_as(alice).get("/api/job-runs/templates").json()
    assert [t["name"] for t in body] == ["noop-t", "sleep-t"]
    assert {t["job_type"] for t in body} == {"noop", "sleep"}


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_deleting_a_finished_run_removes_it_with_results_and_logs(alice, api_as, status):
    r1 = make_device("r1")
    run = make_run(make_template("t1"), status, results={r1: "ok"})
    make_logs(run, 2)
    api = api_as(alice)
    assert api.delete(f"/api/job-runs/{run.pk}").status_code == 204
    assert api.get(f"/api/job-runs/{run.pk}").status_code == 404
    assert not JobRun.objects.filter(pk=run.pk).exists()


@pytest.mark.parametrize("status", ["running", "pending"])
def test_deleting_an_unfinished_run_is_a_409(alice, api_as, status):
    run = make_run(make_template("t1"), status)
    response = api_as(alice).delete(f"/api/job-runs/{run.pk}")
    assert response.status_code == 409
    assert JobRun.objects.filter(pk=run.pk).exists()


def test_a_missing_run_is_a_404_everywhere(alice, api_as):
    api = api_as(alice)
    for response in (api.get("/api/job-runs/999999"), api.get("/api/job-runs/999999/logs"),
                     api.post("/api/job-runs/999999/cancel"), api.post("/api/job-runs/999999/retry"),
                     api.delete("/api/job-runs/999999")):
        assert response.status_code == 404
        assert response.json()["detail"] == "run 999999 not found"
