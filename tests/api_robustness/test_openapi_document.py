"""The OpenAPI document names every error status the shared handlers answer, and links creates to reads."""

from __future__ import annotations

import pytest

from netcron.api import api

SCHEMA = api.get_openapi_schema(path_prefix="/api/")
OPERATIONS = [(f"{m.upper()} {p}", op) for p, ops in SCHEMA["paths"].items() for m, op in ops.items()]


def documented(op: dict) -> set[int]:
    return {int(code) for code in op["responses"]}


@pytest.mark.parametrize(("name", "op"), OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_every_operation_documents_the_errors_it_can_answer(name, op):
    params = op.get("parameters", [])
    expected = {422} if params or "requestBody" in op else set()
    if op.get("security"):
        expected |= {401, 403}
    if any(p["in"] == "path" for p in params):
        expected.add(404)
    if "requestBody" in op:
        expected |= {400, 413}
    if not name.startswith("GET "):
        expected.add(409)
    assert expected <= documented(op), f"{name} lacks {sorted(expected - documented(op))}"


def test_errors_are_documented_with_the_shape_the_handlers_send():
    error = SCHEMA["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    field_error = SCHEMA["components"]["schemas"]["FieldError"]
    assert set(field_error["required"]) == {"loc", "msg", "type"}
    body = SCHEMA["paths"]["/api/devices"]["post"]["responses"][422]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Error"}


def test_an_unauthenticated_health_check_documents_no_auth_errors():
    assert documented(SCHEMA["paths"]["/api/health"]["get"]) == {200, 503}


def test_a_create_links_to_the_operations_on_what_it_created():
    links = SCHEMA["paths"]["/api/devices"]["post"]["responses"][201]["links"]
    assert links["netcron_api_devices_get_device"] == {"operationId": "netcron_api_devices_get_device",
                                                       "parameters": {"device_id": "$response.body#/id"}}
    assert "netcron_api_devices_delete_device" in links
