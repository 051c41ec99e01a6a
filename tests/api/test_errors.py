"""Bad input gives a JSON {"detail": ...} with the right 4xx: never a 500 or a traceback."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.api.conftest import make_credential, make_device, make_location, make_template

pytestmark = pytest.mark.django_db

CREATE_BODIES = {
    "/api/devices": {"name": "r1", "host": "192.0.2.1", "platform": "linux"},
    "/api/locations": {"name": "Berlin"},
    "/api/tags": {"name": "core"},
    "/api/credentials": {"name": "lab"},
    "/api/job-templates": {"name": "t1", "job_type": "noop"},
}


def raw_post(api, path: str, body: str, content_type: str = "application/json"):
    return api.client.post(path, data=body, content_type=content_type, headers=api.headers)


def assert_json_error(response, status: int | tuple[int, ...]):
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail"}
    assert "Traceback" not in response.content.decode()
    return body["detail"]


@pytest.mark.parametrize("path", list(CREATE_BODIES))
@pytest.mark.parametrize("body", ["{", '{"name": "x",}', "not json", "\x00\xff", '{"name": "x"'])
def test_a_malformed_json_body_is_a_400_with_a_detail(admin, api_as, path, body):
    detail = assert_json_error(raw_post(api_as(admin), path, body), (400, 422))
    assert "parse" in str(detail)


@pytest.mark.parametrize("path", list(CREATE_BODIES))
@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null", "[{}]"])
def test_a_json_body_that_is_not_an_object_is_a_422(admin, api_as, path, body):
    assert_json_error(raw_post(api_as(admin), path, body), 422)


@pytest.mark.parametrize("path", list(CREATE_BODIES))
def test_a_missing_required_field_is_a_422_naming_it(admin, api_as, path):
    body = dict(CREATE_BODIES[path])
    del body["name"]
    detail = assert_json_error(api_as(admin).post(path, json=body), 422)
    assert {"loc": ["body", "payload", "name"], "msg": "Field required", "type": "missing"} in detail


@pytest.mark.parametrize(("path", "field", "value"), [
    ("/api/devices", "port", "twenty-two"),
    ("/api/devices", "tags", "core"),
    ("/api/devices", "custom_fields", [1, 2]),
    ("/api/devices", "is_active", "perhaps"),
    ("/api/locations", "parent_id", "Europe"),
    ("/api/tags", "name", 42),
    ("/api/credentials", "password", 12345),
    ("/api/job-templates", "params", "seconds=1"),
    ("/api/job-templates", "timeout_seconds", -5),
    ("/api/job-templates", "targets", ["r1"]),
])
def test_a_field_of_the_wrong_type_is_a_422_naming_it(admin, api_as, path, field, value):
    detail = assert_json_error(api_as(admin).post(path, json={**CREATE_BODIES[path], field: value}), 422)
    assert field in detail[0]["loc"]


def test_a_schedule_field_of_the_wrong_type_is_a_422_naming_it(admin, api_as):
    template = make_template("t1")
    for field, value in (("template_id", "t1"), ("interval_seconds", "often"), ("run_at", "tomorrow"),
                         ("time_of_day", "25:99"), ("is_active", {"yes": 1})):
        body = {"name": "s", "template_id": template.pk, "cron_expr": "* * * * *", field: value}
        detail = assert_json_error(api_as(admin).post("/api/job-schedules", json=body), 422)
        assert field in detail[0]["loc"], field


@pytest.mark.parametrize(("path", "field"), [
    ("/api/devices", "location_id"), ("/api/devices", "credential_id"), ("/api/locations", "parent_id"),
    ("/api/job-templates", "credential_id"),
])
def test_a_non_existent_foreign_id_is_a_422_naming_the_field(admin, api_as, path, field):
    for missing in (999999, 0, -1, 10**20):
        detail = assert_json_error(api_as(admin).post(path, json={**CREATE_BODIES[path], field: missing}), 422)
        assert detail.startswith(f"{field}:"), detail


def test_a_schedule_with_a_non_existent_template_is_a_422_naming_template_id(admin, api_as):
    for missing in (999999, 10**20):
        body = {"name": "s", "template_id": missing, "cron_expr": "* * * * *"}
        detail = assert_json_error(api_as(admin).post("/api/job-schedules", json=body), 422)
        assert detail.startswith("template_id:")


@pytest.mark.parametrize("path", ["/api/devices", "/api/locations", "/api/tags", "/api/credentials",
                                  "/api/job-templates", "/api/job-schedules", "/api/job-runs"])
@pytest.mark.parametrize(("params", "name"), [
    ({"page_size": 501}, "page_size"), ({"page_size": 0}, "page_size"), ({"page": 0}, "page"),
    ({"page": -1}, "page"),
])
def test_page_and_page_size_out_of_range_are_422s(admin, api_as, path, params, name):
    detail = assert_json_error(api_as(admin).get(path, **params), 422)
    assert detail.startswith(f"{name}:")


@pytest.mark.parametrize("path", ["/api/devices", "/api/job-runs"])
def test_a_page_that_is_not_a_number_is_a_422_naming_it(admin, api_as, path):
    detail = assert_json_error(api_as(admin).get(path, page="two"), 422)
    assert detail[0]["loc"] == ["query", "page"]


def test_the_largest_page_size_is_allowed(admin, api_as):
    assert api_as(admin).get("/api/devices", page_size=500).status_code == 200


@pytest.mark.parametrize("path", list(CREATE_BODIES))
def test_a_duplicate_name_is_a_409(admin, api_as, path):
    api = api_as(admin)
    assert api.post(path, json=CREATE_BODIES[path]).status_code == 201
    with transaction.atomic():  # the failed INSERT must not poison the test's transaction on PostgreSQL
        response = api.post(path, json=CREATE_BODIES[path])
    assert_json_error(response, 409)


@pytest.mark.parametrize(("path", "existing"), [
    ("/api/devices", lambda: make_device("r1")), ("/api/locations", lambda: make_location("Berlin")),
    ("/api/credentials", lambda: make_credential("lab")), ("/api/job-templates", lambda: make_template("t1")),
])
def test_renaming_onto_an_existing_name_is_a_409(admin, api_as, path, existing):
    taken = existing().name
    api = api_as(admin)
    other = api.post(path, json={**CREATE_BODIES[path], "name": "other"}).json()
    with transaction.atomic():
        response = api.put(f"{path}/{other['id']}", json={**CREATE_BODIES[path], "name": taken})
    assert_json_error(response, 409)


@pytest.mark.parametrize("path", ["/api/devices/999999", "/api/locations/999999", "/api/tags/999999",
                                  "/api/credentials/999999", "/api/job-templates/999999",
                                  "/api/job-schedules/999999", "/api/job-runs/999999"])
def test_a_missing_object_is_a_404_with_a_detail(admin, api_as, path):
    assert "not found" in assert_json_error(api_as(admin).get(path), 404)


def test_a_path_id_that_is_not_a_number_is_a_422_naming_it(admin, api_as):
    detail = assert_json_error(api_as(admin).get("/api/devices/abc"), 422)
    assert detail[0]["loc"] == ["path", "device_id"]


def test_nul_characters_are_refused_not_crashed_on(admin, api_as):
    api = api_as(admin)
    with transaction.atomic():
        tag = api.post("/api/tags", json={"name": "a\x00b"})
    assert tag.status_code in (201, 422)  # SQLite stores NUL; PostgreSQL refuses it (422)
    with transaction.atomic():
        device = api.post("/api/devices", json={**CREATE_BODIES["/api/devices"], "custom_fields": {"k": "\x00"}})
    assert device.status_code in (201, 422)
    with transaction.atomic():
        search = api.get("/api/devices", q="a\x00b")
    assert search.status_code in (200, 422)


def test_a_date_beyond_year_9999_in_utc_is_a_422(admin, api_as):
    body = {"name": "s", "template_id": make_template("t1").pk, "kind": "once",
            "run_at": "9999-12-31T23:59:59-05:00"}
    assert_json_error(api_as(admin).post("/api/job-schedules", json=body), 422)


@pytest.mark.parametrize("path", ["/api/nope", "/api/devices/", "/api/job-runs/1/explode"])
def test_an_unknown_api_path_is_a_json_404(admin, api_as, path):
    assert "no API endpoint" in assert_json_error(api_as(admin).get(path), 404)


def test_a_method_a_route_does_not_have_is_a_405(admin, api_as):
    assert api_as(admin).delete("/api/devices").status_code == 405
