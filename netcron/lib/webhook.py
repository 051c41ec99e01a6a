"""Signed JSON webhooks: HMAC-SHA256 over the exact body, retries with backoff, a hard time limit.

The receiver checks ``X-Netcron-Signature: sha256=<hex>`` = HMAC-SHA256(key, raw body). Errors and
results never contain the key, the signature or request headers, so they are safe to log.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Netcron-Signature"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "netcron-webhook/1"


class WebhookUrlError(ValueError):
    """The URL cannot be used for a webhook (scheme, host or form)."""


def validate_url(url: str) -> str:
    """The URL unchanged if it is an absolute http(s) URL with a host and no credentials in it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise WebhookUrlError(f"not a valid URL: {e}") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlError("only http:// and https:// URLs are allowed")
    if not parts.hostname:
        raise WebhookUrlError("the URL has no host")
    if parts.username or parts.password:
        raise WebhookUrlError("put no credentials in the URL; the signing key comes from a credential")
    if port == 0:
        raise WebhookUrlError("port 0 is not valid")
    if any(c.isspace() for c in url):
        raise WebhookUrlError("the URL contains whitespace")
    return url


def sign(key: bytes | str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex>``."""
    raw_key = key.encode() if isinstance(key, str) else key
    return "sha256=" + hmac.new(raw_key, body, hashlib.sha256).hexdigest()


def verify(key: bytes | str, body: bytes, header: str) -> bool:
    """Constant-time check of a received signature header (for receivers and tests)."""
    return hmac.compare_digest(sign(key, body), header or "")


@dataclass(frozen=True)
class Delivery:
    ok: bool
    attempts: int
    status: int | None = None  # last HTTP status, None when no answer came
    error: str = ""  # safe to show: no key, no headers
    seconds: float = 0.0


def _post_once(url: str, body: bytes, headers: dict[str, str], timeout: float,
               context: ssl.SSLContext | None) -> int:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context or ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)  # drain a little so the server sees a clean close
        return response.status
    finally:
        conn.close()


def post_json(
    url: str,
    payload: dict,
    key: bytes | str,
    *,
    timeout: float = 5.0,
    retries: int = 3,
    backoff: float = 1.0,
    max_backoff: float = 30.0,
    deadline: float | None = None,
    extra_headers: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> Delivery:
    """POST ``payload`` as signed JSON; retry connection errors, timeouts, 408/425/429 and 5xx.

    Waits ``backoff * 2**n`` seconds (capped at ``max_backoff``) between attempts, and never goes on
    past ``deadline`` seconds in total (default: what the retries could take). Never raises for
    delivery failures; raises WebhookUrlError for an unusable URL.
    """
    validate_url(url)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               SIGNATURE_HEADER: sign(key, body), **(extra_headers or {})}
    started = time.monotonic()
    if deadline is None:
        deadline = (retries + 1) * timeout + sum(min(max_backoff, backoff * 2**n) for n in range(retries))
    attempts, status, error = 0, None, ""
    for attempt in range(retries + 1):
        left = deadline - (time.monotonic() - started)
        if left <= 0:
            error = error or "time limit reached"
            break
        attempts += 1
        try:
            status = _post_once(url, body, headers, min(timeout, left), context)
        except TimeoutError:
            status, error = None, f"no answer within {min(timeout, left):g}s"
        except ssl.SSLError as e:
            return Delivery(False, attempts, None, f"TLS error: {e.reason or type(e).__name__}",
                            time.monotonic() - started)
        except (OSError, http.client.HTTPException) as e:
            status, error = None, f"connection failed: {getattr(e, 'strerror', None) or type(e).__name__}"
        else:
            if 200 <= status < 300:
                return Delivery(True, attempts, status, "", time.monotonic() - started)
            error = f"HTTP {status}"
            if status not in RETRY_STATUSES:
                break
        if attempt < retries:
            pause = min(max_backoff, backoff * 2**attempt)
            if time.monotonic() - started + pause >= deadline:
                error += " (no time left for another attempt)"
                break
            sleep(pause)
    return Delivery(False, attempts, status, error, time.monotonic() - started)
