"""Login and API-token rate limits: too many failures within a window refuse further attempts.

Counters live in Django's cache, which settings point at something every process shares (Redis next to a
Redis broker, else the ``netcron_cache`` table). Limits, per ``NETCRON_LOGIN_WINDOW_SECONDS``:

- ``NETCRON_LOGIN_MAX_FAILURES`` failed logins per user name (guessing one account's password);
- ``NETCRON_LOGIN_MAX_FAILURES_PER_IP`` failed logins per client address (trying many accounts);
- ``NETCRON_TOKEN_MAX_FAILURES_PER_IP`` rejected API bearer tokens per client address.

0 turns a limit off. Failures are logged and audited with the user name and address, never the password.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("netcron.security")

USER, IP, TOKEN_IP = "login-user", "login-ip", "token-ip"


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused, and for how long (seconds, for Retry-After)."""

    message: str
    retry_after: int


def client_ip(request) -> str:
    """The caller's address; behind a trusted proxy (NETCRON_BEHIND_PROXY) the one it appended."""
    if settings.NETCRON_BEHIND_PROXY:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _key(scope: str, subject: str) -> str:
    return f"throttle:{scope}:{hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:40]}"


def _limit(scope: str) -> int:
    return {USER: settings.NETCRON_LOGIN_MAX_FAILURES, IP: settings.NETCRON_LOGIN_MAX_FAILURES_PER_IP,
            TOKEN_IP: settings.NETCRON_TOKEN_MAX_FAILURES_PER_IP}[scope]


def _cache():
    return caches["default"]  # looked up per call: tests (and settings changes) may swap the backend


def _state(scope: str, subject: str) -> tuple[int, float]:
    """(failures so far, seconds until the window ends)."""
    window = settings.NETCRON_LOGIN_WINDOW_SECONDS
    value = _cache().get(_key(scope, subject))
    if value is None:
        return 0, 0.0
    if isinstance(value, int):  # Redis counter: its TTL is what is left of the window
        return value, _redis_ttl(_key(scope, subject), window)
    started, count = value
    return count, max(0.0, started + window - time.time())


def _redis_ttl(key: str, window: int) -> float:
    cache = _cache()
    try:
        ttl = cache._cache.get_client(key).ttl(cache.make_and_validate_key(key))
    except Exception:  # a private API: fall back to the whole window rather than fail the request
        return float(window)
    return float(ttl) if ttl and ttl > 0 else float(window)


def add_failure(scope: str, subject: str) -> int:
    """Count one failure; returns the count in the current window."""
    key, window, cache = _key(scope, subject), settings.NETCRON_LOGIN_WINDOW_SECONDS, _cache()
    if isinstance(cache, RedisCache):  # atomic, and INCR keeps the TTL set by the first failure
        cache.add(key, 0, timeout=window)
        return cache.incr(key)
    # The database cache's incr() would reset the expiry: keep the window's start next to the count.
    now = time.time()
    started, count = _unpack(cache.get(key), now)
    count += 1
    cache.set(key, (started, count), timeout=max(1, math.ceil(started + window - now)))
    return count


def _unpack(value, now: float) -> tuple[float, int]:
    return (value[0], value[1]) if isinstance(value, tuple | list) else (now, 0)


def reset(scope: str, subject: str) -> None:
    _cache().delete(_key(scope, subject))


def _refusal(scope: str, subject: str, what: str) -> Refusal | None:
    limit = _limit(scope)
    if limit <= 0:
        return None
    count, left = _state(scope, subject)
    if count < limit:
        return None
    minutes = max(1, math.ceil(left / 60))
    return Refusal(f"too many failed {what}; try again in {minutes} minute{'s' if minutes > 1 else ''}",
                   max(1, math.ceil(left)))


def login_refusal(ip: str, username: str) -> Refusal | None:
    """A Refusal when this user name or this address has failed too often to log in."""
    return (_refusal(USER, username, f"logins for {username[:150]!r}") if username else None) or \
        _refusal(IP, ip, "logins from your address")


def token_refusal(ip: str) -> Refusal | None:
    return _refusal(TOKEN_IP, ip, "API token attempts from your address")


def login_failed(request, username: str) -> None:
    ip = client_ip(request) if request is not None else "unknown"
    per_user = add_failure(USER, username) if username else 0
    add_failure(IP, ip)
    logger.warning("login failed for user %r from %s (%s failure(s) in the window)", username[:150], ip, per_user)
    _audit("login_failed", username, ip)


def token_failed(request) -> None:
    ip = client_ip(request)
    count = add_failure(TOKEN_IP, ip)
    logger.warning("API request with an invalid bearer token from %s (%s in the window)", ip, count)
    if count == _limit(TOKEN_IP):
        _audit("token_locked", "", ip)


def _audit(action: str, username: str, ip: str) -> None:
    from netcron.audit.recorder import record

    record(action, object_type="user", object_repr=username[:150], details={"client": ip})


def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django passes the credentials with the password already replaced by stars; only the name is used.
    login_failed(request, str(credentials.get("username") or "")[:150])


def _on_logged_in(sender, request, user, **kwargs) -> None:
    reset(USER, user.get_username())


def connect_signals() -> None:
    user_login_failed.connect(_on_login_failed, dispatch_uid="netcron-login-failed")
    user_logged_in.connect(_on_logged_in, dispatch_uid="netcron-logged-in")
