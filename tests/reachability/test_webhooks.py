"""Signed webhook notifications of state changes, delivered to a local receiver with retries."""

from __future__ import annotations

import json

import pytest

from netcron.inventory.models import Credential
from netcron.jobs.models import JobTemplate
from netcron.lib.webhook import SIGNATURE_HEADER, verify
from netcron.reachability.models import StateChange
from tests.reachability.conftest import logs, results, run_job
from tests.reachability.helpers import WebhookReceiver

pytestmark = pytest.mark.django_db
HMAC_KEY = "canary-hmac-key-7d41f0"
TCP_ONLY = {"checks": ["tcp"], "timeout_s": 1}


@pytest.fixture
def hook_credential(db):
    credential = Credential(name="hook")
    credential.set_secrets(token=HMAC_KEY)
    credential.save()
    return credential


def params(receiver, credential, **hook) -> dict:
    return {"checks": ["tcp"], "timeout_s": 1,
            "webhook": {"url": receiver.url, "credential_id": credential.pk, "backoff_s": 0.05, **hook}}


def everything_visible(run) -> str:
    template = JobTemplate.objects.get(pk=run.template_id)
    parts = [run.error, json.dumps(run.result), json.dumps(run.params), json.dumps(template.params), logs(run)]
    parts += [json.dumps(r.data) + r.message for r in results(run).values()]
    parts += [e.notify_error + e.reason for e in StateChange.objects.all()]
    return "\n".join(parts)


def test_a_device_going_down_is_posted_once_with_a_valid_signature_after_one_retry(lab, lab_devices, hook_credential):
    device = lab_devices[2]
    with WebhookReceiver(script=[500]) as receiver:
        run_job("reachability", params(receiver, hook_credential))  # first sightings: not notified
        assert receiver.requests == []
        lab.set_fault(device.name, "down")
        try:
            run = run_job("reachability", params(receiver, hook_credential))
        finally:
            lab.clear_faults(device.name)
    assert len(receiver.requests) == 2  # 500, then 200
    first, second = receiver.requests
    assert first["body"] == second["body"]
    assert verify(HMAC_KEY, second["body"], second["headers"][SIGNATURE_HEADER])
    assert second["headers"][SIGNATURE_HEADER].startswith("sha256=")
    body = receiver.json(1)
    assert body["device"] == {"id": device.pk, "name": device.name}
    assert (body["old_state"], body["new_state"], body["run_id"]) == ("up", "down", run.pk)
    assert body["at"] and "refused" in body["reason"]
    event = StateChange.objects.get(run=run)
    assert (event.notify_status, event.notify_attempts) == ("sent", 2)
    assert run.result["notifications"] == {"sent": 1, "failed": 0}
    assert HMAC_KEY not in everything_visible(run)


def test_a_tampered_body_does_not_verify(lab, lab_devices, hook_credential):
    with WebhookReceiver() as receiver:
        run_job("reachability", params(receiver, hook_credential, include_initial=True),
                targets={"devices": [lab_devices[0].name]})
    sent = receiver.requests[0]
    assert verify(HMAC_KEY, sent["body"], sent["headers"][SIGNATURE_HEADER])
    assert not verify(HMAC_KEY, sent["body"].replace(b'"up"', b'"down"'), sent["headers"][SIGNATURE_HEADER])
    assert not verify("another-key", sent["body"], sent["headers"][SIGNATURE_HEADER])


def test_a_receiver_that_keeps_failing_marks_the_event_failed_and_the_run_still_completes(
        lab, lab_devices, hook_credential):
    with WebhookReceiver(script=[503, 503, 503]) as receiver:
        run = run_job("reachability", params(receiver, hook_credential, include_initial=True, retries=2),
                      targets={"devices": [lab_devices[0].name]})
    assert run.status == "completed" and len(receiver.requests) == 3
    event = StateChange.objects.get(run=run)
    assert (event.notify_status, event.notify_attempts, event.notify_error) == ("failed", 3, "HTTP 503")
    assert "1 notification(s) failed" in logs(run)


def test_a_client_error_is_not_retried(lab, lab_devices, hook_credential):
    with WebhookReceiver(script=[404]) as receiver:
        run = run_job("reachability", params(receiver, hook_credential, include_initial=True),
                      targets={"devices": [lab_devices[0].name]})
    assert len(receiver.requests) == 1
    assert StateChange.objects.get(run=run).notify_error == "HTTP 404"


def test_a_credential_without_token_is_logged_and_nothing_is_sent(lab, lab_devices):
    empty = Credential.objects.create(name="no-token")
    with WebhookReceiver() as receiver:
        run = run_job("reachability", params(receiver, empty, include_initial=True),
                      targets={"devices": [lab_devices[0].name]})
    assert receiver.requests == [] and run.status == "completed"
    assert f"credential {empty.pk} has no token secret" in logs(run)


def test_the_webhook_url_must_be_http_or_https(api_as, alice):
    for url in ("ftp://example.invalid/x", "file:///etc/passwd", "http://user:pw@example.invalid/", "/relative"):
        response = api_as(alice).post("/api/job-templates", json={
            "name": "hooked", "job_type": "reachability", "targets": {"all": True},
            "params": {"webhook": {"url": url, "credential_id": 1}}})
        assert response.status_code == 422, url
        assert response.json()["detail"][0]["loc"] == ["body", "params", "webhook", "url"]


def test_notification_rules_for_state_changes_get_one_delivery_per_real_change(lab, lab_devices, hook_credential):
    pytest.importorskip("netcron.notifications.models")
    from netcron.notifications.models import NotificationDelivery, NotificationRule

    NotificationRule.objects.create(name="ops", on_failure=False, on_state_change=True, channel="webhook",
                                    target="http://127.0.0.1:9/never-called", credential=hook_credential)
    device = lab_devices[3]
    run_job("reachability", TCP_ONLY)  # first sightings: no notification
    assert NotificationDelivery.objects.filter(event="state_change").count() == 0
    lab.set_fault(device.name, "down")
    try:
        run = run_job("reachability", TCP_ONLY)
    finally:
        lab.clear_faults(device.name)
    delivery = NotificationDelivery.objects.get(event="state_change")
    assert (delivery.payload["device"]["name"], delivery.payload["old_state"], delivery.payload["new_state"]) == (
        device.name, "up", "down")
    assert delivery.run_id == run.pk and run.result["rule_notifications"] == 1
