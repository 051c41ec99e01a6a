"""Webhook destinations: http(s) only, loopback/link-local refused unless allowed, private ranges on request,
checked when saved (422 naming the field) and on every attempt against the address actually connected to."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from netcron.inventory.models import Credential
from netcron.lib.webhook import Destinations, WebhookAddressError, check_destination, post_json
from netcron.system.models import SystemSettings
from tests.factories import make_template


class Receiver:
    def __init__(self, status: int = 200, headers: dict | None = None) -> None:
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(dict(self.headers))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"), ("::ffff:127.0.0.1", "loopback"), ("224.0.0.1", "multicast"),
])
def test_local_destinations_are_refused_by_default(address, kind):
    why = Destinations().refusal("h", address)
    assert why is not None and f"a {kind} address" in why
    assert Destinations(allow_local=True).refusal("h", address) is None


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.10", "172.16.5.5", "100.64.0.1", "fd00::5"])
def test_private_destinations_are_allowed_unless_denied(address):
    assert Destinations().refusal("h", address) is None
    assert "a private address" in Destinations(allow_private=False).refusal("h", address)


def test_public_destinations_are_always_allowed():
    assert Destinations(allow_private=False).refusal("h", "8.8.8.8") is None


def test_denying_private_ranges_also_denies_local_ones():
    assert Destinations(allow_local=True, allow_private=False).refusal("h", "127.0.0.1") is not None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://[::1]/x", "http://169.254.169.254/latest",
                                 "https://localhost/x", "http://a.localhost:9/x"])
def test_a_literal_local_url_is_refused_when_saved(url):
    with pytest.raises(WebhookAddressError):
        check_destination(url, Destinations())


def test_a_name_that_resolves_to_loopback_is_refused_at_send_time_and_nothing_is_sent(receiver, monkeypatch):
    hook = receiver()
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real("127.0.0.1", *a, **k)
                        if host == "hooks.example.test" else real(host, *a, **k))
    url = f"http://hooks.example.test:{hook.port}/in"
    assert check_destination(url, Destinations()) == url  # a name: checked when sending
    result = post_json(url, {"x": 1}, "key", destinations=Destinations(), retries=2, backoff=0)
    assert not result.ok and result.attempts == 0
    assert "'hooks.example.test' is 127.0.0.1, a loopback address" in result.error
    assert hook.requests == []


def test_the_connection_goes_to_the_address_that_was_checked(receiver, monkeypatch):
    """DNS rebinding: a second lookup at connect time would get another answer; there is no second lookup."""
    hook = receiver()
    real, answers = socket.getaddrinfo, ["127.0.0.1"]

    def rebinding(host, *args, **kwargs):
        if host != "rebind.example.test":
            return real(host, *args, **kwargs)
        return real(answers.pop(0) if answers else "192.0.2.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    result = post_json(f"http://rebind.example.test:{hook.port}/in", {"x": 1}, "key", timeout=2, retries=0,
                       destinations=Destinations(allow_local=True))
    assert result.ok, result.error
    assert hook.requests[0]["Host"] == f"rebind.example.test:{hook.port}"


def test_redirects_are_not_followed(receiver):
    hook = receiver(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    result = post_json(f"http://127.0.0.1:{hook.port}/in", {"x": 1}, "key", retries=3, backoff=0,
                       destinations=Destinations(allow_local=True))
    assert not result.ok and result.attempts == 1 and len(hook.requests) == 1
    assert result.error == "HTTP 302 (redirects are not followed)"


def test_a_delivery_is_time_limited(monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        result = post_json(f"http://127.0.0.1:{listener.getsockname()[1]}/in", {}, "k", timeout=0.3, retries=1,
                           backoff=0, destinations=Destinations(allow_local=True))
    finally:
        listener.close()
    assert not result.ok and result.seconds < 3 and "no answer within" in result.error


@pytest.fixture
def hook_credential(db):
    credential = Credential(name="hook")
    credential.set_secrets(token="hook-key-123")
    credential.save()
    return credential


def rule(template_id: int, target: str, credential_id: int) -> dict:
    return {"name": "hook", "template_id": template_id, "events": ["failure"], "channel": "webhook",
            "target": target, "credential_id": credential_id}


@pytest.mark.parametrize("target, why", [
    ("http://127.0.0.1:9000/hook", "a loopback address: loopback and link-local destinations need "
                                   "NETCRON_WEBHOOK_ALLOW_LOCAL=true"),
    ("http://169.254.169.254/latest", "a link-local address"),
    ("http://localhost:8000/api/", "a loopback address"),
    ("ftp://example.com/hook", "only http:// and https:// URLs are allowed"),
    ("http://user:pw@example.com/hook", "put no credentials in the URL"),
])
def test_a_notification_rule_with_a_refused_url_is_422_naming_the_target(api_as, alice, hook_credential, target, why):
    template = make_template("t", owner=alice)
    response = api_as(alice).post("/api/notification-rules", json=rule(template.pk, target, hook_credential.pk))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("target: ") and why in response.json()["detail"]


def test_loopback_rules_are_accepted_when_the_deployment_allows_them(api_as, alice, hook_credential, settings):
    settings.NETCRON_WEBHOOK_ALLOW_LOCAL = True
    template = make_template("t", owner=alice)
    made = api_as(alice).post("/api/notification-rules", json=rule(template.pk, "http://127.0.0.1:9/h",
                                                                    hook_credential.pk))
    assert made.status_code == 201, made.content


def test_private_rules_are_refused_when_the_settings_deny_private_ranges(api_as, alice, hook_credential):
    SystemSettings.load().change({"webhook_deny_private": True})
    template = make_template("t", owner=alice)
    refused = api_as(alice).post("/api/notification-rules", json=rule(template.pk, "https://10.20.30.40/h",
                                                                       hook_credential.pk))
    assert refused.status_code == 422 and "private addresses are denied" in refused.json()["detail"]


def test_a_reachability_template_with_a_link_local_webhook_is_422_naming_the_field(api_as, alice, hook_credential):
    params = {"checks": ["tcp"], "webhook": {"url": "http://169.254.169.254/x", "credential_id": hook_credential.pk}}
    response = api_as(alice).post("/api/job-templates", json={"name": "reach", "job_type": "reachability",
                                                              "params": params, "targets": {"all": True}})
    assert response.status_code == 422, response.content
    assert "webhook" in str(response.json()) and "link-local" in str(response.json())


def test_reachability_webhooks_check_the_destination_on_every_delivery(hook_credential, monkeypatch):
    from types import SimpleNamespace

    from netcron.executors.reachability.executor import _hook
    from netcron.executors.reachability.params import WebhookParams
    from netcron.reachability import notify

    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real("169.254.169.254", *a, **k)
                        if host == "hooks.example.test" else real(host, *a, **k))
    hook = _hook(None, WebhookParams(url="http://hooks.example.test/in", credential_id=hook_credential.pk,
                                     retries=0))
    notified = []
    change = SimpleNamespace(pk=1, old_state="up", payload=lambda: {"state": "down"},
                             mark_notified=lambda *args: notified.append(args))
    assert notify.deliver([change], hook) == {"sent": 0, "failed": 1}
    status, attempts, error = notified[0]
    assert (status, attempts) == ("failed", 0) and "169.254.169.254, a link-local address" in error
