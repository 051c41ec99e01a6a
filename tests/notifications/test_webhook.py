"""Run outcomes and state changes as signed webhooks, to a receiver on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest

from netcron.lib.webhook import SIGNATURE_HEADER, verify
from netcron.notifications.models import NotificationDelivery
from netcron.notifications.service import notify_state_change
from netcron.system.models import SystemSettings
from tests.notifications.conftest import WEBHOOK_KEY
from tests.notifications.helpers import deliveries, failing_template, fleet, rule, run_job, send_all

pytestmark = pytest.mark.django_db


def test_a_failed_run_is_posted_as_json_signed_with_the_credentials_token(receiver, hook_credential, settings):
    settings.BASE_URL = "http://netcron.test"
    hook = receiver()
    fleet()
    template = failing_template()
    rule(template, channel="webhook", target=hook.url, credential=hook_credential)
    run = run_job(template)
    assert send_all(run) == ["sent"]
    [(headers, body)] = hook.requests
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert verify(WEBHOOK_KEY, body, headers[SIGNATURE_HEADER])
    assert headers["X-Netcron-Event"] == "run.failure"
    [payload] = hook.payloads()
    assert payload["run"]["id"] == run.pk and payload["run"]["failed_devices"] == ["r2"]
    assert payload["run"]["counts"] == {"ok": 2, "failed": 1, "skipped": 0}
    assert payload["run"]["url"] == f"http://netcron.test/runs/{run.pk}/"


def test_a_webhook_answered_with_500_is_retried_and_then_delivered(receiver, hook_credential):
    hook = receiver(script=[500])
    fleet()
    template = failing_template()
    rule(template, channel="webhook", target=hook.url, credential=hook_credential)
    run = run_job(template)
    assert send_all(run) == ["sent"]
    assert len(hook.requests) == 2 and hook.requests[0][1] == hook.requests[1][1]
    [delivery] = deliveries(run)
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_a_webhook_that_keeps_failing_is_recorded_with_its_attempts_and_last_error(receiver, hook_credential):
    hook = receiver(script=[500] * 10)
    SystemSettings.load().change({"notify_retries": 1})
    fleet()
    template = failing_template()
    rule(template, channel="webhook", target=hook.url, credential=hook_credential)
    run = run_job(template)
    assert send_all(run) == ["failed"]
    [delivery] = deliveries(run)
    assert (delivery.attempts, delivery.last_error) == (2, "HTTP 500")


def test_the_signing_key_never_reaches_the_delivery_row_or_the_log(receiver, hook_credential, caplog):
    hook = receiver(script=[500] * 10)
    fleet()
    template = failing_template()
    rule(template, channel="webhook", target=hook.url, credential=hook_credential)
    with caplog.at_level(logging.DEBUG):
        run = run_job(template)
        send_all(run)
    row = NotificationDelivery.objects.filter(run=run).values().get()
    assert WEBHOOK_KEY not in str(row) and WEBHOOK_KEY not in caplog.text


def test_private_addresses_are_refused_when_the_settings_deny_them(receiver, hook_credential):
    hook = receiver()
    SystemSettings.load().change({"webhook_deny_private": True})
    fleet()
    template = failing_template()
    rule(template, channel="webhook", target=hook.url, credential=hook_credential)
    run = run_job(template)
    assert send_all(run) == ["failed"]
    [delivery] = deliveries(run)
    assert delivery.attempts == 0 and "private address" in delivery.last_error
    assert hook.requests == []


def test_a_webhook_without_a_signing_key_is_not_sent(receiver):
    hook = receiver()
    fleet()
    template = failing_template()
    rule(template, channel="webhook", target=hook.url)
    run = run_job(template)
    assert send_all(run) == ["failed"]
    assert "token secret" in deliveries(run)[0].last_error and hook.requests == []


def test_a_device_state_change_is_posted_to_the_rules_that_want_state_changes(receiver, hook_credential):
    hook = receiver()
    [r1, *_] = fleet()
    template = failing_template(fail=())
    rule(template, channel="webhook", target=hook.url, credential=hook_credential, on_failure=False,
         on_state_change=True)
    rule(template, target="noc@example.com")  # failures only: not told about state changes
    run = run_job(template)
    [delivery] = notify_state_change(r1, "up", "down", run)
    send_all(run)
    assert delivery.event == "state_change"
    [payload] = hook.payloads()
    assert (payload["event"], payload["device"]["name"], payload["old_state"], payload["new_state"]) == (
        "device.state_changed", "r1", "up", "down")
    assert payload["run"]["id"] == run.pk
