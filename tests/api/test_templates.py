"""Job templates: types, CRUD, parameter validation, target preview, run now."""

from __future__ import annotations

import pytest

from netcron.jobs.models import JobRun, JobTemplate
from tests.api.conftest import make_credential, make_device, make_run, make_schedule, make_template

pytestmark = pytest.mark.django_db


def template_body(**overrides) -> dict:
    return {"name": "nightly", "job_type": "sleep", "params": {"seconds": 2}, "targets": {"all": True},
            **overrides}


def test_job_types_come_with_a_params_json_schema_and_a_queue(viewer, api_as):
    response = api_as(viewer).get("/api/job-templates/types")
    assert response.status_code == 200
    types = {t["name"]: t for t in response.json()}
    assert {"noop", "sleep", "cleanup_history", "worker_health"} <= set(types)
    for job_type in types.values():
        assert job_type["queue"] in ("default", "backup", "network", "heavy")
        assert job_type["params_schema"]["type"] == "object"
        assert job_type["label"]
    sleep = types["sleep"]["params_schema"]
    assert sleep["properties"]["seconds"]["minimum"] == 0
    assert sleep["additionalProperties"] is False


def test_creating_a_template_validates_params_and_fills_in_defaults(alice, api_as):
    response = api_as(alice).post("/api/job-templates", json=template_body(description="waits"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["params"] == {"seconds": 2.0, "steps": 10, "fail": False}
    assert body["targets"] == {"all": True}
    assert body["owner"] == "alice" and body["is_global"] is True
    assert body["queue"] == "" and body["effective_queue"] == "default"
    assert body["last_run_status"] is None
    assert JobTemplate.objects.get(pk=body["id"]).owner == alice


def test_a_template_can_be_read_updated_and_deleted(alice, api_as):
    api = api_as(alice)
    template = make_template("t1", owner=alice)
    assert api.get(f"/api/job-templates/{template.pk}").json()["name"] == "t1"
    updated = api.put(f"/api/job-templates/{template.pk}", json=template_body(name="t1", queue="heavy",
                                                                              max_retries=2))
    assert updated.status_code == 200, updated.content
    assert updated.json()["job_type"] == "sleep" and updated.json()["effective_queue"] == "heavy"
    assert updated.json()["max_retries"] == 2
    assert api.delete(f"/api/job-templates/{template.pk}").status_code == 204
    assert api.get(f"/api/job-templates/{template.pk}").status_code == 404


def test_the_template_list_filters_by_type_and_name_and_shows_the_last_run(alice, api_as):
    noop = make_template("backup-nightly")
    make_template("sleepy", job_type="sleep")
    make_run(noop, status="completed")
    make_run(noop, status="failed")
    api = api_as(alice)
    body = api.get("/api/job-templates", job_type="noop").json()
    assert [t["name"] for t in body["items"]] == ["backup-nightly"]
    assert body["items"][0]["last_run_status"] == "failed"
    assert [t["name"] for t in api.get("/api/job-templates", q="sleep").json()["items"]] == ["sleepy"]
    assert api.get("/api/job-templates", job_type="noop,sleep").json()["count"] == 2
    assert api.get(f"/api/job-templates/{noop.pk}").json()["last_run_status"] == "failed"


def test_an_unknown_job_type_filter_is_a_422(alice, api_as):
    response = api_as(alice).get("/api/job-templates", job_type="noop,telnet")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("job_type:")


def test_an_unknown_job_type_is_a_422_naming_job_type(alice, api_as):
    response = api_as(alice).post("/api/job-templates", json=template_body(job_type="telnet"))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("job_type:")
    assert not JobTemplate.objects.exists()


def test_a_bad_parameter_is_a_422_naming_params_and_the_parameter(alice, api_as):
    response = api_as(alice).post("/api/job-templates", json=template_body(params={"seconds": -1}))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "params", "seconds"]
    assert error["type"] == "greater_than_equal"


def test_an_unknown_parameter_is_a_422_because_params_forbid_extras(alice, api_as):
    response = api_as(alice).post("/api/job-templates", json=template_body(params={"secnds": 5}))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "params", "secnds"]
    assert error["type"] == "extra_forbidden"


