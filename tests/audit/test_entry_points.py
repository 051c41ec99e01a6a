"""Writes are attributed to the right person whichever way they arrive: UI, admin, CLI, a run, the shell."""

from __future__ import annotations

import pytest

from netcron.audit import acting
from netcron.audit.models import AuditEntry
from netcron.inventory.models import Tag
from tests.api.conftest import make_run
from tests.factories import make_schedule, make_template

pytestmark = pytest.mark.django_db


def test_toggling_and_running_a_schedule_in_the_ui_are_recorded_as_the_logged_in_user(client, alice):
    schedule = make_schedule(make_template("t", owner=alice), "s", owner=alice)
    client.force_login(alice)
    assert client.post(f"/schedules/{schedule.pk}/toggle").status_code == 302
    assert client.post(f"/schedules/{schedule.pk}/run").status_code == 302
    toggle, execute = AuditEntry.objects.get(action="toggle"), AuditEntry.objects.get(action="execute")
    assert (toggle.actor_name, toggle.via, toggle.after) == ("alice", "ui", {"is_active": False})
    assert (execute.actor_name, execute.via, execute.object_id) == ("alice", "ui", str(schedule.pk))


def test_deleting_a_template_in_the_ui_is_recorded(client, alice):
    template = make_template("t", owner=alice)
    client.force_login(alice)
    assert client.post(f"/templates/{template.pk}/delete").status_code == 302
    entry = AuditEntry.objects.get(action="delete")
    assert (entry.object_type, entry.actor_name, entry.via, entry.before["name"]) == ("template", "alice", "ui", "t")


def test_cancelling_a_run_in_the_ui_is_recorded(client, alice):
    run = make_run(make_template("t", owner=alice), "running")
    client.force_login(alice)
    client.post(f"/runs/{run.pk}/cancel")
    entry = AuditEntry.objects.get(action="cancel")
    assert (entry.actor_name, entry.via, entry.details) == ("alice", "ui", {"was": "running"})


def test_a_change_in_the_django_admin_is_recorded_as_the_admin_user(client, admin):
    tag = Tag.objects.create(name="edge")
    client.force_login(admin)
    response = client.post(f"/admin/inventory/tag/{tag.pk}/change/", {"name": "edge", "color": "#00ff00",
                                                                        "description": ""})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="tag", action="update")
    assert (entry.actor_name, entry.via, entry.after) == ("root", "admin", {"color": "#00ff00"})


def test_a_cli_command_is_recorded_as_the_admin_user_it_acts_as(admin, capsys):
    from netcron.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["device", "add", "r9", "127.0.1.9", "--platform", "linux"])
    assert exited.value.code in (0, None)
    entry = AuditEntry.objects.get(object_type="device", action="create")
    assert (entry.actor_name, entry.via, entry.object_repr) == ("root", "cli", "r9")


def test_inventory_a_run_changes_is_recorded_as_done_by_that_run(db):
    with acting(via="run", run_id=1234):  # what the runner sets around an executor
        Tag.objects.create(name="discovered")
    entry = AuditEntry.objects.get(object_type="tag")
    assert (entry.actor, entry.via, entry.details) == (None, "run", {"by_run": 1234})


def test_a_write_outside_any_request_is_recorded_as_the_system(db):
    Tag.objects.create(name="core")
    entry = AuditEntry.objects.get(object_type="tag")
    assert (entry.actor, entry.actor_name, entry.via) == (None, "", "system")
