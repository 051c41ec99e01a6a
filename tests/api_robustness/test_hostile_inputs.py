"""Large and hostile input: a clear 4xx JSON error naming the problem, never a 5xx, nothing stored half-way."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from netcron.api import api
from netcron.api.common import MAX_PAGE_SIZE
from netcron.api.limits import MAX_JSON_DEPTH
from netcron.audit.models import AuditEntry
from netcron.inventory.models import Credential, Device, Location, Tag
from netcron.jobs.models import JobRun, JobSchedule, JobTemplate
from netcron.notifications.models import NotificationRule
from tests.api.conftest import make_device, make_logs, make_run, make_template

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema(path_prefix="/api/")
LISTS = sorted(path for path, ops in SCHEMA["paths"].items()
               if "get" in ops and any(p["name"] == "page_size" for p in ops["get"].get("parameters", [])))
SQLISH = ["' OR 1=1 --", "1; DROP TABLE inventory_device; --", "%' OR name LIKE '%", "\" OR \"\"=\"", "1) OR (1=1"]
MODELS = (Device, Tag, Location, Credential, JobTemplate, JobSchedule, JobRun, NotificationRule, AuditEntry)


def send(api_client, method: str, path: str, body: bytes | str, content_type: str = "application/json", **extra):
    return api_client.client.generic(method, path, data=body, content_type=content_type,
                                     headers=api_client.headers, **extra)


def error_of(response, status: int):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    return response.json()["detail"]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def nested(depth: int):
    value = 1
    for _ in range(depth - 1):
        value = [value]
    return value


# --- size ------------------------------------------------------------------------------------------

def test_a_body_over_the_api_limit_is_a_413_naming_the_limit(admin, api_as, settings):
    settings.NETCRON_API_MAX_BODY_BYTES = 2048
    body = json.dumps({"name": "core", "description": "x" * 100, "padding": "x" * 4000})
    detail = error_of(send(api_as(admin), "post", "/api/tags", body), 413)
    assert detail == f"request body too large: {len(body)} bytes; the limit is 2048 bytes (NETCRON_API_MAX_BODY_BYTES)"
    assert not Tag.objects.exists()


def test_the_api_body_limit_is_configurable(admin, api_as, settings):
    settings.NETCRON_API_MAX_BODY_BYTES = 8192
    body = json.dumps({"name": "core", "padding": "x" * 4000})  # unknown fields are ignored
    assert send(api_as(admin), "post", "/api/tags", body).status_code == 201


def test_an_oversized_body_is_refused_before_authentication(api_as, settings):
    settings.NETCRON_API_MAX_BODY_BYTES = 1024
    error_of(send(api_as(None), "post", "/api/tags", "[" + "0," * 2000 + "0]"), 413)


def test_a_body_over_djangos_upload_limit_is_also_a_413(admin, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"name": "core", "padding": "x" * 2000})
    assert "NETCRON_MAX_BODY_BYTES" in error_of(send(api_as(admin), "post", "/api/tags", body), 413)


def test_the_size_limit_covers_csv_imports_too(admin, api_as, settings):
    settings.NETCRON_API_MAX_BODY_BYTES = 1024
    csv = "name,host,platform\n" + "".join(f"r{i},192.0.2.{i % 250},linux\n" for i in range(100))
    error_of(send(api_as(admin), "post", "/api/sources/csv", csv, content_type="text/csv"), 413)
    assert not Device.objects.exists()


def test_a_content_length_that_is_not_a_number_is_a_400(admin, api_as):
    detail = error_of(send(api_as(admin), "post", "/api/tags", '{"name": "x"}', CONTENT_LENGTH="lots"), 400)
    assert detail.startswith("Content-Length:")


# --- encoding and structure ------------------------------------------------------------------------

def test_a_body_that_is_not_utf8_is_a_400_saying_so(admin, api_as):
    detail = error_of(send(api_as(admin), "post", "/api/tags", b'{"name": "caf\xe9"}'), 400)
    assert detail == "cannot parse the body: it is not UTF-8 (byte 0xe9 at offset 13)"
    assert not Tag.objects.exists()


def test_a_syntax_error_in_the_body_is_a_400_with_its_position(admin, api_as):
    detail = error_of(send(api_as(admin), "post", "/api/tags", '{"name": "x",}'), 400)
    assert detail.startswith("cannot parse the body as JSON:") and "line 1 column 14" in detail


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_json_nested_too_deeply_is_a_400_naming_the_depth(admin, api_as, depth):
    body = '{"name": "r1", "host": "h", "platform": "linux", "custom_fields": {"k": ' + "[" * depth + "]" * depth + "}}"
    detail = error_of(send(api_as(admin), "post", "/api/devices", body), 400)
    assert detail == f"cannot parse the body: JSON nested deeper than {MAX_JSON_DEPTH} levels"
    assert not Device.objects.exists()


def test_json_nested_within_the_limit_is_accepted(admin, api_as):
    value = nested(MAX_JSON_DEPTH - 2)  # the body object and custom_fields are two levels
    response = api_as(admin).post("/api/devices", json={"name": "r1", "host": "h", "platform": "linux",
                                                         "custom_fields": {"k": value}})
    assert response.status_code == 201, response.content
    assert Device.objects.get().custom_fields == {"k": value}


# --- long strings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/job-schedules", "/api/job-schedules/preview"])
def test_a_very_long_cron_expression_is_a_422_naming_cron_expr(admin, api_as, path):
    template = make_template("t1")
    before = row_counts()
    body = {"name": "s", "template_id": template.pk, "cron_expr": "*/5 " * 20_000}
    detail = error_of(api_as(admin).post(path, json=body), 422)
    assert detail[0]["loc"][-1] == "cron_expr" and "at most 256 characters" in detail[0]["msg"]
    assert row_counts() == before


@pytest.mark.parametrize(("path", "body"), [
    ("/api/devices", {"host": "192.0.2.1", "platform": "linux"}), ("/api/tags", {}), ("/api/locations", {}),
    ("/api/credentials", {}), ("/api/job-templates", {"job_type": "noop"}),
])
def test_a_very_long_name_is_a_422_naming_name(admin, api_as, path, body):
    before = row_counts()
    detail = error_of(api_as(admin).post(path, json={**body, "name": "n" * 100_000}), 422)
    assert detail[0]["loc"] == ["body", "payload", "name"] and "at most 100 characters" in detail[0]["msg"]
    assert row_counts() == before


def test_a_very_long_search_string_is_an_empty_result_not_an_error(admin, api_as):
    make_device("r1")
    response = api_as(admin).get("/api/devices", q="r" * 5000)
    assert response.status_code == 200 and response.json()["count"] == 0


# --- paging: one rule everywhere ---------------------------------------------------------------------

def test_every_paged_list_is_found_in_the_schema():
    assert {"/api/devices", "/api/job-runs", "/api/audit", "/api/job-runs/{run_id}/logs"} <= set(LISTS)


@pytest.mark.parametrize("path", LISTS)
def test_every_list_refuses_a_page_size_beyond_the_maximum_naming_it(admin, api_as, path):
    run = make_run(make_template("t1"), "failed")
    url = path.format(device_id=make_device("r1").pk, run_id=run.pk)
    for page_size in (MAX_PAGE_SIZE + 1, 10**9, 0):
        assert error_of(api_as(admin).get(url, page_size=page_size), 422).startswith("page_size:"), page_size
    assert api_as(admin).get(url, page_size=MAX_PAGE_SIZE).status_code in (200, 404)  # 404: no config yet


@pytest.mark.parametrize("path", LISTS)
def test_the_schema_documents_the_page_size_bounds(path):
    parameter = next(p for p in SCHEMA["paths"][path]["get"]["parameters"] if p["name"] == "page_size")
    assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, MAX_PAGE_SIZE)
    assert f"`page_size` (1 to {MAX_PAGE_SIZE}" in SCHEMA["info"]["description"]


# --- filters -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "name"), [
    ("/api/job-runs", "status"), ("/api/job-runs", "job_type"), ("/api/job-runs", "triggered_by"),
    ("/api/job-templates", "job_type"), ("/api/job-schedules", "kind"), ("/api/devices", "platform"),
    ("/api/devices", "state"), ("/api/job-runs/{run_id}/logs", "level"), ("/api/job-runs/{run_id}", "device_status"),
    ("/api/reachability/events", "new_state"), ("/api/reachability/events", "old_state"),
    ("/api/job-runs/dashboard/compare-devices", "status"),
])
def test_an_unknown_filter_value_is_a_422_naming_the_filter_not_an_empty_list(admin, api_as, path, name):
    run = make_run(make_template("t1"), "failed")
    make_logs(run, 2)
    url = path.format(run_id=run.pk)
    detail = error_of(api_as(admin).get(url, **{name: "bogus"}), 422)
    assert detail.startswith(f"{name}: unknown value(s) bogus; allowed:")
    assert error_of(api_as(admin).get(url, **{name: "failed,bogus"}), 422).startswith(f"{name}:")


def test_an_unknown_filter_value_names_the_allowed_ones(admin, api_as):
    detail = error_of(api_as(admin).get("/api/job-runs", status="bogus"), 422)
    assert detail == "status: unknown value(s) bogus; allowed: pending, running, completed, failed, cancelled"


def string_filters():
    for path, ops in SCHEMA["paths"].items():
        operation = ops.get("get")
        if operation is None or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if parameter["in"] == "query" and "string" in types and schema.get("format") != "date-time":
                yield path, parameter["name"]


@pytest.mark.parametrize(("path", "name"), list(string_filters()))
def test_sql_in_a_filter_is_an_empty_result_or_a_422_never_a_5xx(admin, api_as, path, name):
    device = make_device("r1", tags=["core"])
    run = make_run(make_template("t1"), "failed", results={device: "failed"})
    make_logs(run, 2)
    before = row_counts()
    for value in SQLISH:
        with transaction.atomic():
            response = api_as(admin).get(path, **{name: value})
        assert response.status_code in (200, 404, 422), (value, response.status_code, response.content[:300])
        body = response.json()
        if response.status_code == 200 and isinstance(body, dict) and "count" in body:
            assert body["count"] == 0, (value, body)
        elif response.status_code != 200:
            assert isinstance(body["detail"], str | list)
    assert row_counts() == before


# --- nothing stored half-way ---------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "body", "status"), [
    ("/api/devices", {"name": "r9", "host": "h", "platform": "linux", "tags": ["core", "missing"]}, 422),
    ("/api/devices", {"name": "r1", "host": "h", "platform": "linux", "tags": ["core"]}, 409),
    ("/api/job-templates", {"name": "t9", "job_type": "sleep", "params": {"seconds": "forever"}}, 422),
    ("/api/job-templates", {"name": "t9", "job_type": "noop", "credential_id": 999_999}, 422),
    ("/api/job-templates", {"name": "t1", "job_type": "noop"}, 409),
    ("/api/job-schedules", {"name": "s9", "template_id": "{template}", "cron_expr": "61 * * * *"}, 422),
    ("/api/job-schedules", {"name": "s9", "template_id": "{template}", "cron_expr": "* * * * *",
                            "param_overrides": {"nope": 1}}, 422),
    ("/api/notification-rules", {"name": "n9", "template_id": "{template}", "events": ["failure"],
                                 "channel": "email", "target": "not-an-address"}, 422),
    ("/api/job-templates/{template}/run", {"param_overrides": {"nope": 1}}, 422),
])
def test_a_rejected_write_stores_nothing(admin, api_as, path, body, status):
    make_device("r1", tags=["core"])
    template = make_template("t1")
    body = json.loads(json.dumps(body).replace('"{template}"', str(template.pk)))
    before = row_counts()
    with transaction.atomic():
        response = api_as(admin).post(path.format(template=template.pk), json=body)
    error_of(response, status)
    assert row_counts() == before
