"""Run outcomes by email, through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

from netcron.system.models import SystemSettings
from tests.notifications.helpers import deliveries, failing_template, fleet, rule, run_job, send_all

pytestmark = pytest.mark.django_db


def test_a_failed_run_emails_what_failed_and_links_to_the_run(smtp_sink, settings):
    settings.BASE_URL = "https://netcron.example.com"
    fleet()
    template = failing_template(fail=("r2", "r3"))
    rule(template, target="noc@example.com, lead@example.com")
    run = run_job(template)
    assert run.status == "completed" and run.count_failed == 2
    assert send_all(run) == ["sent"]
    [(recipients, message)] = smtp_sink.messages
    assert recipients == ["noc@example.com", "lead@example.com"]
    # Long headers are folded on the wire (RFC 5322); compare the unfolded value.
    subject = " ".join(message["Subject"].split())
    assert subject == f"[netcron] nightly backup: completed with 2 failed device(s) (run #{run.pk})"
    body = message.get_payload()
    assert "Devices: 1 ok, 2 failed, 0 skipped" in body
    assert "Failed devices: r2, r3" in body
    assert "r2: failed on request (fail_devices)" in body
    assert f"https://netcron.example.com/runs/{run.pk}/" in body
    [delivery] = deliveries(run)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")


def test_a_successful_run_is_only_reported_to_rules_that_asked_for_success(smtp_sink):
    fleet()
    template = failing_template(fail=())
    rule(template, target="failures@example.com")
    rule(template, target="all@example.com", on_success=True, on_failure=False)
    run = run_job(template)
    assert run.status == "completed"
    send_all(run)
    assert [r for r, _ in smtp_sink.messages] == [["all@example.com"]]
    assert "completed (run #" in smtp_sink.messages[0][1]["Subject"]


def test_a_rule_without_its_own_address_mails_the_default_recipients(smtp_sink):
    fleet()
    SystemSettings.load().change({"notify_email_recipients": ["oncall@example.com"]})
    template = failing_template()
    rule(template, target="")
    send_all(run_job(template))
    assert [r for r, _ in smtp_sink.messages] == [["oncall@example.com"]]


def test_a_rule_with_no_address_anywhere_is_recorded_as_failed_without_sending(smtp_sink):
    fleet()
    template = failing_template()
    rule(template, target="")
    run = run_job(template)
    [delivery] = deliveries(run)
    assert delivery.status == "failed" and "no recipient" in delivery.last_error
    assert send_all(run) == ["skipped"] and smtp_sink.messages == []


def test_an_unreachable_mail_server_is_retried_then_recorded_as_failed(settings):
    from tests.notifications.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    SystemSettings.load().change({"notify_retries": 2})
    fleet()
    template = failing_template()
    rule(template)
    run = run_job(template)
    assert send_all(run) == ["failed"]
    [delivery] = deliveries(run)
    assert delivery.attempts == 3 and "ConnectionRefusedError" in delivery.last_error


def test_a_rule_created_while_the_run_was_running_applies_to_its_outcome(smtp_sink, monkeypatch):
    import dataclasses

    from netcron.executors import job_types

    fleet()
    template = failing_template(fail=("r2",))
    noop = job_types()["noop"]

    def execute_then_add_a_rule(ctx, params):
        rule(template, target="late@example.com")  # the first rule there is: none existed at the claim
        return noop.execute(ctx, params)

    monkeypatch.setitem(job_types(), "noop", dataclasses.replace(noop, execute=execute_then_add_a_rule))
    run = run_job(template)
    assert run.count_failed == 1
    assert send_all(run) == ["sent"]
    assert [r for r, _ in smtp_sink.messages] == [["late@example.com"]]
