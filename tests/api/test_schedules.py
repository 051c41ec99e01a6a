"""Job schedules: CRUD, validation naming the field, execute, toggle, fire-time previews."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netcron.jobs.models import JobRun, JobSchedule
from netcron.jobs.queues import queue_lengths
from tests.api.conftest import make_credential, make_schedule, make_template

pytestmark = pytest.mark.django_db


def schedule_body(template, **overrides) -> dict:
    return {"name": "every five", "template_id": template.pk, "kind": "cron", "cron_expr": "*/5 * * * *",
            **overrides}


def field_of(response) -> str:
    """The field a 422 names: the last loc element of the first error, or the prefix of a string detail."""
    detail = response.json()["detail"]
    return detail[0]["loc"][-1] if isinstance(detail, list) else detail.split(":")[0]


def test_creating_a_cron_schedule_computes_its_next_fire(alice, api_as):
    template = make_template("t1")
    response = api_as(alice).post("/api/job-schedules", json=schedule_body(template, timezone="Europe/Berlin"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["template_id"] == template.pk and body["template"] == "t1" and body["job_type"] == "noop"
    assert body["owner"] == "alice" and body["is_active"] is True and body["is_global"] is True
    assert body["next_fire_at"] is not None
    assert body["misfire_policy"] == "run_once" and body["overlap_policy"] == "skip"
    schedule = JobSchedule.objects.get(pk=body["id"])
    assert schedule.next_fire_at > timezone.now()
    assert schedule.next_fire_at.minute % 5 == 0


@pytest.mark.parametrize(("timing", "expected"), [
    ({"kind": "interval", "interval_seconds": 600}, "interval_seconds"),
    ({"kind": "daily", "time_of_day": "02:30"}, "time_of_day"),
])
def test_interval_and_daily_schedules_are_accepted(alice, api_as, timing, expected):
    body = {"name": "s", "template_id": make_template("t1").pk, **timing}
    response = api_as(alice).post("/api/job-schedules", json=body)
    assert response.status_code == 201, response.content
    assert response.json()[expected] in (600, "02:30:00")
    assert response.json()["next_fire_at"] is not None


def test_a_schedule_can_be_read_updated_and_deleted(alice, api_as):
    template = make_template("t1")
    schedule = make_schedule(template, owner=alice)
    api = api_as(alice)
    assert api.get(f"/api/job-schedules/{schedule.pk}").json()["name"] == "s"
    updated = api.put(f"/api/job-schedules/{schedule.pk}", json=schedule_body(
        template, name="hourly", cron_expr="0 * * * *", overlap_policy="allow", misfire_policy="skip"))
    assert updated.status_code == 200, updated.content
    assert updated.json()["cron_expr"] == "0 * * * *" and updated.json()["overlap_policy"] == "allow"
    assert updated.json()["owner"] == "alice"
    assert api.delete(f"/api/job-schedules/{schedule.pk}").status_code == 204
    assert api.get(f"/api/job-schedules/{schedule.pk}").status_code == 404
    assert api.get(f"/api/job-templates/{template.pk}").status_code == 200


def test_the_schedule_list_filters_by_active_template_and_kind(alice, api_as):
    t1, t2 = make_template("t1"), make_template("t2")
    make_schedule(t1, name="a")
    make_schedule(t1, name="b", is_active=False)
    make_schedule(t2, name="c", kind="interval", cron_expr="", interval_seconds=60)
    api = api_as(alice)

    def names(**params):
        response = api.get("/api/job-schedules", **params)
        assert response.status_code == 200, response.content
        return [s["name"] for s in response.json()["items"]]

    assert names() == ["a", "b", "c"]
    assert names(is_active="true") == ["a", "c"]
    assert names(template_id=t1.pk) == ["a", "b"]
    assert names(kind="interval") == ["c"]
    assert names(kind="cron,interval") == ["a", "b", "c"]
    assert api.get("/api/job-schedules", kind="yearly").status_code == 422


def test_an_invalid_cron_expression_is_a_422_naming_cron_expr(alice, api_as):
    response = api_as(alice).post("/api/job-schedules", json=schedule_body(make_template(), cron_expr="61 * * * *"))
    assert response.status_code == 422
    assert field_of(response) == "cron_expr"
    assert not JobSchedule.objects.exists()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"kind": "interval", "cron_expr": "", "interval_seconds": None}, "interval_seconds"),
    ({"kind": "interval", "interval_seconds": 0}, "interval_seconds"),
    ({"kind": "daily", "time_of_day": None}, "time_of_day"),
    ({"kind": "once"}, "run_at"),
    ({"kind": "weekly"}, "weekdays"),
    ({"kind": "solar", "solar_event": "sunrise", "latitude": 91, "longitude": 0}, "latitude"),
    ({"kind": "solar", "solar_event": "sunrise", "longitude": 0}, "latitude"),
    ({"kind": "solar", "solar_event": "sunrise", "latitude": 0, "longitude": -180.5}, "longitude"),
    ({"kind": "solar", "solar_event": "moonrise", "latitude": 0, "longitude": 0}, "solar_event"),
    ({"kind": "solar", "latitude": 0, "longitude": 0}, "solar_event"),
    ({"kind": "fortnightly"}, "kind"),
    ({"misfire_policy": "sometimes"}, "misfire_policy"),
    ({"start_at": "2026-02-01T00:00:00Z", "end_at": "2026-01-01T00:00:00Z"}, "end_at"),
    ({"template_id": 999999}, "template_id"),
    ({"credential_id": 999999}, "credential_id"),
    ({"param_overrides": {"seconds": -1}}, "seconds"),
    ({"param_overrides": {"nope": 1}}, "nope"),
])
def test_a_bad_schedule_field_is_a_422_naming_it(alice, api_as, overrides, field):
    template = make_template("t1", job_type="sleep")
    response = api_as(alice).post("/api/job-schedules", json=schedule_body(template, **overrides))
    assert response.status_code == 422, response.content
    assert field_of(response) == field


def test_a_bad_override_names_param_overrides_and_the_parameter(alice, api_as):
    template = make_template("t1", job_type="sleep")
    response = api_as(alice).post("/api/job-schedules", json=schedule_body(template, param_overrides={"seconds": -1}))
    assert response.json()["detail"][0]["loc"] == ["body", "param_overrides", "seconds"]


def test_a_global_schedule_cannot_run_a_private_template(alice, api_as):
    template = make_template("mine", owner=alice, is_global=False)
    api = api_as(alice)
    response = api.post("/api/job-schedules", json=schedule_body(template))
    assert response.status_code == 422
    assert field_of(response) == "is_global"
    private = api.post("/api/job-schedules", json=schedule_body(template, is_global=False))
    assert private.status_code == 201


def test_a_schedule_cannot_use_someone_elses_private_template(alice, bob, api_as):
    template = make_template("alices", owner=alice, is_global=False)
    response = api_as(bob).post("/api/job-schedules", json=schedule_body(template, is_global=False))
    assert response.status_code == 422
    assert field_of(response) == "template_id"


def test_executing_a_schedule_creates_a_published_pending_run(alice, api_as, published):
    template = make_template("t1", job_type="sleep", params={"seconds": 1})
    credential = make_credential("lab")
    schedule = make_schedule(template, param_overrides={"seconds": 7}, credential=credential)
    queued_before = queue_lengths()["default"] or 0
    with published():
        response = api_as(alice).post(f"/api/job-schedules/{schedule.pk}/execute")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    run = JobRun.objects.get(pk=response.json()["run_id"])
    assert run.schedule == schedule and run.template == template
    assert run.triggered_by == "manual" and run.requested_by == alice
    assert run.params == {"seconds": 7} and run.credential == credential
    assert run.status == "pending" and run.published_at is not None
    assert queue_lengths()["default"] == queued_before + 1


def test_toggling_pauses_and_resumes_a_schedule(alice, api_as):
    schedule = make_schedule(make_template("t1"))
    api = api_as(alice)
    paused = api.post(f"/api/job-schedules/{schedule.pk}/toggle")
    assert paused.status_code == 200
    assert paused.json()["is_active"] is False and paused.json()["next_fire_at"] is None
    resumed = api.post(f"/api/job-schedules/{schedule.pk}/toggle")
    assert resumed.json()["is_active"] is True and resumed.json()["next_fire_at"] is not None
    schedule.refresh_from_db()
    assert schedule.is_active and schedule.next_fire_at > timezone.now()


def test_a_one_off_schedule_in_the_past_cannot_be_resumed(alice, api_as):
    schedule = make_schedule(make_template("t1"), kind="once", cron_expr="", is_active=False,
                             run_at=timezone.now() - timedelta(days=1))
    response = api_as(alice).post(f"/api/job-schedules/{schedule.pk}/toggle")
    assert response.status_code == 409
    schedule.refresh_from_db()
    assert schedule.is_active is False


def test_the_preview_of_a_saved_schedule_lists_count_fires(alice, api_as):
    schedule = make_schedule(make_template("t1"), cron_expr="0 6 * * *", timezone="Europe/Berlin")
    response = api_as(alice).get(f"/api/job-schedules/{schedule.pk}/preview", count=3,
                                 after="2026-01-10T12:00:00Z")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "Europe/Berlin"
    assert [f["at"] for f in body["fires"]] == ["2026-01-11T05:00:00Z", "2026-01-12T05:00:00Z",
                                                "2026-01-13T05:00:00Z"]
    assert body["fires"][0]["local"].startswith("2026-01-11 06:00 CET")


@pytest.mark.parametrize("count", [0, 101, -3])
def test_a_preview_count_out_of_range_is_a_422(alice, api_as, count):
    schedule = make_schedule(make_template("t1"))
    response = api_as(alice).get(f"/api/job-schedules/{schedule.pk}/preview", count=count)
    assert response.status_code == 422
    assert field_of(response) == "count"


def test_the_unsaved_preview_follows_dst_in_the_schedules_time_zone(alice, api_as):
    response = api_as(alice).post("/api/job-schedules/preview", json={
        "kind": "cron", "cron_expr": "30 2 * * *", "timezone": "Europe/Berlin",
        "after": "2026-03-28T12:00:00Z", "count": 3})
    assert response.status_code == 200, response.content
    assert [f["at"] for f in response.json()["fires"]] == [
        "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"]


def test_the_unsaved_preview_supports_intervals_and_daily_times(viewer, api_as):
    api = api_as(viewer)
    interval = api.post("/api/job-schedules/preview", json={
        "kind": "interval", "interval_seconds": 900, "after": "2026-01-01T00:07:00Z", "count": 2})
    assert [f["at"] for f in interval.json()["fires"]] == ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"]
    daily = api.post("/api/job-schedules/preview", json={
        "kind": "daily", "time_of_day": "23:00", "timezone": "America/New_York",
        "after": "2026-06-01T00:00:00Z", "count": 1})
    assert [f["at"] for f in daily.json()["fires"]] == ["2026-06-01T03:00:00Z"]


def test_the_unsaved_preview_defaults_to_ten_fires_from_now(alice, api_as):
    fires = api_as(alice).post("/api/job-schedules/preview", json={"cron_expr": "* * * * *"}).json()["fires"]
    assert len(fires) == 10
    assert fires[0]["at"] > timezone.now().isoformat()[:16]


@pytest.mark.parametrize(("body", "field"), [
    ({"cron_expr": "not a cron"}, "cron_expr"),
    ({"cron_expr": ""}, "cron_expr"),
    ({"cron_expr": "* * * * *", "timezone": "Nowhere/City"}, "timezone"),
    ({"cron_expr": "* * * * *", "count": 101}, "count"),
    ({"cron_expr": "* * * * *", "count": 0}, "count"),
    ({"kind": "interval"}, "interval_seconds"),
    ({"kind": "fortnightly"}, "kind"),
])
def test_an_invalid_unsaved_preview_is_a_422_naming_the_field(alice, api_as, body, field):
    response = api_as(alice).post("/api/job-schedules/preview", json=body)
    assert response.status_code == 422, response.content
    assert field_of(response) == field


def test_a_preview_at_the_end_of_the_calendar_lists_no_fires_rather_than_crashing(alice, api_as):
    response = api_as(alice).post("/api/job-schedules/preview", json={
        "cron_expr": "* * * * *", "after": "9999-12-31T23:59:00Z"})
    assert response.status_code == 200
    assert response.json()["fires"] == []


def test_weekly_and_monthly_schedules_fire_on_their_days_with_month_end_clamped(alice, api_as):
    from netcron.jobs.models import JobTemplate

    template = JobTemplate.objects.create(name="t", job_type="noop")
    api = api_as(alice)
    weekly = api.post("/api/job-schedules", json={
        "name": "w", "template_id": template.pk, "kind": "weekly", "weekdays": [0, 2], "time_of_day": "02:00",
        "timezone": "Europe/Berlin"})
    assert weekly.status_code == 201, weekly.json()
    fires = api.get(f"/api/job-schedules/{weekly.json()['id']}/preview", count=3,
                    after="2026-06-01T12:00:00Z").json()["fires"]
    assert [f["at"] for f in fires] == ["2026-06-03T00:00:00Z", "2026-06-08T00:00:00Z", "2026-06-10T00:00:00Z"]
    monthly = api.post("/api/job-schedules/preview", json={
        "kind": "monthly", "day_of_month": 31, "time_of_day": "12:00", "after": "2026-01-31T13:00:00Z", "count": 2})
    assert [f["at"] for f in monthly.json()["fires"]] == ["2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z"]


def test_a_weekly_schedule_without_weekdays_is_a_422_naming_the_field(alice, api_as):
    response = api_as(alice).post("/api/job-schedules/preview", json={"kind": "weekly", "time_of_day": "02:00"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "weekdays"]


def test_the_replaced_systems_schedule_field_names_are_accepted(alice, api_as):
    from netcron.jobs.models import JobTemplate

    template = JobTemplate.objects.create(name="nightly", job_type="noop")
    api = api_as(alice)
    cron = api.post("/api/job-schedules", json={
        "job_identifier": "nightly-backup", "job_template_id": template.pk, "schedule_type": "custom",
        "cron_expression": "0 2 * * *", "job_parameters": {"message": "hi"}})
    assert cron.status_code == 201, cron.json()
    assert (cron.json()["name"], cron.json()["kind"], cron.json()["cron_expr"]) == ("nightly-backup", "cron",
                                                                                  "0 2 * * *")
    assert cron.json()["param_overrides"] == {"message": "hi"}
    interval = api.post("/api/job-schedules", json={"job_identifier": "hourly-compare", "job_template_id":
                                                    template.pk, "schedule_type": "interval", "interval_minutes": 60})
    assert (interval.status_code, interval.json()["interval_seconds"]) == (201, 3600)
    daily = api.post("/api/job-schedules", json={"job_identifier": "morning", "job_template_id": template.pk,
                                                 "schedule_type": "daily", "start_time": "07:00",
                                                 "start_date": "2026-01-05"})
    assert (daily.json()["kind"], daily.json()["time_of_day"]) == ("daily", "07:00:00")
    weekly = api.post("/api/job-schedules", json={"job_identifier": "w", "job_template_id": template.pk,
                                                  "schedule_type": "weekly", "start_time": "03:00",
                                                  "start_date": "2026-01-07"})
    assert weekly.json()["weekdays"] == [2]  # 2026-01-07 is a Wednesday
    now = api.post("/api/job-schedules", json={"job_identifier": "n", "job_template_id": template.pk,
                                               "schedule_type": "now"})
    assert now.json()["kind"] == "once" and now.json()["next_fire_at"] is not None


def test_an_unknown_seed_schedule_type_is_a_422_naming_kind(alice, api_as):
    from netcron.jobs.models import JobTemplate

    template = JobTemplate.objects.create(name="t", job_type="noop")
    response = api_as(alice).post("/api/job-schedules", json={"job_identifier": "x", "job_template_id": template.pk,
                                                               "schedule_type": "fortnightly"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "kind"


def test_the_openapi_schema_documents_the_seed_field_names(alice, api_as):
    spec = api_as(alice).get("/api/openapi.json").json()
    properties = spec["components"]["schemas"]["ScheduleIn"]["properties"]
    assert {"schedule_type", "cron_expression", "interval_minutes", "job_identifier"} <= set(properties)
    assert {"kind", "cron_expr", "interval_seconds", "name"} <= set(properties)


def test_a_solar_schedule_fires_at_the_next_sunset_after_the_midnight_sun(alice, api_as):
    from netcron.jobs.models import JobTemplate

    template = JobTemplate.objects.create(name="t", job_type="noop")
    api = api_as(alice)
    created = api.post("/api/job-schedules", json={
        "name": "tromso dusk", "template_id": template.pk, "kind": "solar", "solar_event": "sunset",
        "latitude": 69.65, "longitude": 18.96, "timezone": "Europe/Oslo"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["kind"], body["solar_event"], body["latitude"], body["longitude"]) == ("solar", "sunset", 69.65,
                                                                                       18.96)
    assert body["next_fire_at"] is not None
    preview = api.get(f"/api/job-schedules/{body['id']}/preview", count=2, after="2026-06-21T12:00:00Z").json()
    assert preview["fires"] == [
        {"at": "2026-07-26T22:10:16Z", "local": "2026-07-27 00:10:16 CEST (+02:00)"},
        {"at": "2026-07-27T21:56:51Z", "local": "2026-07-27 23:56:51 CEST (+02:00)"}]
    cron = api.put(f"/api/job-schedules/{body['id']}", json=schedule_body(template))
    assert (cron.json()["kind"], cron.json()["solar_event"], cron.json()["latitude"]) == ("cron", None, None)


def test_an_unsaved_solar_preview_of_the_polar_night_skips_to_the_first_sunrise(alice, api_as):
    response = api_as(alice).post("/api/job-schedules/preview", json={
        "kind": "solar", "solar_event": "sunrise", "latitude": 69.65, "longitude": 18.96,
        "after": "2026-12-21T00:00:00Z", "count": 1})
    assert response.status_code == 200, response.json()
    assert [f["at"] for f in response.json()["fires"]] == ["2027-01-15T10:43:33Z"]


def test_the_openapi_schema_documents_solar_schedules(alice, api_as):
    from netcron.jobs.choices import SolarEvent
    from netcron.lib.cron import SOLAR_EVENTS

    spec = api_as(alice).get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    properties = schemas["ScheduleIn"]["properties"]
    assert "solar" in schemas["ScheduleKind"]["enum"]
    assert set(schemas["SolarEvent"]["enum"]) == set(SolarEvent.values) == set(SOLAR_EVENTS)
    latitude = next(p for p in properties["latitude"]["anyOf"] if p.get("type") == "number")
    assert (latitude["minimum"], latitude["maximum"]) == (-90, 90)
