"""GET/PUT /api/settings: who may read and change, validation errors that name the field, the audit trail."""

from __future__ import annotations

import pytest

from netcron.audit.models import AuditEntry
from netcron.system.models import SystemSettings

pytestmark = pytest.mark.django_db


def error_fields(response) -> list[str]:
    return [e["loc"][-1] for e in response.json()["detail"]]


def test_an_operator_reads_the_settings_in_force_with_their_defaults(api_as, alice, settings):
    response = api_as(alice).get("/api/settings")
    assert response.status_code == 200
    body = response.json()
    assert body["values"]["lease_seconds"] == settings.NETCRON_LEASE_SECONDS
    assert body["values"]["runs_retention_days"] == 90
    assert body["overridden"] == []
    assert body["defaults"]["republish_after_seconds"] == settings.NETCRON_REPUBLISH_AFTER_SECONDS


def test_a_user_without_jobs_read_cannot_read_the_settings(api_as, charlie):
    assert api_as(charlie).get("/api/settings").status_code == 403


def test_an_anonymous_caller_must_authenticate(api_as):
    assert api_as(None).get("/api/settings").status_code == 401


def test_an_operator_cannot_change_the_settings(api_as, alice):
    response = api_as(alice).put("/api/settings", json={"lease_seconds": 30})
    assert response.status_code == 403
    assert response.json() == {"detail": "permission system:change_settings required"}
    assert SystemSettings.load().values == {}


def test_a_superuser_changes_one_setting_and_only_that_one_is_stored(api_as, admin):
    response = api_as(admin).put("/api/settings", json={"lease_seconds": 30, "default_timezone": "Europe/Berlin"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["values"]["lease_seconds"] == 30
    assert body["overridden"] == ["default_timezone", "lease_seconds"]
    assert body["updated_by"] == "root"
    assert SystemSettings.load().values == {"lease_seconds": 30, "default_timezone": "Europe/Berlin"}


def test_a_user_with_the_change_settings_permission_may_change_them(api_as, settings_admin):
    response = api_as(settings_admin).put("/api/settings", json={"notify_email_recipients": ["noc@example.com"]})
    assert response.status_code == 200
    assert response.json()["values"]["notify_email_recipients"] == ["noc@example.com"]


def test_null_resets_a_setting_to_its_default(api_as, admin, settings):
    client = api_as(admin)
    client.put("/api/settings", json={"lease_seconds": 30, "logs_retention_days": 7})
    body = client.put("/api/settings", json={"lease_seconds": None}).json()
    assert body["values"]["lease_seconds"] == settings.NETCRON_LEASE_SECONDS
    assert body["overridden"] == ["logs_retention_days"]


@pytest.mark.parametrize(("body", "field"), [
    ({"lease_seconds": 1}, "lease_seconds"),
    ({"lease_seconds": "soon"}, "lease_seconds"),
    ({"runs_retention_days": 0}, "runs_retention_days"),
    ({"default_parallelism": 100000}, "default_parallelism"),
    ({"ssh_connect_timeout": -1}, "ssh_connect_timeout"),
    ({"default_timezone": "Mars/Olympus"}, "default_timezone"),
    ({"notify_email_recipients": ["not an address"]}, "notify_email_recipients"),
    ({"notify_webhook_url": "ftp://example.com/hook"}, "notify_webhook_url"),
    ({"audit_retention_days": 5}, "audit_retention_days"),
    ({"lease_secs": 30}, "lease_secs"),
])
def test_an_invalid_value_is_rejected_with_422_naming_the_field(api_as, admin, body, field):
    response = api_as(admin).put("/api/settings", json=body)
    assert response.status_code == 422, response.content
    assert field in error_fields(response)
    assert SystemSettings.load().values == {}


def test_a_body_that_is_not_an_object_is_422(api_as, admin):
    assert api_as(admin).put("/api/settings", json=[1, 2]).status_code == 422


def test_a_change_is_audited_with_the_values_before_and_after(api_as, admin, settings):
    api_as(admin).put("/api/settings", json={"lease_seconds": 30, "runs_retention_days": 90})
    entry = AuditEntry.objects.get(object_type="settings")
    assert (entry.action, entry.actor_name, entry.via) == ("update", "root", "api")
    # runs_retention_days was set to its default value: nothing in force changed, so it is not listed.
    assert entry.before == {"lease_seconds": settings.NETCRON_LEASE_SECONDS}
    assert entry.after == {"lease_seconds": 30}


def test_the_django_admin_edits_the_stored_values_with_the_same_validation(client, admin):
    client.force_login(admin)
    url = "/admin/system/systemsettings/1/change/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"values": '{"lease_seconds": 1}'})
    assert refused.status_code == 200 and b"lease_seconds" in refused.content
    assert SystemSettings.load().values == {}
    saved = client.post(url, {"values": '{"lease_seconds": 45}'})
    assert saved.status_code == 302
    assert SystemSettings.load().values == {"lease_seconds": 45}
    assert AuditEntry.objects.get(object_type="settings").via == "admin"


def test_the_openapi_schema_documents_the_settings_audit_and_rule_endpoints(api_as, alice):
    schema = api_as(alice).get("/api/openapi.json").json()
    assert {"/api/settings", "/api/audit", "/api/audit/{entry_id}", "/api/notification-rules",
            "/api/notification-rules/{rule_id}"} <= set(schema["paths"])
    lease = schema["components"]["schemas"]["SettingsIn"]["properties"]["lease_seconds"]
    assert "heartbeat" in lease["description"]
