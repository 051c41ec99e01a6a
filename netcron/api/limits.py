"""Guards on /api/ request bodies, applied before any view reads them.

- larger than NETCRON_API_MAX_BODY_BYTES (by Content-Length) → 413, without reading the body;
- a JSON body that is not UTF-8, not JSON, or nested deeper than MAX_JSON_DEPTH → 400 naming the problem.

The parsed JSON is kept on the request, and `GuardedParser` hands it to Ninja: each body is parsed once.
(Django's DATA_UPLOAD_MAX_MEMORY_SIZE also bounds request.body, but Ninja turns its RequestDataTooBig into
a vague error; this answers first, with a status and message of its own.)
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from ninja.parser import Parser

MAX_JSON_DEPTH = 32
_PARSED = "_netcron_json_body"


class BodyRejected(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def api_request_guard(get_response):
    """Middleware: answers a rejected /api/ body with a JSON error; other requests pass untouched."""

    def middleware(request: HttpRequest):
        if request.path.startswith("/api/"):
            try:
                check_body(request, settings.NETCRON_API_MAX_BODY_BYTES)
            except BodyRejected as exc:
                return JsonResponse({"detail": exc.detail}, status=exc.status)
        return get_response(request)

    return middleware


def check_body(request: HttpRequest, limit: int) -> None:
    """Raise BodyRejected for an oversized or unreadable JSON body; keep a parsed JSON body on the request."""
    raw_length = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw_length)
    except ValueError:
        raise BodyRejected(400, f"Content-Length: {raw_length[:40]!r} is not a number") from None
    if length > limit:
        raise BodyRejected(413, f"request body too large: {length} bytes; the limit is {limit} bytes "
                                f"(NETCRON_API_MAX_BODY_BYTES)")
    if length <= 0 or not _is_json(request.content_type):
        return
    try:
        body = request.body
    except RequestDataTooBig:  # DATA_UPLOAD_MAX_MEMORY_SIZE (NETCRON_MAX_BODY_BYTES) is the lower limit
        raise BodyRejected(413, f"request body too large: {length} bytes; the limit is "
                                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes (NETCRON_MAX_BODY_BYTES)") from None
    setattr(request, _PARSED, parse_json(body))


def _is_json(content_type: str | None) -> bool:
    return content_type == "application/json" or (content_type or "").endswith("+json")


def parse_json(body: bytes):
    """The JSON value of `body`, or BodyRejected(400) saying why it cannot be parsed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRejected(400, f"cannot parse the body: it is not UTF-8 (byte {body[exc.start]:#04x} at offset "
                                f"{exc.start})") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyRejected(400, f"cannot parse the body as JSON: {exc.msg} at line {exc.lineno} column "
                                f"{exc.colno}") from None
    except RecursionError:
        value = None
        _too_deep()
    if _depth(value) > MAX_JSON_DEPTH:
        _too_deep()
    return value


def _too_deep():
    raise BodyRejected(400, f"cannot parse the body: JSON nested deeper than {MAX_JSON_DEPTH} levels")


def _depth(value) -> int:
    """Nesting depth of arrays and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


class GuardedParser(Parser):
    """Ninja's body parser, reusing the JSON the guard already parsed (and checking bodies it did not see)."""

    def parse_body(self, request: HttpRequest):
        if hasattr(request, _PARSED):
            return getattr(request, _PARSED)
        return parse_json(request.body)
