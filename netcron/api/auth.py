"""API authentication (bearer token or browser session) and permission checks."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from netcron.accounts.models import ApiToken

JOBS_READ, JOBS_WRITE = "jobs.read", "jobs.write"
INVENTORY_READ, INVENTORY_WRITE = "inventory.read", "inventory.write"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


class LoggedInSession(SessionAuth):
    """The browser session. CSRF is checked only when someone is logged in, so an anonymous caller
    (or one with a bad token) gets 401 rather than a misleading "CSRF check Failed" 403."""

    def _get_key(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


AUTH = [TokenAuth(), LoggedInSession()]


def user_of(request: HttpRequest):
    return request.auth


def require(request: HttpRequest, perm: str) -> None:
    """403 unless the user holds `perm` (shown to users as e.g. jobs:write)."""
    if not user_of(request).has_perm(perm):
        raise HttpError(403, f"permission {perm.replace('.', ':')} required")


def require_owner_or_global(request: HttpRequest, obj) -> None:
    """Private objects are writable only by their owner (and superusers)."""
    user = user_of(request)
    if not obj.is_global and not user.is_superuser and obj.owner_id != user.pk:
        raise HttpError(403, "only the owner can change a private object")
