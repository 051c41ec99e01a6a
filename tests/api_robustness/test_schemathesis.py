"""schemathesis over /api/openapi.json against a live server: no 5xx, every response as documented.

Every operation gets valid and invalid (negative) examples, with generated ids and with ids of real objects,
as a superuser and as an operator; then a stateful run follows the schema's create → read/update/delete links.
Hypothesis is derandomized and does not shrink: the run is the same each time and bounded.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from netcron.accounts.models import ApiToken
from netcron.jobs.models import JobRun
from tests.api.conftest import make_credential, make_device, make_location, make_logs
from tests.factories import make_run, make_schedule, make_template

pytestmark = [pytest.mark.django_db(transaction=True)]

# negative_data_rejection is left out on purpose: it counts `?actor=a&actor=b` (the last one wins, as in
# any Django view) and a Unix time for a date-time query parameter (pydantic accepts both) as accepted
# invalid input. Invalid input is still generated and must get a documented 4xx, never a 5xx.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def bounded(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def seed(owner) -> dict[str, int | str]:
    """One object of each kind, owned by `owner`: operations with a real id get past the lookup."""
    location = make_location("Berlin", parent=make_location("Europe"))
    credential = make_credential("lab", password="pw-123")
    device = make_device("r1", location=location, credential=credential, tags=["core"])
    template = make_template("sleepy", job_type="sleep", params={"seconds": 1}, owner=owner,
                             targets={"devices": [str(device.pk)]})
    schedule = make_schedule(template, owner=owner)
    run = make_run(template, "failed", results={device: "failed"}, schedule=schedule)
    make_logs(run, 3)
    return {"device_id": device.pk, "location_id": location.pk, "tag_id": device.tags.get().pk,
            "credential_id": credential.pk, "template_id": template.pk, "schedule_id": schedule.pk,
            "run_id": run.pk, "commit": "latest", "entry_id": 1}


def load(base_url: str):
    return schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")


def fuzz(base_url: str, token: str, ids: dict, examples: int) -> list[str]:
    """Run every operation; the failures of all of them, one entry per operation."""
    headers = {"Authorization": f"Bearer {token}"}
    failures = []
    for result in load(base_url).get_all_operations():
        operation = result.ok()
        real = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
        strategies = [operation.as_strategy(mode) for mode in MODES]
        if real:
            strategies += [operation.as_strategy(mode, path_parameters=real) for mode in MODES]

        @bounded(examples)
        @given(case=st.one_of(strategies))
        def check(case):
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a BaseExceptionGroup
            failures.append(f"{operation.label}: {exc}")
    return failures


def test_every_operation_answers_as_documented_for_a_superuser(live_server_url, admin):
    _, token = ApiToken.issue(admin)
    failures = fuzz(live_server_url, token, seed(admin), examples=20)
    assert not failures, "\n\n".join(failures)


def test_every_operation_answers_as_documented_for_an_operator(live_server_url, admin, alice):
    _, token = ApiToken.issue(alice)
    failures = fuzz(live_server_url, token, seed(admin), examples=6)
    assert not failures, "\n\n".join(failures)


def linked(schema) -> list[tuple]:
    """(create operation, [(linked operation, its id parameter), ...]) for each create with links."""
    by_id = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        by_id[operation.definition.raw.get("operationId")] = operation
    chains = []
    for operation in by_id.values():
        links = operation.definition.raw["responses"].get("201", {}).get("links", {})
        follows = [(by_id[link["operationId"]], next(iter(link["parameters"]))) for link in links.values()]
        if follows:  # deletes last, so everything before them finds the object
            chains.append((operation, sorted(follows, key=lambda f: f[0].method.upper() == "DELETE")))
    return chains


def follow_links(base_url: str, headers: dict, create, follows: list) -> None:
    """Create with generated data, then call each linked operation (generated too) on the new object."""

    # Everything is drawn before the first call: generation never depends on the server's answers.
    @bounded(6)
    @given(first=create.as_strategy(), then=st.tuples(*(op.as_strategy(path_parameters={name: 0})
                                                        for op, name in follows)))
    def check(first, then):
        created = first.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
        if created.status_code != 201:
            return
        for case, (_, name) in zip(then, follows, strict=True):
            case.path_parameters[name] = created.json()["id"]
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    check()


def test_create_then_use_sequences_follow_the_links_and_answer_as_documented(live_server_url, admin):
    """Each create followed by every operation its 201 links to, on the object it created."""
    _, token = ApiToken.issue(admin)
    seed(admin)
    headers = {"Authorization": f"Bearer {token}"}
    chains = linked(load(live_server_url))
    assert len(chains) >= 7  # devices, locations, tags, credentials, templates, schedules, rules
    failures = []
    for create, follows in chains:
        try:
            follow_links(live_server_url, headers, create, follows)
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{create.label} and its links: {exc}")
    assert not failures, "\n\n".join(failures)
    assert not JobRun.objects.filter(status="running").exists()
