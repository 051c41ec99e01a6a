"""A small threaded HTTP/1.1 server for fakes of real REST APIs: routes, a request log, injected failures."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: object = None
    at: float = field(default_factory=time.monotonic)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    remaining: int
    status: int
    method: str | None
    path: str | None
    body: object
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """Subclasses register routes; tests read `requests` and call `fail_next()`."""

    def __init__(self):
        self.routes: list[tuple[str, re.Pattern, Callable]] = []
        self.requests: list[Request] = []
        self.failures: list[Failure] = []
        self.lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- setup -------------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Callable[..., Reply]) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def start(self) -> FakeServer:
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                reply = app.dispatch(self.command, self.path, dict(self.headers.items()), raw)
                body = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if body:
                    self.send_header("Content-Type", "application/problem+json" if reply.status >= 400
                                     else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args):  # keep test output quiet
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__,
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def address(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- test controls -----------------------------------------------------------------------

    def fail_next(self, count: int = 1, status: int = 503, method: str | None = None, path: str | None = None,
                  body: object = None, headers: dict[str, str] | None = None) -> None:
        """The next `count` matching requests get `status` (path: a substring of the request path)."""
        with self.lock:
            self.failures.append(Failure(count, status, method, path, body, dict(headers or {})))

    def requests_to(self, method: str | None = None, path: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (path is None or path in r.path)]

    # -- serving -----------------------------------------------------------------------------

    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(raw_path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self.bad_json()
        request = Request(method, unquote(parts.path), parse_qs(parts.query, keep_blank_values=True),
                          {k.lower(): v for k, v in headers.items()}, body)
        with self.lock:
            self.requests.append(request)
            injected = self._injected(request)
            if injected is not None:
                return injected
            for route_method, pattern, handler in self.routes:
                match = pattern.match(request.path)
                if match and route_method == method:
                    return handler(request, **match.groupdict())
            return self.not_found(request)

    def _injected(self, request: Request) -> Reply | None:
        for failure in self.failures:
            if failure.remaining > 0 and failure.method in (None, request.method) and (
                    failure.path is None or failure.path in request.path):
                failure.remaining -= 1
                return Reply(failure.status, failure.body if failure.body is not None
                             else self.failure_body(failure.status), dict(failure.headers))
        return None

    def failure_body(self, status: int) -> object:
        return {"detail": f"injected failure {status}"}

    def not_found(self, request: Request) -> Reply:
        return Reply(404, {"detail": "Not found."})

    def bad_json(self) -> Reply:
        return Reply(400, {"detail": "JSON parse error"})
