"""Schedule pages: list with next fires in two zones, the editor with its live preview, toggle, run, delete."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine

from netcron.jobs.models import JobRun, JobSchedule
from tests.ui.conftest import make_run, make_schedule, make_template, queries_for, utc

pytestmark = pytest.mark.django_db


def schedule_data(template, **overrides) -> dict:
    data = {"name": "nightly", "template": str(template.pk), "kind": "cron", "cron_expr": "30 2 * * *",
            "interval_value": "", "interval_unit": "60", "time_of_day": "", "run_at": "",
            "timezone": "Europe/Berlin", "start_at": "", "end_at": "", "is_active": "on", "scope": "global",
            "credential": "", "param_overrides": "", "misfire_policy": "run_once", "misfire_grace_seconds": "300",
            "overlap_policy": "skip"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@time_machine.travel(utc(2026, 3, 27, 12), tick=False)
def test_the_list_shows_the_next_fire_in_the_schedules_zone_and_for_the_viewer(alice, client_for):
    template = make_template("touch", owner=alice)
    make_schedule(template, "berlin nightly", cron_expr="30 2 * * *", timezone="Europe/Berlin")
    body = client_for(alice).get("/schedules/").content.decode()
    assert "berlin nightly" in body and "<code>30 2 * * *</code>" in body
    assert "2026-03-28 02:30 CET (+01:00)" in body  # the schedule's zone, rendered by the server
    assert 'datetime="2026-03-28T01:30:00+00:00" data-local' in body  # the viewer's zone, by app.js


def test_the_list_filters_by_kind_and_state(alice, client_for):
    template = make_template("touch", owner=alice)
    make_schedule(template, "cron one")
    make_schedule(template, "interval one", kind="interval", interval_seconds=60, cron_expr="", is_active=False)
    client = client_for(alice)
    assert b"cron one" not in client.get("/schedules/?kind=interval").content
    body = client.get("/schedules/?active=no").content
    assert b"interval one" in body and b"cron one" not in body


def test_the_list_runs_the_same_number_of_queries_for_5_and_50_schedules(alice, client_for):
    client = client_for(alice)
    template = make_template("touch", owner=alice)
    for i in range(5):
        make_schedule(template, f"s{i}")
    few = queries_for(client, "/schedules/")
    for i in range(5, 50):
        make_schedule(make_template(f"t{i}"), f"s{i}")
    assert queries_for(client, "/schedules/") == few


@time_machine.travel(utc(2026, 3, 27, 12), tick=False)
def test_creating_a_cron_schedule_computes_its_next_fire_in_its_zone(alice, client_for):
    template = make_template("touch", owner=alice)
    response = client_for(alice).post("/schedules/new", schedule_data(template))
    schedule = JobSchedule.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/schedules/{schedule.pk}/"
    assert schedule.owner == alice and schedule.timezone == "Europe/Berlin"
    assert schedule.next_fire_at == utc(2026, 3, 28, 1, 30)


def test_interval_daily_and_once_schedules_are_created_from_their_own_fields(alice, client_for):
    template = make_template("touch", owner=alice)
    client = client_for(alice)
    client.post("/schedules/new", schedule_data(template, name="i", kind="interval", interval_value="5",
                                                interval_unit="60", cron_expr="ignored"))
    client.post("/schedules/new", schedule_data(template, name="d", kind="daily", time_of_day="02:30"))
    client.post("/schedules/new", schedule_data(template, name="o", kind="once", run_at="2031-05-01T10:00"))
    interval, daily, once = (JobSchedule.objects.get(name=n) for n in "ido")
    assert interval.kind == "interval" and interval.interval_seconds == 300 and interval.cron_expr == ""
    assert daily.kind == "daily" and daily.time_of_day.strftime("%H:%M") == "02:30"
    assert once.run_at == utc(2031, 5, 1, 8)  # 10:00 in Berlin summer time


def test_a_bad_cron_expression_is_explained_next_to_its_field(alice, client_for):
    template = make_template("touch", owner=alice)
    response = client_for(alice).post("/schedules/new", schedule_data(template, cron_expr="61 * * * *"))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_cron_expr_error"' in body and "minute field: 61 is out of range 0-59" in body
    assert not JobSchedule.objects.exists()


def test_other_schedule_errors_land_on_their_fields(alice, client_for):
    template = make_template("touch", owner=alice)
    client = client_for(alice)
    body = client.post("/schedules/new", schedule_data(template, timezone="Mars/Olympus")).content.decode()
    assert 'id="id_timezone_error"' in body and "unknown time zone" in body
    body = client.post("/schedules/new", schedule_data(template, kind="interval")).content.decode()
    assert 'id="id_interval_value_error"' in body
    body = client.post("/schedules/new", schedule_data(template, start_at="2030-01-02T00:00",
                                                       end_at="2030-01-01T00:00")).content.decode()
    assert 'id="id_end_at_error"' in body and "must not be before start_at" in body


def test_param_overrides_are_checked_against_the_templates_type(alice, client_for):
    template = make_template("sleepy", job_type="sleep", owner=alice)
    client = client_for(alice)
    body = client.post("/schedules/new", schedule_data(template, param_overrides="{nope")).content.decode()
    assert 'id="id_param_overrides_error"' in body and "not valid JSON" in body
    body = client.post("/schedules/new", schedule_data(template, param_overrides="[1]")).content.decode()
    assert "must be a JSON object" in body
    body = client.post("/schedules/new", schedule_data(template, param_overrides='{"seconds": -1}')).content.decode()
    assert 'id="id_param_overrides_error"' in body and "seconds: Input should be greater than or equal to 0" in body
    body = client.post("/schedules/new", schedule_data(template, param_overrides='{"typo": 1}')).content.decode()
    assert "typo: Extra inputs are not permitted" in body
    assert not JobSchedule.objects.exists()
    client.post("/schedules/new", schedule_data(template, param_overrides='{"seconds": 5}'))
    assert JobSchedule.objects.get().param_overrides == {"seconds": 5}


def test_a_global_schedule_cannot_run_a_private_template(alice, client_for):
    template = make_template("mine", owner=alice, is_global=False)
    body = client_for(alice).post("/schedules/new", schedule_data(template)).content.decode()
    assert "a global schedule cannot run a private template" in body


def test_the_template_choices_are_only_templates_the_user_can_see(alice, charlie, client_for):
    make_template("alice-private", owner=alice, is_global=False)
    shared = make_template("shared", owner=alice)
    body = client_for(charlie).get(f"/schedules/new?template={shared.pk}").content.decode()
    assert "alice-private" not in body and f'<option value="{shared.pk}" selected>shared</option>' in body


@time_machine.travel(utc(2026, 3, 27, 12), tick=False)
def test_editing_shows_times_in_the_schedules_zone_and_saves_changes(alice, client_for):
    template = make_template("touch", owner=alice)
    schedule = make_schedule(template, "once", kind="once", cron_expr="", run_at=utc(2026, 7, 1, 8),
                             timezone="Europe/Berlin")
    client = client_for(alice)
    assert 'value="2026-07-01T10:00"' in client.get(f"/schedules/{schedule.pk}/edit").content.decode()
    response = client.post(f"/schedules/{schedule.pk}/edit", schedule_data(template, name="renamed"))
    schedule.refresh_from_db()
    assert response.status_code == 302 and schedule.name == "renamed" and schedule.kind == "cron"
    assert schedule.next_fire_at == utc(2026, 3, 28, 1, 30)


def test_the_preview_lists_the_next_ten_fires_in_both_zones(alice, client_for):
    response = client_for(alice).get("/schedules/preview", {"kind": "cron", "cron_expr": "*/15 * * * *",
                                                            "timezone": "Asia/Kolkata",
                                                            "after": "2026-01-01T00:00:00+00:00"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<tr><td class=\"num\">") == 10
    assert "2026-01-01 05:45 IST (+05:30)" in body and 'datetime="2026-01-01T00:15:00+00:00"' in body


def test_the_preview_marks_the_dst_change_between_two_fires(alice, client_for):
    body = client_for(alice).get("/schedules/preview", {
        "kind": "cron", "cron_expr": "30 2 * * *", "timezone": "Europe/Berlin",
        "after": "2026-03-26T12:00:00+00:00"}).content.decode()
    assert body.count('class="dst"') == 1
    assert "DST change before this fire: CET → CEST" in body
    # 02:30 does not exist on 29 March: it fires at the end of the gap, 03:00 CEST.
    assert "2026-03-29 03:00 CEST (+02:00)" in body
    assert body.index("CET → CEST") < body.index("2026-03-29 03:00 CEST")


def test_the_preview_explains_what_is_wrong_instead_of_fires(alice, client_for):
    body = client_for(alice).get("/schedules/preview", {"kind": "cron", "cron_expr": "* * *",
                                                        "timezone": "UTC"}).content.decode()
    assert "No preview yet" in body and "Cron expression:" in body
    body = client_for(alice).get("/schedules/preview", {"kind": "once", "run_at": "2001-01-01T00:00",
                                                        "timezone": "UTC"}).content.decode()
    assert "never fires after now" in body


def test_toggling_pauses_and_resumes_and_returns_the_row_for_htmx(alice, client_for):
    schedule = make_schedule(make_template("touch", owner=alice), "five")
    client = client_for(alice)
    response = client.post(f"/schedules/{schedule.pk}/toggle", HTTP_HX_REQUEST="true")
    schedule.refresh_from_db()
    assert not schedule.is_active and schedule.next_fire_at is None
    assert response.content.decode().startswith(f'<tr id="schedule-{schedule.pk}">') and "Resume" in \
        response.content.decode()
    response = client.post(f"/schedules/{schedule.pk}/toggle", {"next": "/schedules/"})
    schedule.refresh_from_db()
    assert schedule.is_active and schedule.next_fire_at is not None
    assert response["Location"] == "/schedules/"


def test_toggling_never_redirects_to_another_site(alice, client_for):
    schedule = make_schedule(make_template("touch", owner=alice), "five")
    response = client_for(alice).post(f"/schedules/{schedule.pk}/toggle", {"next": "https://evil.example/"})
    assert response["Location"] == f"/schedules/{schedule.pk}/"


def test_a_past_one_off_cannot_be_resumed(alice, client_for):
    schedule = make_schedule(make_template("touch", owner=alice), "gone", kind="once", cron_expr="",
                             run_at=utc(2001, 1, 1), is_active=False)
    response = client_for(alice).post(f"/schedules/{schedule.pk}/toggle", follow=True)
    schedule.refresh_from_db()
    assert not schedule.is_active and b"no future fire time" in response.content


def test_run_now_uses_the_schedules_overrides(alice, client_for, published):
    template = make_template("sleepy", job_type="sleep", owner=alice, params={"seconds": 1})
    schedule = make_schedule(template, "s", param_overrides={"seconds": 0})
    with published():
        response = client_for(alice).post(f"/schedules/{schedule.pk}/run")
    run = JobRun.objects.get()
    assert response["Location"] == f"/runs/{run.pk}/"
    assert run.schedule == schedule and run.params == {"seconds": 0}


def test_deleting_a_schedule_keeps_its_runs(alice, client_for):
    schedule = make_schedule(make_template("touch", owner=alice), "s")
    make_run(schedule.template, "completed", schedule=schedule)
    response = client_for(alice).post(f"/schedules/{schedule.pk}/delete")
    assert response["Location"] == "/schedules/"
    assert not JobSchedule.objects.exists() and JobRun.objects.count() == 1


@time_machine.travel(utc(2026, 10, 20, 12), tick=False)
def test_the_detail_page_previews_the_saved_schedule_with_its_dst_change(alice, client_for):
    schedule = make_schedule(make_template("touch", owner=alice), "daily", kind="daily", cron_expr="",
                             time_of_day=time(2, 30), timezone="Europe/Berlin")
    body = client_for(alice).get(f"/schedules/{schedule.pk}/").content.decode()
    assert "daily at 02:30" in body and "CEST → CET" in body


@time_machine.travel(utc(2026, 6, 21, 12), tick=False)
def test_a_solar_schedule_is_created_from_its_own_fields_and_shown_with_its_next_sunset(alice, client_for):
    template = make_template("touch", owner=alice)
    client = client_for(alice)
    response = client.post("/schedules/new", schedule_data(
        template, name="tromso dusk", kind="solar", solar_event="sunset", latitude="69.65", longitude="18.96",
        timezone="Europe/Oslo", cron_expr="ignored"))
    schedule = JobSchedule.objects.get()
    assert response.status_code == 302, response.content.decode()
    assert (schedule.kind, schedule.solar_event, schedule.latitude, schedule.longitude, schedule.cron_expr) == (
        "solar", "sunset", 69.65, 18.96, "")
    assert schedule.next_fire_at == utc(2026, 7, 26, 22, 10, 16)  # the midnight sun ends
    detail = client.get(f"/schedules/{schedule.pk}/").content.decode()
    assert "sunset at 69.65, 18.96" in detail and "2026-07-27 00:10:16 CEST (+02:00)" in detail
    form = client.get(f"/schedules/{schedule.pk}/edit").content.decode()
    assert 'name="latitude" value="69.65"' in form and '<option value="sunset" selected>Sunset</option>' in form


def test_the_preview_of_a_solar_schedule_lists_the_sun_events(alice, client_for):
    body = client_for(alice).get("/schedules/preview", {
        "kind": "solar", "solar_event": "sunrise", "latitude": "69.65", "longitude": "18.96",
        "timezone": "Europe/Oslo", "after": "2026-12-21T00:00:00+00:00"}).content.decode()
    assert body.count("<tr><td class=\"num\">") == 10
    assert "2027-01-15 11:43:33 CET (+01:00)" in body  # the first sunrise after the polar night


def test_a_bad_solar_field_is_explained_next_to_it(alice, client_for):
    template = make_template("touch", owner=alice)
    client = client_for(alice)
    body = client.post("/schedules/new", schedule_data(template, kind="solar", solar_event="sunrise",
                                                       latitude="91", longitude="0")).content.decode()
    assert 'id="id_latitude_error"' in body and "latitude must be from -90 to 90" in body
    body = client.post("/schedules/new", schedule_data(template, kind="solar", solar_event="sunrise",
                                                       latitude="52.5")).content.decode()
    assert 'id="id_longitude_error"' in body
    assert not JobSchedule.objects.exists()
