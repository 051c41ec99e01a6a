"""JSON over HTTP for the source and monitoring clients: keep-alive, retries with backoff, clean errors.

No Django here. Errors never carry request headers, and every message is scrubbed of the secrets
the client was given, so a server that echoes a token back cannot leak it into run logs.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# Statuses that mean "the request was not processed": safe to resend for any method.
RETRY_ALWAYS = frozenset({429, 502, 503, 504})
MAX_BACKOFF_SECONDS = 30.0


class SourceError(Exception):
    """A remote system failed us; the message is safe to show (no secrets)."""


class TransportError(SourceError):
    """The server could not be reached or the connection broke."""


class HttpError(SourceError):
    """The server answered with an error status."""

    def __init__(self, message: str, status: int, title: str = "", detail: str = "", body=None):
        super().__init__(message)
        self.status, self.title, self.detail, self.body = status, title, detail, body


class AuthError(HttpError):
    """401/403: the credential was rejected or lacks a permission."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def etag(self) -> str:
        return self.headers.get("etag", "")


@dataclass
class RequestLog:
    """What the client sent: counted in tests and benchmarks."""

    count: int = 0
    retries: int = 0
    by_method: dict[str, int] = field(default_factory=dict)


class HttpClient:
    """One keep-alive connection to one server. Not thread-safe: one client per job run."""

    def __init__(self, base_url: str, *, service: str, headers: dict[str, str] | None = None,
                 secrets: Iterable[str] = (), verify_tls: bool = True, timeout: float = 30.0,
                 retries: int = 3, backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError(f"{service}: URL must start with http:// or https:// and name a host")
        if parts.username or parts.password:
            raise SourceError(f"{service}: the URL must not contain a user or password; use a credential")
        if parts.query or parts.fragment:
            raise SourceError(f"{service}: the URL must not contain a query (?...) or fragment; "
                              "put tokens in a credential")
        for value in (headers or {}).values():
            # http.client would raise a ValueError quoting the whole header value: the secret.
            if not value.isascii() or not value.isprintable():
                raise SourceError(f"{service}: the credential holds characters not allowed in an HTTP header "
                                  "(a line break or non-ASCII character?)")
        self.service = service
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.root = parts.path.rstrip("/")
        self.headers = {"Accept": "application/json", "User-Agent": "netcron", **(headers or {})}
        self.secrets = [s for s in secrets if s]
        self.verify_tls, self.timeout = verify_tls, timeout
        self.retries, self.backoff, self.sleep = retries, backoff, sleep
        self.log = RequestLog()
        self._conn: http.client.HTTPConnection | None = None

    # -- public ------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: dict | list | None = None, body=None,
                headers: dict[str, str] | None = None, expect: Iterable[int] = (200,)) -> Response:
        """Send `method path` (path below the base URL's path) and return the response.

        Retries transport errors and 429/502/503/504 for every method, 500 only for idempotent
        ones; raises AuthError on 401/403 and HttpError on any other status not in `expect`.
        """
        url = self.root + path
        if params:
            url += "?" + urlencode(params, doseq=True)
        payload = json.dumps(body).encode() if body is not None else None
        sent_headers = {**self.headers, **(headers or {})}
        if payload is not None:
            sent_headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            try:
                response = self._send(method, url, payload, sent_headers)
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if attempt >= self.retries:
                    raise TransportError(self.scrub(
                        f"{self.service}: {method} {path} failed after {attempt + 1} attempt(s): "
                        f"{type(exc).__name__}: {exc}")) from None
                self._wait(attempt, None)
                attempt += 1
                continue
            if self._retryable(method, response.status) and attempt < self.retries:
                self._wait(attempt, response.headers.get("retry-after"))
                attempt += 1
                continue
            if response.status not in expect:
                raise self.error(method, path, response)
            return response

    def get_json(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs).json()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def error(self, method: str, path: str, response: Response) -> HttpError:
        """An HttpError from a problem body (RFC 7807 style, DRF `detail`, or plain text)."""
        try:
            body = response.json()
        except ValueError:
            body = response.body[:300].decode(errors="replace")
        title, detail = _problem(body)
        what = " ".join(p for p in (str(response.status), title) if p)
        message = self.scrub(f"{self.service}: {method} {path.split('?')[0]} returned {what}"
                             + (f": {detail}" if detail else ""))
        kind = AuthError if response.status in (401, 403) else HttpError
        return kind(message, response.status, self.scrub(title), self.scrub(detail), body)

    # -- internals ---------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.scheme == "https":
                context = ssl.create_default_context()
                if not self.verify_tls:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                self._conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                         context=context)
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def _send(self, method: str, url: str, payload: bytes | None, headers: dict) -> Response:
        reused = self._conn is not None
        try:
            return self._exchange(method, url, payload, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            # The server closed an idle keep-alive connection: the request never arrived.
            self.close()
            return self._exchange(method, url, payload, headers)

    def _exchange(self, method: str, url: str, payload: bytes | None, headers: dict) -> Response:
        conn = self._connection()
        self.log.count += 1
        self.log.by_method[method] = self.log.by_method.get(method, 0) + 1
        conn.request(method, url, body=payload, headers=headers)
        raw = conn.getresponse()
        body = raw.read()
        response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, body)
        if raw.will_close:
            self.close()
        return response

    def _retryable(self, method: str, status: int) -> bool:
        return status in RETRY_ALWAYS or (status >= 500 and method in IDEMPOTENT)

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        self.log.retries += 1
        delay = min(self.backoff * 2 ** attempt, MAX_BACKOFF_SECONDS)
        if retry_after and retry_after.strip().isdigit():
            delay = min(max(delay, float(retry_after)), 2 * MAX_BACKOFF_SECONDS)
        if delay > 0:
            self.sleep(delay)


def _problem(body) -> tuple[str, str]:
    if isinstance(body, dict):
        title = str(body.get("title") or "")
        detail = body.get("detail")
        if detail is None and body:
            detail = "; ".join(f"{k}: {v}" for k, v in list(body.items())[:5])
        detail = str(detail or "")
        fields = body.get("fields")
        if isinstance(fields, dict) and fields:
            detail += " (" + "; ".join(f"{k}: {flatten(v)}" for k, v in list(fields.items())[:5]) + ")"
        return title, detail[:1000]
    if isinstance(body, list):
        return "", "; ".join(str(item) for item in body[:5])[:1000]
    return "", str(body or "").strip()[:300]


def flatten(value) -> str:
    if isinstance(value, list):
        return ", ".join(flatten(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {flatten(v)}" for k, v in value.items())
    return str(value)