def test_an_unknown_target_key_is_a_422(alice, api_as):
    response = api_as(alice).post("/api/job-templates", json=template_body(targets={"everything": True}))
    assert response.status_code == 422
    assert "everything" in response.json()["detail"][0]["loc"]


def test_an_unknown_queue_is_a_422_naming_queue(alice, api_as):
    response = api_as(alice).post("/api/job-templates", json=template_body(queue="urgent"))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("queue:")


def test_a_missing_credential_is_a_422_naming_credential_id(alice, api_as):
    response = api_as(alice).post("/api/job-templates", json=template_body(credential_id=999999))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("credential_id:")


def test_a_template_with_global_schedules_cannot_be_made_private(alice, api_as):
    template = make_template("t1", owner=alice)
    make_schedule(template, owner=alice)
    response = api_as(alice).put(f"/api/job-templates/{template.pk}",
                                 json=template_body(name="t1", is_global=False))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("is_global:")


def test_changing_the_job_type_is_refused_while_a_schedules_overrides_would_not_fit(alice, api_as):
    template = make_template("t1", job_type="sleep", params={"seconds": 1})
    make_schedule(template, name="fast", param_overrides={"seconds": 5})
    make_schedule(template, name="plain")
    api = api_as(alice)
    refused = api.put(f"/api/job-templates/{template.pk}", json=template_body(name="t1", job_type="noop", params={}))
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("params:") and "'fast'" in refused.json()["detail"]
    template.refresh_from_db()
    assert template.job_type == "sleep"
    allowed = api.put(f"/api/job-templates/{template.pk}", json=template_body(name="t1", params={"steps": 2}))
    assert allowed.status_code == 200, allowed.content


def test_the_target_preview_lists_the_active_devices_selected_now(alice, api_as):
    make_device("r1", role="core", tags=["berlin"])
    make_device("r2", role="core")
    make_device("r3", role="edge", tags=["berlin"])
    make_device("r4", role="core", tags=["berlin"], is_active=False)
    template = make_template("t1", targets={"roles": ["core"], "tags": ["berlin"], "devices": ["r2"]})
    response = api_as(alice).get(f"/api/job-templates/{template.pk}/targets")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [d["name"] for d in body["devices"]] == ["r1", "r2"]
    assert body["targets"] == {"devices": ["r2"], "tags": ["berlin"], "roles": ["core"]}


def test_an_empty_target_selection_selects_nothing(alice, api_as):
    make_device("r1")
    template = make_template("t1", targets={})
    assert api_as(alice).get(f"/api/job-templates/{template.pk}/targets").json()["count"] == 0


def test_a_digit_string_that_cannot_be_a_device_id_is_a_422(alice, api_as):
    for bad in ("²", "9" * 25):
        response = api_as(alice).post("/api/job-templates", json=template_body(targets={"devices": [bad]}))
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][-2:] == ["targets", "devices"]


