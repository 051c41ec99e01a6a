"""Every API operation, for every kind of caller, on a global object and on another user's private one.

The operations come from the OpenAPI schema, so a new endpoint is tested from the day it is added — and
this test fails, naming it, until RULES says who may call it.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from netcron.api import api
from netcron.audit.models import AuditEntry
from netcron.notifications.models import NotificationRule
from tests.api.conftest import make_credential, make_device, make_location, make_logs, make_run, make_schedule
from tests.factories import make_template

pytestmark = pytest.mark.django_db

SCHEMA = api.get_openapi_schema(path_prefix="/api/")
OPERATIONS = sorted(f"{method.upper()} {path}" for path, ops in SCHEMA["paths"].items() for method in ops)
ACTORS = ("anonymous", "no_permission", "viewer", "operator", "owner", "superuser")
OK = "ok"  # anything but 401, 403, 5xx or a "... not found" 404 for the object: the caller got in

# Who gets in, per rule: actor → (outcome on a global object, outcome on alice's private object).
# The operator is bob; the owner is alice, who owns the private objects; lists and creates have no object.
KINDS: dict[str, dict[str, tuple]] = {
    "public": dict.fromkeys(ACTORS, (OK, OK)),
    "inventory:read": {"anonymous": (401, 401), "no_permission": (403, 403), "viewer": (OK, OK),
                       "operator": (OK, OK), "owner": (OK, OK), "superuser": (OK, OK)},
    "inventory:write": {"anonymous": (401, 401), "no_permission": (403, 403), "viewer": (403, 403),
                        "operator": (OK, OK), "owner": (OK, OK), "superuser": (OK, OK)},
    "jobs:read": {"anonymous": (401, 401), "no_permission": (403, 403), "viewer": (OK, OK),
                  "operator": (OK, OK), "owner": (OK, OK), "superuser": (OK, OK)},
    "jobs:write": {"anonymous": (401, 401), "no_permission": (403, 403), "viewer": (403, 403),
                   "operator": (OK, OK), "owner": (OK, OK), "superuser": (OK, OK)},
    "read own or global": {"anonymous": (401, 401), "no_permission": (403, 403), "viewer": (OK, 404),
                           "operator": (OK, 404), "owner": (OK, OK), "superuser": (OK, OK)},
    "change own or global": {"anonymous": (401, 401), "no_permission": (403, 403), "viewer": (403, 403),
                             "operator": (OK, 404), "owner": (OK, OK), "superuser": (OK, OK)},
    "superuser": {"anonymous": (401, 401), "no_permission": (403, 403), "viewer": (403, 403),
                  "operator": (403, 403), "owner": (403, 403), "superuser": (OK, OK)},
}

RULES = {
    "GET /api/health": "public",
    # inventory
    "GET /api/devices": "inventory:read", "POST /api/devices": "inventory:write",
    "GET /api/devices/{device_id}": "inventory:read", "PUT /api/devices/{device_id}": "inventory:write",
    "DELETE /api/devices/{device_id}": "inventory:write", "GET /api/devices/{device_id}/status": "inventory:read",
    "GET /api/locations": "inventory:read", "POST /api/locations": "inventory:write",
    "GET /api/locations/{location_id}": "inventory:read", "PUT /api/locations/{location_id}": "inventory:write",
    "DELETE /api/locations/{location_id}": "inventory:write",
    "GET /api/tags": "inventory:read", "POST /api/tags": "inventory:write", "GET /api/tags/{tag_id}": "inventory:read",
    "PUT /api/tags/{tag_id}": "inventory:write", "DELETE /api/tags/{tag_id}": "inventory:write",
    "GET /api/credentials": "inventory:read", "POST /api/credentials": "inventory:write",
    "GET /api/credentials/{credential_id}": "inventory:read",
    "PUT /api/credentials/{credential_id}": "inventory:write",
    "DELETE /api/credentials/{credential_id}": "inventory:write",
    "GET /api/sources/csv": "inventory:read", "POST /api/sources/csv": "inventory:write",
    "GET /api/monitoring/prometheus-targets": "inventory:read",
    "GET /api/devices/{device_id}/reachability": "inventory:read", "GET /api/reachability/summary": "inventory:read",
    "GET /api/reachability/events": "inventory:read", "GET /api/reachability/discovered": "inventory:read",
    "GET /api/devices/{device_id}/configs": "inventory:read",
    "GET /api/devices/{device_id}/configs/diff": "inventory:read",
    "GET /api/devices/{device_id}/configs/{commit}": "inventory:read", "GET /api/configs/search": "inventory:read",
    "GET /api/host-keys": "inventory:read", "PUT /api/host-keys/devices/{device_id}": "inventory:write",
    "DELETE /api/host-keys/devices/{device_id}": "inventory:write",
    # job templates
    "GET /api/job-templates/types": "jobs:read", "GET /api/job-templates": "jobs:read",
    "POST /api/job-templates": "jobs:write", "GET /api/job-templates/{template_id}": "read own or global",
    "PUT /api/job-templates/{template_id}": "change own or global",
    "DELETE /api/job-templates/{template_id}": "change own or global",
    "GET /api/job-templates/{template_id}/targets": "read own or global",
    "POST /api/job-templates/{template_id}/run": "change own or global",
    # job schedules
    "POST /api/job-schedules/preview": "jobs:read", "GET /api/job-schedules": "jobs:read",
    "POST /api/job-schedules": "jobs:write", "GET /api/job-schedules/{schedule_id}": "read own or global",
    "PUT /api/job-schedules/{schedule_id}": "change own or global",
    "DELETE /api/job-schedules/{schedule_id}": "change own or global",
    "POST /api/job-schedules/{schedule_id}/execute": "change own or global",
    "POST /api/job-schedules/{schedule_id}/toggle": "change own or global",
    "GET /api/job-schedules/{schedule_id}/preview": "read own or global",
    # job runs
    "GET /api/job-runs/dashboard/compare-devices": "jobs:read", "GET /api/job-runs": "jobs:read",
    "GET /api/job-runs/recent": "jobs:read", "GET /api/job-runs/templates": "jobs:read",
    "GET /api/job-runs/{run_id}": "read own or global", "DELETE /api/job-runs/{run_id}": "change own or global",
    "GET /api/job-runs/{run_id}/logs": "read own or global",
    "POST /api/job-runs/{run_id}/cancel": "change own or global",
    "POST /api/job-runs/{run_id}/retry": "change own or global",
    "GET /api/workers": "jobs:read",
    # notification rules
    "GET /api/notification-rules": "jobs:read", "POST /api/notification-rules": "jobs:write",
    "GET /api/notification-rules/{rule_id}": "read own or global",
    "PUT /api/notification-rules/{rule_id}": "change own or global",
    "DELETE /api/notification-rules/{rule_id}": "change own or global",
    # system
    "GET /api/settings": "jobs:read", "PUT /api/settings": "superuser",
    "GET /api/audit": "superuser", "GET /api/audit/{entry_id}": "superuser",
}

QUERY = {"GET /api/configs/search": {"q": "hostname"}}  # required query parameters


def bodies(ids: dict) -> dict[str, dict]:
    """A valid body per request schema (validation runs before permission checks, so it must pass)."""
    return {
        "DeviceIn": {"name": "mx-dev", "host": "192.0.2.99", "platform": "linux"},
        "LocationIn": {"name": "mx-loc"},
        "TagIn": {"name": "mx-tag"},
        "CredentialIn": {"name": "mx-cred"},
        "TemplateIn": {"name": "mx-tpl", "job_type": "noop", "is_global": False},
        "ScheduleIn": {"name": "mx-sched", "template_id": ids["global_template"], "cron_expr": "*/5 * * * *"},
        "PreviewIn": {"cron_expr": "30 2 * * *"},
        "RuleIn": {"name": "mx-rule", "template_id": ids["global_template"], "events": ["failure"],
                   "channel": "email", "target": "ops@example.net"},
        "SettingsIn": {},
        "PinIn": {"key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"},
        "inline": {},
    }


def body_schema(op: dict) -> str | None:
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    return schema.get("$ref", "inline").rsplit("/", 1)[-1]


@pytest.fixture
def world(make_user, alice, bob, charlie, viewer, admin):
    """Global objects (of root) and alice's private template, schedule, run and notification rule."""
    device = make_device("r1", location=make_location("Berlin"), credential=make_credential("lab"), tags=["core"])
    public = make_template("everyone", owner=admin)
    private = make_template("alice-only", owner=alice, is_global=False)
    ids = {"device_id": device.pk, "location_id": device.location_id, "tag_id": device.tags.get().pk,
           "credential_id": device.credential_id, "commit": "latest", "global_template": public.pk}
    for scope, template in (("global", public), ("private", private)):
        schedule = make_schedule(template, name=f"{scope}-nightly", owner=template.owner,
                                 is_global=template.is_global)
        run = make_run(template, "failed", results={device: "failed"}, schedule=schedule)
        make_logs(run, 2)
        rule = NotificationRule.objects.create(name=f"{scope}-rule", template=template, owner=template.owner,
                                               channel="email", target="ops@example.net", on_failure=True)
        ids[scope] = {"template_id": template.pk, "schedule_id": schedule.pk, "run_id": run.pk, "rule_id": rule.pk}
    ids["entry_id"] = AuditEntry.objects.order_by("id").first().pk
    users = {"anonymous": None, "no_permission": charlie, "viewer": viewer, "operator": bob, "owner": alice,
             "superuser": admin}
    return ids, users


