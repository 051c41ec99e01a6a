"""Fixtures for notification tests: a local SMTP sink (aiosmtpd), a local webhook receiver, fast retries."""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.audit.conftest import (  # noqa: F401
    auditor,
    fresh_settings_cache,
    settings_admin,
    static_root,
)

WEBHOOK_KEY = "canary-hook-key-5e1d"


@pytest.fixture(autouse=True)
def webhooks_to_loopback(settings):
    """The test receivers listen on 127.0.0.1, which the default destination policy refuses."""
    settings.NETCRON_WEBHOOK_ALLOW_LOCAL = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Collects every message the SMTP server on 127.0.0.1:port accepts."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    from aiosmtpd.controller import Controller

    quiet = logging.getLogger("mail.log")  # aiosmtpd's chatter (EOF, connection lost) from its own thread
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    controller.stop()
    quiet.setLevel(level)


class Receiver:
    """Answers the scripted statuses in turn (then 200) and keeps every request's headers and body."""

    def __init__(self, script=()) -> None:
        self.script, self.requests = list(script), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                self.send_response(outer.script.pop(0) if outer.script else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(script=()) -> Receiver:
        made.append(Receiver(script))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    from netcron.notifications import channels

    monkeypatch.setattr(channels, "BACKOFF_SECONDS", 0.01)


@pytest.fixture
def hook_credential(db):
    from netcron.inventory.models import Credential

    credential = Credential(name="hook")
    credential.set_secrets(token=WEBHOOK_KEY)
    credential.save()
    return credential
