"""Secrets never reach the audit log, and the log can only grow."""

from __future__ import annotations

import json

import pytest

from netcron.audit.models import AuditEntry, AuditImmutable
from netcron.inventory.models import Credential

pytestmark = pytest.mark.django_db

PASSWORD, TOKEN, NEW_PASSWORD = "canary-pw-7f3a", "canary-token-19bd", "canary-pw-new-22c1"


def stored_text() -> str:
    return json.dumps(list(AuditEntry.objects.values()), default=str)


def test_creating_a_credential_shows_which_secrets_were_set_but_never_their_values(api_as, alice):
    response = api_as(alice).post("/api/credentials", json={"name": "lab", "username": "netops",
                                                            "password": PASSWORD, "token": TOKEN})
    credential = Credential.objects.get(pk=response.json()["id"])
    entry = AuditEntry.objects.get(object_type="credential", action="create")
    assert entry.after["password"] == entry.after["token"] == "***changed***"
    assert entry.after["enable_secret"] == ""
    assert "secrets_sealed" not in entry.after
    text = stored_text()
    assert PASSWORD not in text and TOKEN not in text and credential.secrets_sealed not in text


def test_changing_a_password_records_only_that_it_changed(api_as, alice):
    client = api_as(alice)
    pk = client.post("/api/credentials", json={"name": "lab", "username": "netops", "password": PASSWORD}
                     ).json()["id"]
    client.put(f"/api/credentials/{pk}", json={"name": "lab", "username": "netops", "password": NEW_PASSWORD})
    entry = AuditEntry.objects.get(object_type="credential", action="update")
    assert (entry.before, entry.after) == ({"password": "***"}, {"password": "***changed***"})
    assert NEW_PASSWORD not in stored_text() and PASSWORD not in stored_text()


def test_saving_a_credential_with_the_same_secret_records_no_change(api_as, alice):
    client = api_as(alice)
    pk = client.post("/api/credentials", json={"name": "lab", "password": PASSWORD}).json()["id"]
    client.put(f"/api/credentials/{pk}", json={"name": "lab", "password": PASSWORD})  # re-sealed, same value
    assert not AuditEntry.objects.filter(object_type="credential", action="update").exists()


def test_clearing_a_secret_shows_it_as_removed(api_as, alice):
    client = api_as(alice)
    pk = client.post("/api/credentials", json={"name": "lab", "password": PASSWORD}).json()["id"]
    client.put(f"/api/credentials/{pk}", json={"name": "lab", "password": ""})
    entry = AuditEntry.objects.get(object_type="credential", action="update")
    assert (entry.before, entry.after) == ({"password": "***"}, {"password": ""})


def test_deleting_a_credential_shows_which_secrets_it_had(api_as, alice):
    client = api_as(alice)
    pk = client.post("/api/credentials", json={"name": "lab", "password": PASSWORD}).json()["id"]
    client.delete(f"/api/credentials/{pk}")
    entry = AuditEntry.objects.get(object_type="credential", action="delete")
    assert entry.before["password"] == "***" and PASSWORD not in stored_text()


def test_secret_looking_keys_inside_json_fields_are_masked(api_as, alice):
    api_as(alice).post("/api/devices", json={"name": "r1", "host": "192.0.2.1", "platform": "linux",
                                             "custom_fields": {"rack": "A1", "snmp_community": "canary-c0mm"}})
    entry = AuditEntry.objects.get(object_type="device")
    assert entry.after["custom_fields"] == {"rack": "A1", "snmp_community": "***"}
    assert "canary-c0mm" not in stored_text()


def test_an_entry_cannot_be_changed_or_deleted(api_as, alice):
    api_as(alice).post("/api/tags", json={"name": "edge"})
    entry = AuditEntry.objects.get(object_type="tag")
    entry.action = "delete"
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(action="delete")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


def test_the_api_offers_no_way_to_change_or_delete_entries(api_as, admin):
    api_as(admin).post("/api/tags", json={"name": "edge"})
    entry = AuditEntry.objects.get(object_type="tag")
    client = api_as(admin)
    assert client.delete(f"/api/audit/{entry.pk}").status_code in (404, 405)
    assert client.put(f"/api/audit/{entry.pk}", json={"action": "x"}).status_code in (404, 405)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_admin_shows_entries_but_cannot_add_change_or_delete_them(client, admin, api_as):
    api_as(admin).post("/api/tags", json={"name": "edge"})
    entry = AuditEntry.objects.get(object_type="tag")
    client.force_login(admin)
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200  # read-only view
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"action": "x"}).status_code == 403
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"
