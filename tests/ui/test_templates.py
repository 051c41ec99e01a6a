"""Job template pages: list, the generated parameter form, create/edit/delete and run now."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import pytest
from pydantic import Field

from netcron.executors.base import JobType, Params
from netcron.jobs.models import JobRun, JobTemplate
from netcron.ui.forms.params import ParamsForm, fields_from_schema
from tests.ui.conftest import make_device, make_run, make_schedule, make_template, queries_for

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {"name": "backup core", "description": "", "job_type": "sleep", "scope": "global", "queue": "",
            "credential": "", "timeout_seconds": "600", "max_retries": "1", "max_concurrent_runs": "0",
            "target_all": "on", "param__seconds": "2", "param__steps": "4"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_list_shows_type_queue_scope_and_last_run_state(alice, client_for):
    template = make_template("nightly", job_type="sleep", owner=alice, queue="heavy")
    make_run(template, "failed")
    body = client_for(alice).get("/templates/").content.decode()
    assert "nightly" in body and "sleep" in body and "heavy" in body and "(override)" in body
    assert "global" in body and "failed" in body


def test_the_list_filters_by_search_type_and_scope(alice, client_for):
    make_template("core backup", job_type="sleep", owner=alice)
    make_template("edge touch", job_type="noop", owner=alice, is_global=False)
    client = client_for(alice)
    assert b"edge touch" not in client.get("/templates/?q=core").content
    assert b"core backup" not in client.get("/templates/?job_type=noop").content
    body = client.get("/templates/?scope=private").content
    assert b"edge touch" in body and b"core backup" not in body


def test_the_list_runs_the_same_number_of_queries_for_5_and_50_templates(alice, client_for):
    client = client_for(alice)
    for i in range(5):
        make_run(make_template(f"t{i}", owner=alice), "completed")
    few = queries_for(client, "/templates/")
    for i in range(5, 50):
        make_run(make_template(f"t{i}", owner=alice), "completed")
    assert queries_for(client, "/templates/") == few


def test_the_new_template_form_is_generated_from_the_type_schema(alice, client_for):
    body = client_for(alice).get("/templates/new?job_type=sleep").content.decode()
    assert 'name="param__seconds"' in body and 'type="number"' in body and 'step="any"' in body
    assert 'name="param__steps"' in body and 'step="1"' in body and 'min="1"' in body
    assert 'name="param__fail"' in body and 'type="checkbox"' in body
    assert "How long to sleep in total" in body  # descriptions are help text
    assert 'for="id_param__seconds"' in body  # every input has a label


def test_changing_the_type_swaps_in_that_types_parameter_fields(alice, client_for):
    body = client_for(alice).get("/templates/params?job_type=noop").content.decode()
    assert 'name="param__message"' in body and 'name="param__fail_devices"' in body and "One per line" in body
    assert "param__seconds" not in body


def test_creating_a_template_saves_validated_params_targets_and_owner(alice, client_for):
    make_device("r1", tags=["core"], location="Berlin", role="core")
    response = client_for(alice).post("/templates/new", form_data(
        target_all=None, target_tags=["core"], target_locations=["Berlin"], queue="heavy"))
    template = JobTemplate.objects.get(name="backup core")
    assert response.status_code == 302 and response["Location"] == f"/templates/{template.pk}/"
    assert template.params == {"seconds": 2.0, "steps": 4, "fail": False}
    assert template.targets == {"tags": ["core"], "locations": ["Berlin"]}
    assert template.owner == alice and template.queue == "heavy" and template.max_retries == 1


def test_devices_are_stored_by_id_and_shown_selected_when_editing(alice, client_for):
    device = make_device("r1")
    client = client_for(alice)
    client.post("/templates/new", form_data(target_all=None, target_devices=[str(device.pk)]))
    template = JobTemplate.objects.get(name="backup core")
    assert template.targets == {"devices": [str(device.pk)]}
    body = client.get(f"/templates/{template.pk}/edit").content.decode()
    assert f'<option value="{device.pk}" selected>r1</option>' in body
    assert '<span class="tag">r1</span>' in client.get(f"/templates/{template.pk}/").content.decode()


def test_a_parameter_the_model_rejects_shows_pydantics_message_next_to_that_field(alice, client_for):
    response = client_for(alice).post("/templates/new", form_data(**{"param__seconds": "-1", "param__steps": "x"}))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_param__seconds_error"' in body and "greater than or equal to 0" in body
    assert 'id="id_param__steps_error"' in body and "valid integer" in body
    assert 'value="-1"' in body  # the user's input is kept
    assert not JobTemplate.objects.exists()


def test_plain_field_errors_are_shown_inline_too(alice, client_for):
    make_template("backup core")
    response = client_for(alice).post("/templates/new", form_data(timeout_seconds="0", queue="nope"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "Ensure this value is greater than or equal to 1" in body
    assert "Select a valid choice" in body
    response = client_for(alice).post("/templates/new", form_data())
    assert "a template with this name already exists" in response.content.decode()


def test_a_list_parameter_is_entered_one_value_per_line(alice, client_for):
    client_for(alice).post("/templates/new", form_data(job_type="noop", **{
        "param__message": "hi", "param__fail_devices": "r1\n\n r2 \n"}))
    assert JobTemplate.objects.get().params == {"message": "hi", "fail_devices": ["r1", "r2"]}


def test_editing_keeps_the_owner_and_applies_the_apis_rules(alice, bob, client_for):
    template = make_template("nightly", job_type="sleep", owner=alice, params={"seconds": 3})
    make_schedule(template, "global schedule", owner=alice)
    client = client_for(bob)
    form = client.get(f"/templates/{template.pk}/edit").content.decode()
    assert 'value="3.0"' in form or 'value="3"' in form
    response = client.post(f"/templates/{template.pk}/edit", form_data(name="nightly", scope="private"))
    assert response.status_code == 422
    assert "the template has global schedules" in response.content.decode()
    response = client.post(f"/templates/{template.pk}/edit", form_data(name="nightly 2"))
    template.refresh_from_db()
    assert response.status_code == 302 and template.name == "nightly 2" and template.owner == alice


def test_deleting_asks_first_and_keeps_the_runs(alice, client_for):
    template = make_template("old", owner=alice)
    run = make_run(template, "completed")
    client = client_for(alice)
    assert b"Delete template" in client.get(f"/templates/{template.pk}/delete").content
    response = client.post(f"/templates/{template.pk}/delete")
    assert response.status_code == 302 and response["Location"] == "/templates/"
    assert not JobTemplate.objects.exists()
    assert JobRun.objects.filter(pk=run.pk).exists()


def test_run_now_launches_a_run_and_opens_it(alice, client_for, published):
    template = make_template("touch", owner=alice)
    with published():
        response = client_for(alice).post(f"/templates/{template.pk}/run")
    run = JobRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    assert run.triggered_by == "manual" and run.requested_by == alice
    assert run.published_at is not None


def test_run_now_with_params_the_type_no_longer_accepts_explains_instead_of_crashing(alice, client_for):
    template = make_template("broken", job_type="sleep", owner=alice, params={"seconds": -5})
    response = client_for(alice).post(f"/templates/{template.pk}/run", follow=True)
    assert b"the parameters are invalid" in response.content
    assert not JobRun.objects.exists()


def test_the_detail_page_shows_params_targets_schedules_and_runs(alice, client_for):
    make_device("r1")
    template = make_template("touch", owner=alice, params={"message": "hello"})
    make_schedule(template, "every 5")
    make_run(template, "completed")
    body = client_for(alice).get(f"/templates/{template.pk}/").content.decode()
    assert "hello" in body and "All active devices" in body and "Selects 1 device right now" in body
    assert "every 5" in body and "completed" in body


class Mode(StrEnum):
    FAST = "fast"
    SAFE = "safe"


class RichParams(Params):
    label: str = Field("x", max_length=10, description="A label")
    count: int = Field(3, ge=1, le=9)
    ratio: float = 0.5
    verbose: bool = True
    mode: Mode = Mode.SAFE
    style: Literal["a", "b"] = "a"
    hosts: list[str] = Field(default_factory=list)
    note: str | None = None
    extra: dict = Field(default_factory=dict)


RICH = JobType(name="rich", label="Rich", description="", queue="default", params=RichParams,
               execute=lambda ctx, params: None)


def test_every_schema_type_gets_a_fitting_widget():
    kinds = {f.name: f.kind for f in fields_from_schema(RichParams.model_json_schema())}
    assert kinds == {"label": "text", "count": "integer", "ratio": "number", "verbose": "boolean", "mode": "enum",
                     "style": "enum", "hosts": "lines", "note": "text", "extra": "json"}
    fields = {f.name: f for f in fields_from_schema(RichParams.model_json_schema())}
    assert fields["mode"].choices == ["fast", "safe"] and fields["mode"].default == "safe"
    assert fields["count"].attrs == {"step": "1", "min": 1, "max": 9}
    assert fields["label"].help == "A label" and fields["label"].attrs == {"maxlength": 10}
    assert fields["note"].nullable


def test_the_generated_form_converts_and_validates_with_the_pydantic_model():
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.update({"param__label": "ok", "param__count": "4", "param__ratio": "0.25", "param__mode": "fast",
                 "param__style": "b", "param__hosts": "a\nb", "param__note": "", "param__extra": '{"k": 1}'})
    form = ParamsForm(RICH, data=data)
    assert form.is_valid(), [f.errors for f in form.fields]
    assert form.cleaned == {"label": "ok", "count": 4, "ratio": 0.25, "verbose": False, "mode": "fast",
                            "style": "b", "hosts": ["a", "b"], "note": None, "extra": {"k": 1}}


def test_the_generated_form_reports_bad_json_and_enum_values_on_their_fields():
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.update({"param__mode": "turbo", "param__extra": "{nope", "param__count": "", "param__label": "x" * 11})
    form = ParamsForm(RICH, data=data)
    assert not form.is_valid()
    errors = {f.name: f.errors for f in form.fields if f.errors}
    assert "extra" in errors and "not valid JSON" in errors["extra"][0]
    data["param__extra"] = "{}"
    form = ParamsForm(RICH, data=data)
    assert not form.is_valid()
    errors = {f.name: f.errors for f in form.fields if f.errors}
    assert set(errors) == {"mode", "label"}  # an empty number falls back to its default
    assert "fast" in errors["mode"][0] and "at most 10 characters" in errors["label"][0]
