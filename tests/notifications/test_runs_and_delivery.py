"""Notifications never hold up or break a run; each is sent once and shown with the run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netcron.jobs import dispatch
from netcron.notifications import service
from netcron.notifications.tasks import deliver_notification
from tests.notifications.helpers import deliveries, failing_template, fleet, rule, run_job, send_all

pytestmark = pytest.mark.django_db


def test_deliveries_are_published_by_id_to_the_default_queue_once_the_run_is_committed(
        monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(deliver_notification, "apply_async", lambda args, queue: sent.append((args, queue)))
    fleet()
    template = failing_template()
    rule(template)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_job(template)
        assert sent == []  # nothing leaves before the rows are committed
    [delivery] = deliveries(run)
    assert sent == [([delivery.pk], "default")]
    assert delivery.status == "pending"


def test_a_failure_to_queue_notifications_does_not_change_the_runs_outcome(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(service, "queue", broken)
    fleet()
    template = failing_template(fail=())
    rule(template, on_success=True)
    run = run_job(template)
    assert run.status == "completed" and run.count_ok == 3
    assert "could not queue notifications" in caplog.text


def test_a_cancelled_run_notifies_nobody(db):
    template = failing_template()
    rule(template, on_success=True)
    run = dispatch.new_run(template, "manual")
    run.save()
    run.request_cancel()
    assert service.run_finished(run) == []


def test_a_run_whose_worker_was_lost_is_reported_as_failed(smtp_sink):
    template = failing_template()
    rule(template)
    run = dispatch.new_run(template, "manual")
    stale = timezone.now() - timedelta(hours=1)
    run.status, run.executed_by, run.started_at, run.heartbeat_at = "running", "w@h-1", stale, stale
    run.save()
    assert dispatch.reap()["lost"] == 1
    assert send_all(run) == ["sent"]
    assert "lost worker w@h-1" in smtp_sink.messages[0][1].get_payload()


def test_a_delivery_arriving_twice_is_sent_once(smtp_sink):
    fleet()
    template = failing_template()
    rule(template)
    run = run_job(template)
    [delivery] = deliveries(run)
    assert deliver_notification(delivery.pk) == "sent"
    assert deliver_notification(delivery.pk) == "skipped"
    assert len(smtp_sink.messages) == 1


def test_rules_of_a_schedule_apply_to_its_runs_only(smtp_sink):
    from tests.factories import make_schedule

    fleet()
    template = failing_template()
    schedule = make_schedule(template, "nightly")
    rule(None, target="schedule@example.com", schedule=schedule)
    send_all(run_job(template))
    assert smtp_sink.messages == []
    send_all(run_job(template, schedule=schedule))
    assert [r for r, _ in smtp_sink.messages] == [["schedule@example.com"]]


def test_the_run_detail_lists_its_deliveries_in_the_api_and_the_ui(api_as, alice, client, smtp_sink):
    fleet()
    template = failing_template(owner=alice)
    rule(template)
    run = run_job(template)
    send_all(run)
    [shown] = api_as(alice).get(f"/api/job-runs/{run.pk}").json()["notifications"]
    assert (shown["channel"], shown["target"], shown["status"], shown["attempts"]) == (
        "email", "noc@example.com", "sent", 1)
    client.force_login(alice)
    page = client.get(f"/runs/{run.pk}/")
    assert page.status_code == 200 and b"noc@example.com" in page.content and b"Notifications" in page.content


def test_a_failure_that_will_be_retried_automatically_is_not_reported_yet(smtp_sink):
    template = failing_template(max_retries=1)
    rule(template)
    run = dispatch.new_run(template, "manual")
    stale = timezone.now() - timedelta(hours=1)
    run.status, run.started_at, run.heartbeat_at = "running", stale, stale
    run.save()
    assert dispatch.reap()["lost"] == 1
    assert run.retries.count() == 1 and deliveries(run) == []
