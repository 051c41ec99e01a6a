"""Signed JSON webhooks: HMAC-SHA256 over the exact body, retries with backoff, a hard time limit.

The receiver checks ``X-Netcron-Signature: sha256=<hex>`` = HMAC-SHA256(key, raw body). Errors and
results never contain the key, the signature or request headers, so they are safe to log.

Destinations: with a ``Destinations`` policy, every attempt resolves the host, refuses it if any address
is in a denied range, and connects to the address it checked (a name that re-resolves to 127.0.0.1
between check and connect — DNS rebinding — cannot slip through). Redirects are never followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
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


class WebhookAddressError(WebhookUrlError):
    """The URL's host is, or resolves to, an address the destination policy denies."""


@dataclass(frozen=True)
class Destinations:
    """Which addresses a webhook may reach. Public addresses always may.

    ``allow_local``: loopback, link-local (e.g. cloud metadata 169.254.169.254), unspecified, multicast
    and reserved addresses. ``allow_private``: RFC 1918, unique-local IPv6, shared address space (CGNAT).
    """

    allow_local: bool = False
    allow_private: bool = True
    local_hint: str = "loopback and link-local destinations are denied"
    private_hint: str = "private addresses are denied"

    def refusal(self, host: str, address: str) -> str | None:
        """Why ``address`` (one of ``host``'s) is refused, or None."""
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        kind = _local_kind(ip)
        if kind and not (self.allow_local and self.allow_private):
            hint = self.local_hint if self.allow_private else self.private_hint
            return f"webhook host {host!r} is {ip}, a {kind} address: {hint}"
        if not kind and not ip.is_global and not self.allow_private:
            return f"webhook host {host!r} is {ip}, a private address: {self.private_hint}"
        return None


def _local_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for kind, test in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("unspecified", ip.is_unspecified), ("multicast", ip.is_multicast),
                       ("reserved", ip.is_reserved)):
        if test:
            return kind
    return ""


def resolve(host: str, port: int, policy: Destinations) -> str:
    """The address to connect to: every address ``host`` resolves to must pass ``policy``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookAddressError(f"webhook host {host!r} does not resolve") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        why = policy.refusal(host, address)
        if why:
            raise WebhookAddressError(why)
    return addresses[0]


def check_destination(url: str, policy: Destinations, resolve_names: bool = False) -> str:
    """Save-time check: ``validate_url`` plus the policy for a literal address or a ``localhost`` name, and
    with ``resolve_names`` for a name that resolves now (one that does not is accepted: the workers may
    see other DNS). Sending checks every attempt again, against what the name resolves to then."""
    validate_url(url)
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host.split("%")[0])
        literal = True
    except ValueError:
        literal = False
    if literal or host == "localhost" or host.endswith(".localhost"):
        why = policy.refusal(host, host if literal else "127.0.0.1")
        if why:
            raise WebhookAddressError(why)
    elif resolve_names:
        try:
            resolve(host, urlsplit(url).port or 443, policy)
        except WebhookAddressError as exc:
            if "does not resolve" not in str(exc):
                raise
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


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to an address resolved (and checked) beforehand; Host header stays the URL's host."""

    def __init__(self, host: str, port: int | None, address: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address or self.host, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """As _PinnedHTTP, with TLS: SNI and certificate checks use the URL's host name."""

    def __init__(self, host: str, port: int | None, address: str | None, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address or self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post_once(url: str, body: bytes, headers: dict[str, str], timeout: float,
               context: ssl.SSLContext | None, address: str | None = None) -> int:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPS(parts.hostname, parts.port, address, timeout,
                                                        context or ssl.create_default_context())
    else:
        conn = _PinnedHTTP(parts.hostname, parts.port, address, timeout)
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
    destinations: Destinations | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> Delivery:
    """POST ``payload`` as signed JSON; retry connection errors, timeouts, 408/425/429 and 5xx.

    Waits ``backoff * 2**n`` seconds (capped at ``max_backoff``) between attempts, and never goes on
    past ``deadline`` seconds in total (default: what the retries could take). With ``destinations``,
    each attempt resolves and checks the host first; a refused address ends the delivery without
    sending (not counted as an attempt). Redirects (3xx) are failures, never followed. Never raises for
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
        try:
            address = resolve(urlsplit(url).hostname, urlsplit(url).port or 80, destinations) \
                if destinations is not None else None
        except WebhookAddressError as e:
            return Delivery(False, attempts, status, str(e), time.monotonic() - started)
        attempts += 1
        try:
            status = _post_once(url, body, headers, min(timeout, left), context, address)
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
            error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
            if status not in RETRY_STATUSES:
                break
        if attempt < retries:
            pause = min(max_backoff, backoff * 2**attempt)
            if time.monotonic() - started + pause >= deadline:
                error += " (no time left for another attempt)"
                break
            sleep(pause)
    return Delivery(False, attempts, status, error, time.monotonic() - started)
