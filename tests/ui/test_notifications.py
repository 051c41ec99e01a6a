"""Notification rule pages: the API's validation and visibility, toggles and deletes audited, deliveries shown."""

from __future__ import annotations

import pytest

from netcron.audit.models import AuditEntry
from netcron.inventory.models import Credential
from netcron.notifications.models import NotificationDelivery, NotificationRule
from tests.ui.conftest import make_run, make_schedule, make_template, queries_for

pytestmark = pytest.mark.django_db


def rule_post(template=None, **overrides) -> dict:
    return {"name": "noc", "template": template.pk if template else "", "schedule": "", "events": ["failure"],
            "channel": "email", "target": "noc@example.com", "credential": "", "is_active": "on", **overrides}


def make_rule(template, owner=None, **extra) -> NotificationRule:
    fields = {"name": "noc", "channel": "email", "target": "noc@example.com", **extra}
    return NotificationRule.objects.create(template=template, owner=owner, **fields)


def test_an_operator_creates_a_rule_for_a_template_and_it_is_audited(alice, client_for):
    template = make_template("nightly", owner=alice)
    response = client_for(alice).post("/notifications/new", rule_post(template, events=["failure", "success"]))
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    rule = NotificationRule.objects.get()
    assert (rule.template, rule.events, rule.owner, rule.is_active) == (template, ["failure", "success"], alice, True)
    entry = AuditEntry.objects.get(object_type="notification_rule")
    assert (entry.action, entry.via, entry.actor) == ("create", "ui", alice)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"target": "noc@example.com, not-an-address"}, "target", "is not an email address"),
    ({"channel": "webhook", "target": "ftp://example.com/hook"}, "target", ""),
    ({"channel": "webhook", "target": "https://example.com/hook"}, "credential", "needs a credential"),
    ({"events": []}, "events", "required"),
    ({"events": ["sometimes"]}, "events", "valid choice"),
    ({"template": ""}, "template", "superusers only"),
    ({"template": "424242"}, "template", "valid choice"),
])
def test_an_invalid_rule_is_shown_inline_like_the_api_rejects_it(alice, client_for, change, field, message):
    template = make_template("t", owner=alice)
    response = client_for(alice).post("/notifications/new", {**rule_post(template), **change})
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert not NotificationRule.objects.exists()


def test_a_schedule_of_another_template_is_refused_on_the_schedule_field(alice, client_for):
    template, other = make_template("t", owner=alice), make_template("other", owner=alice)
    schedule = make_schedule(other, "s", owner=alice)
    response = client_for(alice).post("/notifications/new", rule_post(template, schedule=schedule.pk))
    assert "the schedule runs another template" in response.context["form"].errors["schedule"][0]


def test_a_webhook_rule_with_a_token_credential_is_saved(alice, client_for):
    template = make_template("t", owner=alice)
    plain = Credential.objects.create(name="plain")
    hook = Credential(name="hook")
    hook.set_secrets(token="signing-key")
    hook.save()
    client = client_for(alice)
    body = rule_post(template, channel="webhook", target="https://example.com/hook")
    refused = client.post("/notifications/new", {**body, "credential": plain.pk})
    assert "has no token secret" in refused.context["form"].errors["credential"][0]
    assert client.post("/notifications/new", {**body, "credential": hook.pk}).status_code == 302
    assert NotificationRule.objects.get().credential == hook


def test_rules_of_a_private_template_are_invisible_to_other_users(alice, charlie, client_for):
    private = make_template("mine", owner=alice, is_global=False)
    rule = make_rule(private, owner=alice, name="alice-only")
    client = client_for(charlie)
    assert "alice-only" not in client.get("/notifications/").content.decode()
    assert client.get(f"/notifications/{rule.pk}/edit").status_code == 404
    assert client.post(f"/notifications/{rule.pk}/toggle").status_code == 404
    assert client.post(f"/notifications/{rule.pk}/delete").status_code == 404
    assert client.post("/notifications/new", rule_post(private)).status_code == 422
    assert "alice-only" in client_for(alice).get("/notifications/").content.decode()


