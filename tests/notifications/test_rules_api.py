"""CRUD of /api/notification-rules: visibility follows the template or schedule; validation names the field."""

from __future__ import annotations

import pytest

from netcron.notifications.models import NotificationRule
from tests.factories import make_schedule, make_template

pytestmark = pytest.mark.django_db


def email_rule(template_id: int | None, **extra) -> dict:
    return {"name": "noc", "template_id": template_id, "events": ["failure"], "channel": "email",
            "target": "noc@example.com", **extra}


def test_an_operator_manages_the_rules_of_a_template(api_as, alice):
    template = make_template("t", owner=alice)
    client = api_as(alice)
    made = client.post("/api/notification-rules", json=email_rule(template.pk, events=["failure", "success"]))
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["template"], body["events"], body["owner"]) == ("t", ["failure", "success"], "alice")
    pk = body["id"]
    assert client.get("/api/notification-rules", template_id=template.pk).json()["count"] == 1
    changed = client.put(f"/api/notification-rules/{pk}", json=email_rule(template.pk, target="ops@example.com"))
    assert changed.json()["target"] == "ops@example.com" and changed.json()["events"] == ["failure"]
    assert client.delete(f"/api/notification-rules/{pk}").status_code == 204
    assert not NotificationRule.objects.exists()


def test_rules_of_a_private_template_are_invisible_to_other_users(api_as, alice, bob):
    private = make_template("mine", owner=alice, is_global=False)
    pk = api_as(alice).post("/api/notification-rules", json=email_rule(private.pk)).json()["id"]
    client = api_as(bob)
    assert client.get("/api/notification-rules").json()["count"] == 0
    assert client.get(f"/api/notification-rules/{pk}").status_code == 404
    assert client.put(f"/api/notification-rules/{pk}", json=email_rule(private.pk)).status_code == 404
    assert client.delete(f"/api/notification-rules/{pk}").status_code == 404
    assert client.post("/api/notification-rules", json=email_rule(private.pk)).status_code == 422


def test_rules_of_a_global_template_are_shared_like_the_template(api_as, alice, bob):
    template = make_template("shared", owner=alice)
    pk = api_as(alice).post("/api/notification-rules", json=email_rule(template.pk)).json()["id"]
    assert api_as(bob).put(f"/api/notification-rules/{pk}", json=email_rule(template.pk, name="bob's")
                           ).status_code == 200


def test_a_viewer_reads_rules_but_cannot_change_them(api_as, alice, viewer):
    template = make_template("t", owner=alice)
    pk = api_as(alice).post("/api/notification-rules", json=email_rule(template.pk)).json()["id"]
    client = api_as(viewer)
    assert client.get(f"/api/notification-rules/{pk}").status_code == 200
    assert client.put(f"/api/notification-rules/{pk}", json=email_rule(template.pk)).status_code == 403
    assert client.post("/api/notification-rules", json=email_rule(template.pk)).status_code == 403


def test_a_user_without_job_permissions_is_refused(api_as, charlie):
    assert api_as(charlie).get("/api/notification-rules").status_code == 403


def test_a_rule_for_every_run_is_for_superusers_only(api_as, alice, admin):
    refused = api_as(alice).post("/api/notification-rules", json=email_rule(None))
    assert refused.status_code == 422 and refused.json()["detail"].startswith("template_id:")
    assert api_as(admin).post("/api/notification-rules", json=email_rule(None)).status_code == 201
    assert api_as(alice).get("/api/notification-rules").json()["count"] == 0


def test_a_rule_may_name_a_schedule_of_the_template(api_as, alice):
    template, other = make_template("t", owner=alice), make_template("other", owner=alice)
    schedule = make_schedule(other, "s", owner=alice)
    client = api_as(alice)
    ok = client.post("/api/notification-rules", json=email_rule(None, schedule_id=schedule.pk))
    assert ok.status_code == 201 and ok.json()["schedule"] == "s"
    mismatch = client.post("/api/notification-rules", json=email_rule(template.pk, schedule_id=schedule.pk))
    assert mismatch.status_code == 422 and mismatch.json()["detail"].startswith("schedule_id:")


@pytest.mark.parametrize(("change", "field"), [
    ({"target": "noc@example.com, not-an-address"}, "target"),
    ({"channel": "webhook", "target": "ftp://example.com/hook"}, "target"),
    ({"channel": "webhook", "target": "https://example.com/hook"}, "credential_id"),
    ({"channel": "sms"}, "channel"),
    ({"events": []}, "events"),
    ({"events": ["sometimes"]}, "events"),
    ({"template_id": 424242}, "template_id"),
    ({"credential_id": 424242}, "credential_id"),
])
def test_an_invalid_rule_is_rejected_with_422_naming_the_field(api_as, alice, change, field):
    template = make_template("t", owner=alice)
    response = api_as(alice).post("/api/notification-rules", json={**email_rule(template.pk), **change})
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail.startswith(f"{field}:") if isinstance(detail, str) else field in {d["loc"][2] for d in detail}
    assert not NotificationRule.objects.exists()


def test_a_webhook_rule_needs_a_credential_with_a_token(api_as, alice, hook_credential):
    from netcron.inventory.models import Credential

    template = make_template("t", owner=alice)
    no_token = Credential.objects.create(name="plain")
    body = email_rule(template.pk, channel="webhook", target="https://example.com/hook")
    client = api_as(alice)
    assert client.post("/api/notification-rules", json={**body, "credential_id": no_token.pk}).status_code == 422
    made = client.post("/api/notification-rules", json={**body, "credential_id": hook_credential.pk})
    assert made.status_code == 201 and made.json()["credential_id"] == hook_credential.pk
