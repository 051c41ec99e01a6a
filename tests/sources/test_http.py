"""The shared HTTP layer: retries with backoff, which methods are resent, clean errors without secrets."""

from __future__ import annotations

import socket

import pytest

from netcron.sources.http import AuthError, HttpClient, HttpError, SourceError, TransportError
from netcron.sources.testing.server import FakeServer, Reply

SECRET = "canary-http-secret-99"


class Echo(FakeServer):
    """Answers 200 {"ok": true}; 401 echoing the Authorization header back (a badly behaved server)."""

    def __init__(self):
        super().__init__()
        self.route("GET", "/api/thing", lambda r: Reply(200, {"ok": True}))
        self.route("POST", "/api/thing", lambda r: Reply(200, {"ok": True}))
        self.route("GET", "/api/echo", lambda r: Reply(401, {"detail": f"bad header {r.headers['authorization']}"}))


@pytest.fixture
def echo():
    with Echo() as server:
        yield server


def client(server, **kwargs) -> tuple[HttpClient, list[float]]:
    sleeps: list[float] = []
    options = {"retries": 3, "backoff": 0.5, **kwargs}
    made = HttpClient(server.address, service="Thing", headers={"Authorization": f"Token {SECRET}"},
                      secrets=[SECRET], sleep=sleeps.append, **options)
    return made, sleeps


def test_a_5xx_is_retried_with_doubling_backoff_until_it_succeeds(echo):
    echo.fail_next(2, status=503)
    http, sleeps = client(echo)
    assert http.get_json("/api/thing") == {"ok": True}
    assert sleeps == [0.5, 1.0]
    assert len(echo.requests_to("GET", "/api/thing")) == 3


def test_retry_after_from_the_server_is_honoured(echo):
    echo.fail_next(1, status=429, body={"detail": "slow down"}, headers={"Retry-After": "7"})
    http, sleeps = client(echo)
    http.get_json("/api/thing")
    assert sleeps == [7.0]


def test_a_post_is_not_resent_after_a_500_but_is_after_a_503(echo):
    http, _ = client(echo)
    echo.fail_next(1, status=500, method="POST")
    with pytest.raises(HttpError) as failed:
        http.request("POST", "/api/thing", body={})
    assert failed.value.status == 500 and len(echo.requests_to("POST")) == 1
    echo.fail_next(1, status=503, method="POST")
    assert http.request("POST", "/api/thing", body={}).json() == {"ok": True}


def test_retries_give_up_with_a_message_naming_service_path_and_status(echo):
    echo.fail_next(10, status=502)
    http, sleeps = client(echo, retries=2)
    with pytest.raises(HttpError) as failed:
        http.get_json("/api/thing")
    assert str(failed.value) == "Thing: GET /api/thing returned 502: injected failure 502"
    assert len(sleeps) == 2


def test_an_unreachable_server_is_a_transport_error_after_the_retries():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = HttpClient(f"http://127.0.0.1:{port}", service="Thing", retries=1, backoff=0, timeout=2)
    with pytest.raises(TransportError, match=r"Thing: GET /x failed after 2 attempt\(s\)"):
        http.get_json("/x")


def test_a_server_echoing_the_token_cannot_leak_it_into_the_message(echo):
    http, _ = client(echo)
    with pytest.raises(AuthError) as failed:
        http.get_json("/api/echo")
    assert SECRET not in str(failed.value) and SECRET not in failed.value.detail
    assert "bad header Token ***" in str(failed.value)


def test_a_url_carrying_a_password_or_query_is_refused_so_secrets_stay_in_credentials():
    with pytest.raises(SourceError, match="must not contain a user or password"):
        HttpClient("https://admin:hunter2@netbox.example.com", service="NetBox")
    with pytest.raises(SourceError, match="must not contain a query"):
        HttpClient("https://netbox.example.com/?token=abc", service="NetBox")


def test_keep_alive_reuses_one_connection_for_many_requests(echo):
    http, _ = client(echo)
    for _ in range(5):
        http.get_json("/api/thing")
    assert http.log.count == 5 and http._conn is not None
