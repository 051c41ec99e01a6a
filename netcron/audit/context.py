"""Who is acting right now, in a context variable: set per request by the middleware, by the CLI and
by the runner. No Django imports at module level: the CLI imports this before Django is set up."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

# Commands that start long-running processes act for nobody: the web requests, runs and ticks they
# serve set their own context.
PROCESS_COMMANDS = frozenset({"up", "web", "worker", "scheduler", "lab"})


@dataclass(frozen=True)
class Actor:
    via: str = "system"  # api | ui | admin | cli | run | system
    request: object | None = None
    user: object | None = None
    user_loader: Callable[[], object] | None = None  # resolved on first use (the CLI's admin user)
    run_id: int | None = None
    action: str | None = None  # overrides "update" for saves inside as_action()
    enabled: bool = True

    def resolve_user(self):
        """The acting user: the request's (token users are only known once the API authenticated them)."""
        if self.request is not None:
            user = getattr(self.request, "auth", None) or getattr(self.request, "user", None)
            return user if getattr(user, "is_authenticated", False) else None
        if self.user is None and self.user_loader is not None:
            return self.user_loader()
        return self.user


_NOBODY = Actor()
_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("netcron_audit_actor", default=None)


def current() -> Actor:
    return _current.get() or _NOBODY


@contextmanager
def acting(**fields) -> Iterator[Actor]:
    """Within the block, audit entries are attributed as given (fields of Actor); nests and restores."""
    actor = replace(current(), **fields)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


@contextmanager
def use(actor: Actor) -> Iterator[Actor]:
    """Replace the whole context within the block (the middleware's per-request actor)."""
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def as_action(action: str):
    """Saves in the block are recorded as `action` (e.g. toggle) rather than update."""
    return acting(action=action)


def suppressed():
    """Writes in the block are not audited (for callers that record one explicit entry instead)."""
    return acting(enabled=False)


def for_request(request) -> Actor:
    path = getattr(request, "path", "") or ""
    via = "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "ui"
    return Actor(via=via, request=request)


def _cli_admin():
    from netcron.cli.common import admin_user

    return admin_user()


def for_cli(argv: list[str]):
    """The context a CLI invocation runs in: acting as the admin user it records runs as."""
    command = next((a for a in argv if not a.startswith("-")), "")
    if command in PROCESS_COMMANDS:
        return acting()
    return use(Actor(via="cli", user_loader=functools.cache(_cli_admin)))
