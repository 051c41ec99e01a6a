"""The OpenAPI document, completed: every error status a route can answer, paging bounds, and links.

Routes declare only their success responses; the errors come from handlers shared by all of them
(netcron/api/__init__.py), so they are documented here by rule, from what each operation has:
authentication → 401/403, an id parameter → 404, parameters or a body → 422, a body → 400/413, a write → 409.
"""

from __future__ import annotations

import re
from typing import Any

from ninja import NinjaAPI, Schema

from netcron.api.common import MAX_PAGE_SIZE

ERROR_REF = "#/components/schemas/Error"
PAGING = {"page": {"minimum": 1}, "page_size": {"minimum": 1, "maximum": MAX_PAGE_SIZE}}
PAGING_RULE = (f"Lists are paged with `page` (from 1) and `page_size` (1 to {MAX_PAGE_SIZE}; the default depends "
               "on the list). A value outside those bounds is a 422 naming the parameter: it is never clamped.")


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(Schema):
    """Every error answer: a message, or one entry per invalid field."""

    detail: str | list[FieldError]


ERRORS = {
    400: "The body is not JSON (or not UTF-8), or it is nested too deeply",
    401: "Not authenticated: send `Authorization: Bearer <token>` or log in",
    403: "Authenticated, but without the permission the operation needs (or the CSRF check of a session failed)",
    404: "No such object, or a private object of another user",
    409: "Conflicts with the current state, e.g. a name already taken or an object still in use",
    413: "The request body is larger than NETCRON_API_MAX_BODY_BYTES",
    422: "A parameter or body field is invalid; `detail` names it",
}


def statuses(method: str, operation: dict) -> list[int]:
    """The error statuses the shared handlers can answer for this operation."""
    codes = [422] if operation.get("parameters") or "requestBody" in operation else []
    if operation.get("security"):
        codes += [401, 403]
    if any(p["in"] == "path" or p["name"].endswith("_id") for p in operation.get("parameters", [])):
        codes.append(404)  # a path id, or a query id naming an object (e.g. ?run_id= of compare-devices)
    if "requestBody" in operation:
        codes += [400, 413]
    if method != "get":
        codes.append(409)
    return sorted(codes)


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error responses, paging bounds and create → read links to a generated schema."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error.pop("$defs", {}))
    components["Error"] = error
    for method, operation in _operations(schema):
        responses = operation["responses"]  # Ninja's keys are ints
        for code in statuses(method, operation):
            if code not in responses and str(code) not in responses:
                responses[code] = {"description": ERRORS[code],
                                   "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in PAGING:
                parameter["schema"].update(PAGING[parameter["name"]])
    _link_created_objects(schema)
    return schema


def _operations(schema: dict):
    for operations in schema["paths"].values():
        yield from ((method, operation) for method, operation in operations.items() if isinstance(operation, dict))


def _link_created_objects(schema: dict) -> None:
    """POST /things → 201 {id}: link to every /things/{thing_id}... operation (schemathesis follows links)."""
    paths = schema["paths"]
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get(201)
        if created is None:
            continue
        links = {}
        for other_path, others in paths.items():
            match = re.fullmatch(re.escape(path) + r"/\{(\w+_id)\}(/[\w/-]*)?", other_path)
            if match is None or other_path.count("{") != 1:
                continue
            for operation in others.values():
                links[operation["operationId"]] = {"operationId": operation["operationId"],
                                                   "parameters": {match.group(1): "$response.body#/id"}}
        if links:
            created["links"] = links


class NetcronAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document is completed by `document`."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        return document(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))
