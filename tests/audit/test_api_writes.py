"""Every write through the API leaves an audit entry: who, what, how it looked before and after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netcron.audit.models import AuditEntry
from netcron.inventory.models import Tag
from netcron.jobs.models import JobSchedule
from tests.api.conftest import make_device, make_run
from tests.factories import make_schedule, make_template

pytestmark = pytest.mark.django_db


def scope(alice) -> dict:
    """Objects the payloads refer to, made before the tests look at the log."""
    Tag.objects.create(name="core")
    template = make_template("base", owner=alice)
    return {"template": template.pk}


# (url, object type, create body, update body, field the update changes)
RESOURCES = [
    ("/api/devices", "device", lambda s: {"name": "r1", "host": "192.0.2.1", "platform": "cisco_ios", "tags": ["core"]},
     lambda s: {"name": "r1", "host": "192.0.2.9", "platform": "cisco_ios", "tags": ["core"]}, "host"),
    ("/api/locations", "location", lambda s: {"name": "Berlin"},
     lambda s: {"name": "Berlin", "description": "HQ"}, "description"),
    ("/api/tags", "tag", lambda s: {"name": "edge"}, lambda s: {"name": "edge", "color": "#ff0000"}, "color"),
    ("/api/credentials", "credential", lambda s: {"name": "lab", "username": "netops"},
     lambda s: {"name": "lab", "username": "admin"}, "username"),
    ("/api/job-templates", "template", lambda s: {"name": "backup", "job_type": "noop"},
     lambda s: {"name": "backup", "job_type": "noop", "description": "nightly"}, "description"),
    ("/api/job-schedules", "schedule",
     lambda s: {"name": "nightly", "template_id": s["template"], "kind": "cron", "cron_expr": "0 3 * * *"},
     lambda s: {"name": "nightly", "template_id": s["template"], "kind": "cron", "cron_expr": "0 4 * * *"},
     "cron_expr"),
    ("/api/notification-rules", "notification_rule",
     lambda s: {"name": "noc", "template_id": s["template"], "events": ["failure"], "channel": "email",
                "target": "noc@example.com"},
     lambda s: {"name": "noc", "template_id": s["template"], "events": ["failure"], "channel": "email",
                "target": "ops@example.com"}, "target"),
]
IDS = [r[1] for r in RESOURCES]


@pytest.mark.parametrize(("url", "object_type", "create", "update", "field"), RESOURCES, ids=IDS)
def test_create_update_and_delete_are_each_recorded_with_who_and_what(api_as, alice, url, object_type, create,
                                                                      update, field):
    values = scope(alice)
    client = api_as(alice)
    made = client.post(url, json=create(values))
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert client.put(f"{url}/{pk}", json=update(values)).status_code == 200
    assert client.delete(f"{url}/{pk}").status_code == 204

    entries = list(AuditEntry.objects.filter(object_type=object_type, object_id=str(pk)).order_by("id"))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert {(e.actor_name, e.via, e.remote_addr) for e in entries} == {("alice", "api", "127.0.0.1")}
    created, updated, deleted = entries
    assert created.before is None and created.after["name"] == create(values)["name"]
    assert set(updated.before) == set(updated.after) == {field}
    assert updated.after[field] == update(values)[field] != updated.before[field]
    assert deleted.after is None and deleted.before["name"] == create(values)["name"]


def test_a_device_created_with_tags_is_one_entry_that_lists_them(api_as, alice):
    scope(alice)
    pk = api_as(alice).post("/api/devices", json={"name": "r1", "host": "192.0.2.1", "platform": "cisco_ios",
                                                  "tags": ["core"]}).json()["id"]
    [entry] = AuditEntry.objects.filter(object_type="device", object_id=str(pk))
    assert entry.action == "create" and entry.after["tags"] == ["core"]


def test_running_a_template_is_recorded_with_the_run(api_as, alice):
    template = make_template("t", owner=alice)
    run_id = api_as(alice).post(f"/api/job-templates/{template.pk}/run").json()["run_id"]
    entry = AuditEntry.objects.get(action="run")
    assert (entry.object_type, entry.object_id, entry.actor_name) == ("template", str(template.pk), "alice")
    assert entry.details["run_id"] == run_id


def test_executing_and_toggling_a_schedule_are_recorded(api_as, alice):
    template = make_template("t", owner=alice)
    client = api_as(alice)
    schedule_id = client.post("/api/job-schedules", json={"name": "s", "template_id": template.pk, "kind": "cron",
                                                          "cron_expr": "0 3 * * *"}).json()["id"]
    run_id = client.post(f"/api/job-schedules/{schedule_id}/execute").json()["run_id"]
    assert client.post(f"/api/job-schedules/{schedule_id}/toggle").status_code == 200
    execute = AuditEntry.objects.get(action="execute")
    assert (execute.object_type, execute.object_id, execute.details["run_id"]) == ("schedule", str(schedule_id),
                                                                                  run_id)
    toggle = AuditEntry.objects.get(action="toggle")
    assert (toggle.before, toggle.after) == ({"is_active": True}, {"is_active": False})
    assert not AuditEntry.objects.filter(object_type="schedule", action="update").exists()


def test_cancelling_a_run_is_recorded(api_as, alice):
    run = make_run(make_template("t", owner=alice), "pending")
    assert api_as(alice).post(f"/api/job-runs/{run.pk}/cancel").status_code == 200
    entry = AuditEntry.objects.get(action="cancel")
    assert (entry.object_type, entry.object_id, entry.details) == ("run", str(run.pk), {"was": "pending"})


def test_retrying_a_runs_failed_devices_is_recorded(api_as, alice):
    run = make_run(make_template("t", owner=alice), "completed", results={make_device("r1"): "failed"})
    retry = api_as(alice).post(f"/api/job-runs/{run.pk}/retry").json()
    entry = AuditEntry.objects.get(action="retry")
    assert (entry.object_type, entry.object_id) == ("run", str(run.pk))
    assert entry.details == {"run_id": retry["run_id"], "devices": 1}


def test_a_refused_write_leaves_no_entry(api_as, alice, viewer):
    template = make_template("t", owner=alice)
    before = AuditEntry.objects.count()
    assert api_as(viewer).put(f"/api/job-templates/{template.pk}", json={"name": "x", "job_type": "noop"}
                              ).status_code == 403
    assert api_as(alice).post("/api/tags", json={"name": ""}).status_code == 422
    assert AuditEntry.objects.count() == before


def test_a_save_that_changes_nothing_adds_no_entry(api_as, alice):
    client = api_as(alice)
    pk = client.post("/api/tags", json={"name": "edge"}).json()["id"]
    client.put(f"/api/tags/{pk}", json={"name": "edge"})
    assert list(AuditEntry.objects.filter(object_type="tag").values_list("action", flat=True)) == ["create"]


def test_a_scheduler_tick_advancing_schedules_adds_no_entry(alice):
    from netcron.jobs.scheduler import tick

    schedule = make_schedule(make_template("t", owner=alice), "s", cron_expr="* * * * *")
    JobSchedule.objects.filter(pk=schedule.pk).update(next_fire_at=timezone.now() - timedelta(seconds=5))
    before = AuditEntry.objects.count()
    assert len(tick()) == 1
    assert AuditEntry.objects.count() == before


def test_deleting_a_finished_run_is_recorded(api_as, alice):
    run = make_run(make_template("t", owner=alice), "completed")
    assert api_as(alice).delete(f"/api/job-runs/{run.pk}").status_code == 204
    entry = AuditEntry.objects.get(object_type="run", action="delete")
    assert (entry.object_id, entry.before) == (str(run.pk), {"job_name": "t", "status": "completed"})
