"""Token and session authentication, permissions, and global vs private visibility."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from netcron.accounts.models import ApiToken
from netcron.jobs.models import JobTemplate
from tests.api.conftest import make_device, make_run, make_schedule, make_template

pytestmark = pytest.mark.django_db

CSRF = "a" * 32  # a valid (unmasked) CSRF secret: alphanumeric, 32 characters


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def session_client(user, enforce_csrf: bool = True) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    assert client.login(username=user.username, password=f"{user.username}-password-123")
    return client


# --- authentication ------------------------------------------------------------------------------

def test_a_bearer_token_authenticates_and_records_its_use(alice):
    token, raw = ApiToken.issue(alice)
    assert Client().get("/api/devices", headers=bearer(raw)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_anonymous_requests_get_401_with_a_json_detail():
    client = Client()
    for response in (client.get("/api/devices"), client.get("/api/job-runs"),
                     client.post("/api/tags", data={"name": "x"}, content_type="application/json")):
        assert response.status_code == 401
        assert "Bearer" in response.json()["detail"]


def test_an_anonymous_post_is_401_even_when_csrf_is_enforced():
    response = Client(enforce_csrf_checks=True).post("/api/tags", data={"name": "x"},
                                                     content_type="application/json")
    assert response.status_code == 401


def test_a_revoked_token_is_refused(alice):
    token, raw = ApiToken.issue(alice)
    token.revoke()
    assert Client().get("/api/devices", headers=bearer(raw)).status_code == 401
    response = Client(enforce_csrf_checks=True).post("/api/tags", data={"name": "x"},
                                                     content_type="application/json", headers=bearer(raw))
    assert response.status_code == 401


def test_an_expired_token_is_refused(alice):
    _, raw = ApiToken.issue(alice, expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get("/api/devices", headers=bearer(raw)).status_code == 401


def test_a_token_that_has_not_expired_yet_works(alice):
    _, raw = ApiToken.issue(alice, expires_at=timezone.now() + timedelta(hours=1))
    assert Client().get("/api/devices", headers=bearer(raw)).status_code == 200


def test_the_token_of_a_deactivated_user_is_refused(alice):
    _, raw = ApiToken.issue(alice)
    alice.is_active = False
    alice.save()
    assert Client().get("/api/devices", headers=bearer(raw)).status_code == 401


@pytest.mark.parametrize("header", ["Bearer nc_made-up", "Bearer ", "Basic YWxpY2U6cHc=", "nc_token"])
def test_a_malformed_or_unknown_token_is_refused(db, header):
    assert Client().get("/api/devices", headers={"Authorization": header}).status_code == 401


def test_a_token_needs_no_csrf_token_for_writes(alice):
    _, raw = ApiToken.issue(alice)
    response = Client(enforce_csrf_checks=True).post("/api/tags", data={"name": "core"},
                                                     content_type="application/json", headers=bearer(raw))
    assert response.status_code == 201


def test_a_logged_in_session_can_read(alice):
    make_device("r1")
    response = session_client(alice).get("/api/devices")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_session_post_without_a_csrf_token_is_refused(alice):
    response = session_client(alice).post("/api/tags", data={"name": "core"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_session_post_with_the_csrf_token_is_accepted(alice):
    client = session_client(alice)
    client.cookies["csrftoken"] = CSRF
    response = client.post("/api/tags", data={"name": "core"}, content_type="application/json",
                           headers={"X-CSRFToken": CSRF})
    assert response.status_code == 201, response.content


# --- permissions ---------------------------------------------------------------------------------

def test_another_operator_may_change_a_global_template(alice, bob, api_as):
    template = make_template("t1", owner=alice)
    response = api_as(bob).put(f"/api/job-templates/{template.pk}", json={"name": "t1", "job_type": "noop",
                                                                          "description": "by bob"})
    assert response.status_code == 200
    assert response.json()["owner"] == "alice" and response.json()["description"] == "by bob"


# --- private templates, schedules and runs -------------------------------------------------------

@pytest.fixture
def alices_private(alice, api_as, published):
    """A private template created by alice through the API, with a private schedule and a failed run."""
    created = api_as(alice).post("/api/job-templates", json={"name": "alice-only", "job_type": "noop",
                                                             "is_global": False, "targets": {"all": True}})
    assert created.status_code == 201, created.content
    template = JobTemplate.objects.get(pk=created.json()["id"])
    schedule = make_schedule(template, name="alice-nightly", owner=alice, is_global=False)
    run = make_run(template, "failed", results={make_device("r1"): "failed"})
    make_template("everyone")
    return template, schedule, run


def test_alices_private_template_is_hers(alice, api_as, alices_private):
    template, schedule, run = alices_private
    assert template.owner == alice and template.is_global is False
    assert run.is_global is False and run.owner == alice
    api = api_as(alice)
    assert {t["name"] for t in api.get("/api/job-templates").json()["items"]} == {"alice-only", "everyone"}
    assert api.get(f"/api/job-templates/{template.pk}").status_code == 200
    assert api.get(f"/api/job-schedules/{schedule.pk}").status_code == 200
    assert api.get(f"/api/job-runs/{run.pk}").status_code == 200


def test_bobs_lists_and_lookups_hide_alices_private_objects(bob, api_as, alices_private):
    """Each operation's 404 is in test_authorization_matrix; here: lists leave them out, nothing is deleted."""
    template, _, _ = alices_private
    api = api_as(bob)
    response = api.delete(f"/api/job-templates/{template.pk}")
    assert response.status_code == 404 and response.json()["detail"] == f"template {template.pk} not found"
    assert JobTemplate.objects.filter(pk=template.pk).exists()
    assert [t["name"] for t in api.get("/api/job-templates").json()["items"]] == ["everyone"]
    assert api.get("/api/job-schedules").json()["count"] == 0
    assert api.get("/api/job-runs").json()["count"] == 0
    assert api.get("/api/job-runs/recent").json() == []
    assert api.get("/api/job-runs/templates").json() == []


def test_the_superuser_sees_and_manages_everything(admin, api_as, alices_private, published):
    template, schedule, run = alices_private
    api = api_as(admin)
    assert {t["name"] for t in api.get("/api/job-templates").json()["items"]} == {"alice-only", "everyone"}
    assert api.get("/api/job-schedules").json()["count"] == 1
    assert api.get("/api/job-runs").json()["count"] == 1
    assert api.get(f"/api/job-runs/{run.pk}").status_code == 200
    with published():
        retried = api.post(f"/api/job-runs/{run.pk}/retry")
    assert retried.status_code == 201
    assert api.post(f"/api/job-schedules/{schedule.pk}/toggle").json()["is_active"] is False
    assert api.put(f"/api/job-templates/{template.pk}", json={"name": "alice-only", "job_type": "noop",
                                                             "is_global": False}).json()["owner"] == "alice"
    assert api.delete(f"/api/job-schedules/{schedule.pk}").status_code == 204
    assert api.delete(f"/api/job-templates/{template.pk}").status_code == 204