def outcome(response) -> str | int:
    if response.status_code in (401, 403) or response.status_code >= 500:
        return response.status_code
    if response.status_code == 404 and str(response.json().get("detail", "")).endswith(" not found"):
        return 404
    return OK


def test_every_operation_has_an_authorization_rule():
    missing = [op for op in OPERATIONS if op not in RULES]
    assert not missing, f"add these operations to RULES in {__file__}: {', '.join(missing)}"
    stale = sorted(set(RULES) - set(OPERATIONS))
    assert not stale, f"RULES names operations that no longer exist: {', '.join(stale)}"
    assert set(RULES.values()) <= set(KINDS)


def test_every_operation_answers_each_caller_as_its_rule_says(world, api_as):
    ids, users = world
    clients = {actor: api_as(user) for actor, user in users.items()}
    payloads = bodies(ids)
    wrong = []
    for operation in OPERATIONS:
        kind = RULES.get(operation)
        if kind is None:
            continue  # reported by the test above
        method, path = operation.split(" ", 1)
        op = SCHEMA["paths"][path][method.lower()]
        body = body_schema(op)
        for scope in ("global", "private"):
            url = path.format(**{**ids, **ids[scope]})
            for actor in ACTORS:
                expected = KINDS[kind][actor][scope == "private"]
                client = clients[actor]
                kwargs = {"headers": client.headers}
                if body is not None:
                    kwargs.update(data=json.dumps(payloads[body]), content_type="application/json")
                elif QUERY.get(operation):
                    kwargs["QUERY_STRING"] = "&".join(f"{k}={v}" for k, v in QUERY[operation].items())
                with transaction.atomic():  # each call on the same world: what one deletes, the next still has
                    response = client.client.generic(method, url, **kwargs)
                    transaction.set_rollback(True)
                got = outcome(response)
                if got != expected:
                    wrong.append(f"{operation} as {actor} on a {scope} object: expected {expected}, got "
                                 f"{response.status_code} {response.content[:150]!r}")
                elif got == 403:
                    detail = response.json()["detail"]
                    assert detail.startswith(("permission ", "only the owner")), (operation, actor, detail)
    assert not wrong, f"{len(wrong)} wrong answers:\n" + "\n".join(wrong)
