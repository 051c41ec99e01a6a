"""The REST API under /api/ (OpenAPI at /api/openapi.json, docs at /api/docs)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from ninja import Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import ValidationError as PydanticValidationError

from netcron.api.auth import AUTH
from netcron.api.limits import GuardedParser
from netcron.api.openapi import PAGING_RULE, NetcronAPI
from netcron.lib.cron import ScheduleError

logger = logging.getLogger(__name__)

api = NetcronAPI(
    title="netcron API",
    version="1",
    description="Scheduled automation jobs for network fleets. Authenticate with `Authorization: Bearer <token>`. "
                "Errors are JSON: `{\"detail\": message or [{loc, msg, type}, ...]}`. " + PAGING_RULE,
    auth=AUTH,
    urls_namespace="api",
    parser=GuardedParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _json(request, status: int, detail):
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    detail = exc.message if isinstance(exc.message, (list, dict)) else str(exc.message)
    return _json(request, exc.status_code, detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _json(request, 401, "authentication required: send 'Authorization: Bearer <token>' or log in")


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    return _json(request, 422, [_clean_error(e) for e in exc.errors])


@api.exception_handler(PydanticValidationError)
def on_pydantic_error(request, exc: PydanticValidationError):
    return _json(request, 422, [_clean_error(e) for e in exc.errors()])


@api.exception_handler(ScheduleError)
def on_schedule_error(request, exc: ScheduleError):
    return _json(request, 422, [{"loc": ["body", exc.field], "msg": str(exc), "type": "value_error"}])


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _json(request, 404, "not found")


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return _json(request, 403, str(exc) or "permission denied")


@api.exception_handler(IntegrityError)
def on_integrity_error(request, exc):
    return _json(request, 409, "conflicts with an existing object (a name must be unique)")


@api.exception_handler(DataError)
def on_data_error(request, exc):
    # PostgreSQL refuses e.g. NUL characters in text and JSON; the message is generic (no input echoed).
    return _json(request, 422, "a value cannot be stored: out of range or containing NUL characters")


@api.exception_handler(OverflowError)
def on_overflow(request, exc):
    # Dates past year 9999 once converted to UTC or a time zone, numbers beyond 64 bits on SQLite.
    return _json(request, 422, "a value is out of range (a date too close to year 1 or 9999, or a huge number)")


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request, exc: DjangoValidationError):
    return _json(request, 422, "; ".join(exc.messages))


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    logger.exception("unhandled API error on %s %s", request.method, request.path)
    return _json(request, 500, "internal error; the server log has the details")


def _clean_error(error: dict) -> dict:
    """Field errors without echoing input back (it may hold a secret)."""
    return {"loc": list(error.get("loc", ())), "msg": error.get("msg", "invalid"), "type": error.get("type", "")}


from netcron.api import (  # noqa: E402  (routers need `api` defined above)
    audit,
    configs,
    credentials,
    devices,
    hostkeys,
    locations,
    monitoring,
    notifications,
    reachability,
    runs,
    schedules,
    sources,
    system,
    system_settings,
    tags,
    templates,
    workers,
)

api.add_router("/", system.router)
api.add_router("/devices", devices.router)
api.add_router("/locations", locations.router)
api.add_router("/tags", tags.router)
api.add_router("/credentials", credentials.router)
api.add_router("/job-templates", templates.router)
api.add_router("/job-schedules", schedules.router)
api.add_router("/job-runs/dashboard", monitoring.router)  # before /job-runs/{run_id}
api.add_router("/job-runs", runs.router)
api.add_router("/monitoring", monitoring.sd_router)
api.add_router("/sources", sources.router)
api.add_router("/workers", workers.router)
api.add_router("/", reachability.router)
api.add_router("/", configs.router)
api.add_router("/settings", system_settings.router)
api.add_router("/audit", audit.router)
api.add_router("/notification-rules", notifications.router)
api.add_router("/host-keys", hostkeys.router)

# Last, so it only sees URLs no router matched: an unknown /api/ path is a JSON 404 like the others.
fallback = Router()


@fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:path}", auth=None,
                        include_in_schema=False)
def unknown_endpoint(request, path: str):
    raise HttpError(404, f"no API endpoint at {request.path}")


api.add_router("/", fallback)
