"""Every route in the OpenAPI schema, called as a superuser with junk: no response may be a 5xx."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.db import transaction

from netcron.api import api
from tests.api.conftest import (
    make_credential,
    make_device,
    make_location,
    make_logs,
    make_run,
    make_schedule,
    make_template,
)

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema(path_prefix="/api/")  # an explicit prefix: no URL reversing at import
OPERATIONS = [(method.upper(), path, op) for path, ops in SCHEMA["paths"].items() for method, op in ops.items()]

JUNK_VALUES = [None, -1, 2**63, "", "x", "a\x00b", [], {"devices": ["²", "9" * 30], "seconds": 1e308},
               "9999-12-31T23:59:59-05:00", True]
JUNK_QUERY = ["", "x", "-1", "0", str(2**64), "a,,b", "a\x00b", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00"]
JUNK_BODIES = [None, "", "{", "[]", "null", '"x"', "{}", '{"name": {"$gt": ""}}']


@pytest.fixture
def world(admin):
    """One object of each kind, so routes with a real id get past the lookup with junk bodies."""
    parent = make_location("Europe")
    location = make_location("Berlin", parent=parent)
    credential = make_credential("lab", password="pw-123")
    device = make_device("r1", location=location, credential=credential, tags=["core"])
    template = make_template("sleepy", job_type="sleep", params={"seconds": 1}, owner=admin,
                             targets={"devices": [str(device.pk)]})
    schedule = make_schedule(template, owner=admin)
    run = make_run(template, "failed", results={device: "failed"}, schedule=schedule)
    make_logs(run, 3)
    return {"device_id": device.pk, "location_id": location.pk, "tag_id": device.tags.get().pk,
            "credential_id": credential.pk, "template_id": template.pk, "schedule_id": schedule.pk,
            "run_id": run.pk, "tag": "core", "parent_id": parent.pk, "commit": "latest"}


def base_bodies(world: dict) -> dict[str, dict]:
    """A valid body per request schema; each junk body changes one field of it."""
    return {
        "DeviceIn": {"name": "fz-dev", "host": "192.0.2.99", "platform": "linux", "location_id": world["location_id"],
                     "credential_id": world["credential_id"], "tags": [world["tag"]]},
        "LocationIn": {"name": "fz-loc", "parent_id": world["parent_id"]},
        "TagIn": {"name": "fz-tag", "color": "#00ff00"},
        "CredentialIn": {"name": "fz-cred", "password": "pw", "snmp_version": "3"},
        "TemplateIn": {"name": "fz-tpl", "job_type": "sleep", "params": {"seconds": 1},
                       "targets": {"devices": [str(world["device_id"])]}, "credential_id": world["credential_id"]},
        "ScheduleIn": {"name": "fz-sched", "template_id": world["template_id"], "cron_expr": "*/5 * * * *",
                       "credential_id": world["credential_id"], "param_overrides": {"seconds": 2}},
        "PreviewIn": {"cron_expr": "30 2 * * *", "timezone": "Europe/Berlin", "count": 3},
        "RunNowIn": {"param_overrides": {"seconds": 2}, "credential_id": world["credential_id"]},
    }


def body_schema_name(op: dict) -> str | None:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    ref = schema.get("$ref") or next((s.get("$ref") for s in schema.get("anyOf", []) if "$ref" in s), "")
    return ref.rsplit("/", 1)[-1] or "inline"


def request_bodies(op: dict, world: dict, mutate: bool):
    name = body_schema_name(op)
    if name is None:
        yield None
        return
    yield from JUNK_BODIES
    base = base_bodies(world).get(name, {})
    yield json.dumps(base)
    if not mutate:  # a missing object: the lookup answers before the body matters
        return
    fields = SCHEMA["components"]["schemas"].get(name, {}).get("properties", {})
    for field in fields:
        for value in JUNK_VALUES:
            yield json.dumps({**base, field: value})


def paths_for(path: str, op: dict, world: dict):
    names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
    if not names:
        yield path, True
        return
    for choice in ("real", 0, 999999, 2**70):
        filled = path
        for name in names:
            real = world.get(name, 1)  # routes added later: id 1 exists for most (e.g. the first audit entry)
            filled = filled.replace("{" + name + "}", str(real if choice == "real" else choice))
        yield filled, choice == "real"


def query_variants(op: dict):
    yield {}
    for param in (p["name"] for p in op.get("parameters", []) if p["in"] == "query"):
        for value in JUNK_QUERY:
            yield {param: value}


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_no_route_answers_junk_with_a_server_error(admin, api_as, world, method, path, op):
    client = api_as(admin)
    failures = []
    for url, real in paths_for(path, op, world):
        for query in query_variants(op) if real else [{}]:
            bodies = request_bodies(op, world, mutate=real) if not query else [None]
            for body in bodies:
                target = f"{url}?{urlencode(query)}" if query else url
                kwargs = {"headers": client.headers}
                if body is not None:
                    kwargs.update(data=body, content_type="application/json")
                with transaction.atomic():  # each call alone: a failed statement must not poison the next
                    response = client.client.generic(method, target, **kwargs)
                    transaction.set_rollback(True)
                if response.status_code >= 500:
                    failures.append(f"{method} {target} {body!r:.200} -> {response.status_code} "
                                    f"{response.content[:200]!r}")
    assert not failures, "\n".join(failures[:20])


def test_every_router_is_covered_by_the_schema():
    paths = {path for _, path, _ in OPERATIONS}
    for prefix in ("/api/devices", "/api/locations", "/api/tags", "/api/credentials", "/api/job-templates",
                   "/api/job-schedules", "/api/job-runs", "/api/workers", "/api/health"):
        assert prefix in paths
    assert len(OPERATIONS) >= 40
