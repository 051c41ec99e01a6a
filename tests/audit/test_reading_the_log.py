"""GET /api/audit and the audit page: who may read, filters, pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netcron.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(api_as, alice, bob):
    """alice creates two tags and renames one; bob creates a location."""
    client = api_as(alice)
    edge = client.post("/api/tags", json={"name": "edge"}).json()["id"]
    client.post("/api/tags", json={"name": "core"})
    client.put(f"/api/tags/{edge}", json={"name": "edge-2"})
    api_as(bob).post("/api/locations", json={"name": "Berlin"})
    return {"edge": edge}


def test_an_operator_cannot_read_the_audit_log(api_as, alice, history):
    assert api_as(alice).get("/api/audit").status_code == 403


def test_an_auditor_reads_every_entry_newest_first(api_as, auditor, history):
    body = api_as(auditor).get("/api/audit").json()
    assert body["count"] == 4
    assert [(e["actor"], e["action"], e["object_type"]) for e in body["items"]] == [
        ("bob", "create", "location"), ("alice", "update", "tag"), ("alice", "create", "tag"),
        ("alice", "create", "tag")]
    assert body["items"][1]["before"] == {"name": "edge"} and body["items"][1]["after"] == {"name": "edge-2"}


def test_a_superuser_reads_the_audit_log(api_as, admin, history):
    assert api_as(admin).get("/api/audit").json()["count"] == 4


@pytest.mark.parametrize(("params", "count"), [
    ({"actor": "alice"}, 3),
    ({"actor": "alice,bob"}, 4),
    ({"action": "update"}, 1),
    ({"object_type": "location"}, 1),
    ({"object_type": "tag", "action": "create"}, 2),
    ({"actor": "nobody"}, 0),
])
def test_entries_can_be_filtered(api_as, auditor, history, params, count):
    assert api_as(auditor).get("/api/audit", **params).json()["count"] == count


def test_entries_of_one_object_can_be_listed(api_as, auditor, history):
    body = api_as(auditor).get("/api/audit", object_type="tag", object_id=str(history["edge"])).json()
    assert [e["action"] for e in body["items"]] == ["update", "create"]


def test_entries_can_be_filtered_by_time(api_as, auditor, history):
    AuditEntry.objects.create(via="system", action="create", object_type="tag", ts=timezone.now() - timedelta(days=3))
    client = api_as(auditor)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert client.get("/api/audit", since=since).json()["count"] == 4
    assert client.get("/api/audit", until=since).json()["count"] == 1
    assert client.get("/api/audit", since=since, until=since).status_code == 422


def test_the_log_is_paginated(api_as, auditor, history):
    body = api_as(auditor).get("/api/audit", page_size=3, page=2).json()
    assert (body["count"], body["page"], len(body["items"])) == (4, 2, 1)
    assert api_as(auditor).get("/api/audit", page_size=0).status_code == 422


def test_one_entry_can_be_read_by_id(api_as, auditor, history):
    entry = AuditEntry.objects.filter(action="update").get()
    body = api_as(auditor).get(f"/api/audit/{entry.pk}").json()
    assert (body["id"], body["actor"], body["via"]) == (entry.pk, "alice", "api")
    assert api_as(auditor).get("/api/audit/999999").status_code == 404


def test_the_audit_page_lists_entries_for_an_auditor(client, auditor, history):
    client.force_login(auditor)
    response = client.get("/audit/", {"actor": "alice", "action": "update"})
    assert response.status_code == 200
    assert b"edge-2" in response.content and b"Berlin" not in response.content


def test_the_audit_page_is_refused_to_an_operator_and_asks_anonymous_visitors_to_log_in(client, alice, history):
    assert client.get("/audit/").status_code == 302
    client.force_login(alice)
    assert client.get("/audit/").status_code == 403