def test_a_viewer_reads_rules_but_cannot_change_them(alice, vera, nora, client_for):
    rule = make_rule(make_template("t", owner=alice), owner=alice)
    client = client_for(vera)
    body = client.get("/notifications/").content.decode()
    assert "noc@example.com" in body and "New rule" not in body and "Disable" not in body
    assert client.get(f"/notifications/{rule.pk}/edit").status_code == 403
    assert client.post(f"/notifications/{rule.pk}/toggle").status_code == 403
    assert client.get("/notifications/new").status_code == 403
    assert client_for(nora).get("/notifications/").status_code == 403


def test_editing_a_rule_saves_it_and_shows_its_deliveries(alice, bob, client_for):
    template = make_template("shared", owner=alice)
    rule = make_rule(template, owner=alice)
    run = make_run(template, "failed")
    NotificationDelivery.objects.create(rule=rule, run=run, event="failure", channel="email",
                                        target="noc@example.com", subject="s", body="b", status="failed",
                                        attempts=3, last_error="connection refused")
    client = client_for(bob)  # the template is global: bob may change its rules too, as in the API
    page = client.get(f"/notifications/{rule.pk}/edit").content.decode()
    assert 'value="noc@example.com"' in page and "connection refused" in page and f"/runs/{run.pk}/" in page
    assert "✕</span> failed" in page  # status as text
    response = client.post(f"/notifications/{rule.pk}/edit", rule_post(template, target="ops@example.com"))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.target == "ops@example.com" and rule.owner == alice
    entry = AuditEntry.objects.get(object_type="notification_rule", action="update")
    assert entry.after == {"target": "ops@example.com"} and entry.actor == bob


def test_toggling_disables_then_enables_a_rule_and_is_audited_as_a_toggle(alice, client_for):
    rule = make_rule(make_template("t", owner=alice), owner=alice)
    client = client_for(alice)
    client.post(f"/notifications/{rule.pk}/toggle")
    rule.refresh_from_db()
    assert not rule.is_active
    assert "disabled" in client.get("/notifications/").content.decode()
    client.post(f"/notifications/{rule.pk}/toggle")
    rule.refresh_from_db()
    assert rule.is_active
    entries = AuditEntry.objects.filter(object_type="notification_rule", action="toggle").order_by("id")
    assert [e.after for e in entries] == [{"is_active": False}, {"is_active": True}]
    assert client.get(f"/notifications/{rule.pk}/toggle").status_code == 405


def test_deleting_a_rule_keeps_its_deliveries(alice, client_for):
    template = make_template("t", owner=alice)
    rule = make_rule(template, owner=alice)
    delivery = NotificationDelivery.objects.create(rule=rule, event="failure", channel="email", target="x@y.z",
                                                   subject="s", body="b", status="sent")
    client = client_for(alice)
    assert "Delete notification rule “noc”?" in client.get(f"/notifications/{rule.pk}/delete").content.decode()
    assert client.post(f"/notifications/{rule.pk}/delete").status_code == 302
    assert not NotificationRule.objects.exists() and NotificationDelivery.objects.filter(pk=delivery.pk).exists()
    assert AuditEntry.objects.filter(object_type="notification_rule", action="delete", via="ui").exists()


def test_the_list_runs_the_same_number_of_queries_for_2_and_20_rules(alice, client_for):
    client = client_for(alice)

    def add(i):
        template = make_template(f"t{i}", owner=alice)
        rule = make_rule(template, owner=alice, name=f"r{i}")
        NotificationDelivery.objects.create(rule=rule, run=make_run(template, "failed"), event="failure",
                                            channel="email", target="x@y.z", subject="s", body="b", status="sent")

    for i in range(2):
        add(i)
    few = queries_for(client, "/notifications/")
    for i in range(2, 20):
        add(i)
    assert queries_for(client, "/notifications/") == few
