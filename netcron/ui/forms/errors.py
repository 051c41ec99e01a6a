"""Turn the API's validation errors into (field, message) pairs for inline display."""

from __future__ import annotations

import re

from django import forms
from ninja.errors import HttpError
from pydantic import ValidationError

from netcron.lib.cron import ScheduleError

_FIELD_PREFIX = re.compile(r"^([a-z_]+): (.+)$", re.S)


def error_pairs(exc: Exception) -> list[tuple[str | None, str]]:
    """(field name or None, message) for an HttpError, ScheduleError or pydantic ValidationError."""
    if isinstance(exc, ScheduleError):
        return [(exc.field, exc.message)]
    if isinstance(exc, ValidationError):
        return [_from_loc(list(e.get("loc", ())), e.get("msg", "invalid")) for e in exc.errors()]
    if isinstance(exc, HttpError):
        message = exc.message
        if isinstance(message, list):
            return [_from_loc([p for p in e.get("loc", ()) if p != "body"], e.get("msg", "invalid")) for e in message]
        match = _FIELD_PREFIX.match(str(message))
        return [(match.group(1), match.group(2))] if match else [(None, str(message))]
    raise TypeError(f"not a validation error: {exc!r}")


def _from_loc(loc: list, msg: str) -> tuple[str | None, str]:
    if not loc:
        return None, msg
    rest = "".join(f"item {p + 1}: " if isinstance(p, int) else f"{p}: " for p in loc[1:])
    return str(loc[0]), rest + msg


def add_errors(form: forms.Form, exc: Exception, aliases: dict[str, str] | None = None) -> None:
    """Attach an API error to the form field it names (via `aliases` for renamed fields), else to the form."""
    for name, message in error_pairs(exc):
        name = (aliases or {}).get(name, name)
        form.add_error(name if name in form.fields else None, message)