def test_running_a_template_creates_a_pending_run_and_publishes_it(alice, api_as, published):
    template = make_template("t1", job_type="sleep", params={"seconds": 1}, owner=alice)
    with published():
        response = api_as(alice).post(f"/api/job-templates/{template.pk}/run",
                                      json={"param_overrides": {"seconds": 5}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["queue"] == "default"
    run = JobRun.objects.get(pk=body["run_id"])
    assert run.status == "pending"
    assert run.published_at is not None and run.celery_task_id
    assert run.triggered_by == "api" and run.requested_by == alice
    assert run.params == {"seconds": 5}
    assert run.template == template and run.is_global is True


def test_a_typo_in_the_run_body_is_a_422_and_runs_nothing(alice, api_as):
    template = make_template("t1", job_type="sleep")
    response = api_as(alice).post(f"/api/job-templates/{template.pk}/run", json={"params": {"seconds": 9}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "params"
    assert response.json()["detail"][0]["type"] == "extra_forbidden"
    assert not JobRun.objects.exists()


@pytest.mark.parametrize("body", ["[1]", '"now"', "42"])
def test_a_run_body_that_is_not_an_object_is_a_422_and_runs_nothing(alice, api_as, body):
    template = make_template("t1")
    api = api_as(alice)
    response = api.client.post(f"/api/job-templates/{template.pk}/run", data=body, content_type="application/json",
                               headers=api.headers)
    assert response.status_code == 422
    assert not JobRun.objects.exists()


def test_target_device_ids_may_be_sent_as_numbers(alice, api_as):
    device = make_device("r1")
    response = api_as(alice).post("/api/job-templates", json=template_body(targets={"devices": [device.pk, "r2"]}))
    assert response.status_code == 201, response.content
    assert response.json()["targets"] == {"devices": [str(device.pk), "r2"]}


def test_running_a_template_without_a_body_uses_its_params(alice, api_as, published):
    template = make_template("t1", job_type="sleep", params={"seconds": 3})
    api = api_as(alice)
    with published():
        response = api.client.post(f"/api/job-templates/{template.pk}/run", data="",
                                   content_type="application/json", headers=api.headers)
    assert response.status_code == 201, response.content
    run = JobRun.objects.get(pk=response.json()["run_id"])
    assert run.params == {"seconds": 3} and run.published_at is not None


def test_running_with_a_bad_override_is_a_422_naming_the_parameter_and_creates_no_run(alice, api_as):
    template = make_template("t1", job_type="sleep")
    response = api_as(alice).post(f"/api/job-templates/{template.pk}/run",
                                  json={"param_overrides": {"seconds": -1}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "param_overrides", "seconds"]
    assert not JobRun.objects.exists()


def test_running_with_a_credential_override_uses_it(alice, api_as, published):
    template = make_template("t1", credential=make_credential("default"))
    other = make_credential("other")
    with published():
        response = api_as(alice).post(f"/api/job-templates/{template.pk}/run", json={"credential_id": other.pk})
    assert JobRun.objects.get(pk=response.json()["run_id"]).credential == other


def test_running_with_a_missing_credential_is_a_422_naming_credential_id(alice, api_as):
    template = make_template("t1")
    response = api_as(alice).post(f"/api/job-templates/{template.pk}/run", json={"credential_id": 999999})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("credential_id:")
    assert not JobRun.objects.exists()


def test_running_a_private_template_makes_a_private_run_of_the_owner(alice, api_as, published):
    template = make_template("mine", owner=alice, is_global=False)
    with published():
        run_id = api_as(alice).post(f"/api/job-templates/{template.pk}/run").json()["run_id"]
    run = JobRun.objects.get(pk=run_id)
    assert run.is_global is False and run.owner == alice


def test_deleting_a_template_keeps_its_runs(alice, api_as):
    template = make_template("t1")
    run = make_run(template, status="completed")
    assert api_as(alice).delete(f"/api/job-templates/{template.pk}").status_code == 204
    run.refresh_from_db()
    assert run.template is None and run.job_name == "t1"


def test_deleting_a_template_that_schedules_use_is_refused_with_409(api_as, alice, bob):
    from netcron.jobs.models import JobSchedule, JobTemplate

    template = JobTemplate.objects.create(name="shared", job_type="noop", owner=alice)
    JobSchedule.objects.create(name="bobs private", template=template, is_global=False, owner=bob,
                               cron_expr="* * * * *")
    response = api_as(alice).delete(f"/api/job-templates/{template.pk}")
    assert response.status_code == 409
    assert "used by 1 schedule" in response.json()["detail"]
    assert JobTemplate.objects.filter(pk=template.pk).exists()
