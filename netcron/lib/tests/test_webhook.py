"""lib/webhook: URL rules, HMAC signatures, retries with backoff on a local receiver, time limits."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from netcron.lib.webhook import SIGNATURE_HEADER, WebhookUrlError, post_json, sign, validate_url, verify

KEY = "canary-webhook-key-51c0"


class Receiver:
    """Answers the scripted statuses in turn (then 200); ``delay`` seconds before each answer."""

    def __init__(self, script=(), delay: float = 0.0) -> None:
        self.script, self.delay, self.requests = list(script), delay, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((time.monotonic(), dict(self.headers), body))
                time.sleep(outer.delay)
                self.send_response(outer.script.pop(0) if outer.script else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?x=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*script, delay: float = 0.0) -> Receiver:
        made.append(Receiver(script, delay))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.mark.parametrize("url", ["https://hooks.example/netcron", "http://127.0.0.1:8080/x?y=1", "http://[::1]/h"])
def test_http_and_https_urls_with_a_host_are_accepted(url):
    assert validate_url(url) == url


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://hooks.example/x", "only http"), ("file:///etc/passwd", "only http"), ("javascript:alert(1)", "only http"),
    ("/relative/path", "only http"), ("http:///nohost", "no host"), ("http://user:pw@hooks.example/", "credentials"),
    ("http://hooks.example:99999/", "not a valid URL"), ("http://hooks.example/a b", "whitespace")])
def test_other_urls_are_refused_with_the_reason(url, why):
    with pytest.raises(WebhookUrlError, match=why):
        validate_url(url)


def test_the_signature_is_hmac_sha256_of_the_exact_body():
    body = b'{"a":1}'
    assert sign(KEY, body) == "sha256=" + hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
    assert verify(KEY, body, sign(KEY, body)) and not verify(KEY, body + b" ", sign(KEY, body))
    assert not verify(KEY, body, "")


def test_a_delivery_posts_signed_compact_json_with_the_query_string_kept(receiver):
    r = receiver()
    result = post_json(r.url, {"b": 2, "a": "x"}, KEY, extra_headers={"X-Netcron-Event": "test"})
    assert result.ok and (result.attempts, result.status) == (1, 200)
    _, headers, body = r.requests[0]
    assert body == b'{"a":"x","b":2}' and json.loads(body) == {"a": "x", "b": 2}
    assert verify(KEY, body, headers[SIGNATURE_HEADER]) and headers["X-Netcron-Event"] == "test"
    assert headers["Content-Type"] == "application/json"


def test_server_errors_are_retried_with_growing_pauses_until_success(receiver):
    r = receiver(500, 503)
    result = post_json(r.url, {"n": 1}, KEY, retries=3, backoff=0.1)
    assert result.ok and result.attempts == 3
    times = [t for t, _, _ in r.requests]
    assert times[1] - times[0] >= 0.09 and times[2] - times[1] >= 0.19


def test_a_client_error_is_final_and_gives_up_without_retrying(receiver):
    r = receiver(400)
    result = post_json(r.url, {}, KEY, retries=3, backoff=0.01)
    assert (result.ok, result.attempts, result.error) == (False, 1, "HTTP 400")


def test_a_refused_connection_is_retried_and_reported_without_the_key():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/"
        result = post_json(url, {}, KEY, retries=2, backoff=0.01)
    assert (result.ok, result.attempts) == (False, 3)
    assert result.error.startswith("connection failed") and KEY not in repr(result)


def test_a_slow_receiver_is_cut_off_by_the_timeout_and_the_deadline_bounds_all_attempts(receiver):
    r = receiver(delay=1.0)
    started = time.monotonic()
    result = post_json(r.url, {}, KEY, timeout=0.2, retries=5, backoff=0.05, deadline=0.6)
    assert not result.ok and "no answer within" in result.error
    assert time.monotonic() - started < 1.0 and result.attempts >= 2


def test_an_unusable_url_raises_before_anything_is_sent():
    with pytest.raises(WebhookUrlError):
        post_json("gopher://hooks.example/", {}, KEY)
