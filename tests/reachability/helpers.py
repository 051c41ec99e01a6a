"""Test-only network pieces: a namespace with a veth pair, a webhook receiver, a DNS responder, a full backlog.

Addresses are loopback or link-local ones that exist only inside a namespace these helpers create and
delete again; nothing here ever sends a packet off this machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def can_make_netns() -> str:
    """'' when this process may create network namespaces, else the reason to skip."""
    if os.geteuid() != 0:
        return "needs root to create a network namespace"
    if shutil.which("ip") is None:
        return "needs the `ip` command (iproute2)"
    return ""


def _ip(*args: str, ns: str | None = None) -> None:
    cmd = ["ip", *(["-n", ns] if ns else []), *args]
    subprocess.run(cmd, check=True, capture_output=True, timeout=20)


@dataclass
class Netns:
    """Namespace ``name`` joined to this one by a veth pair on 169.254.<n>.0/29 (link-local, host-only).

    - ``peer``: the namespace's own address; answers ping, refuses TCP (no listener)
    - ``blackhole``: an address whose frames go to a MAC nobody has: no answer at all (filtered/down)
    - ``host``: this side of the pair
    """

    name: str
    octet: int
    link: str = field(init=False)

    def __post_init__(self) -> None:
        self.link = f"ncv{os.getpid() % 100000}"

    @property
    def host(self) -> str:
        return f"169.254.{self.octet}.1"

    @property
    def peer(self) -> str:
        return f"169.254.{self.octet}.2"

    @property
    def blackhole(self) -> str:
        return f"169.254.{self.octet}.3"

    def exec(self, *cmd: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", self.name, *cmd], capture_output=True, text=True,
                              timeout=60, **kwargs)

    def sysctl(self, key: str, value: str) -> None:
        self.exec("sysctl", "-qw", f"{key}={value}").check_returncode()


@contextlib.contextmanager
def netns() -> Iterator[Netns]:
    """Create the namespace and veth pair; always deletes both, even when setup fails halfway."""
    ns = Netns(f"nctest-{os.getpid()}", 100 + os.getpid() % 150)
    host_if, peer_if = f"{ns.link}a", f"{ns.link}b"
    try:
        _ip("netns", "add", ns.name)
        _ip("link", "add", host_if, "type", "veth", "peer", "name", peer_if)
        _ip("link", "set", peer_if, "netns", ns.name)
        _ip("addr", "add", f"{ns.host}/29", "dev", host_if)
        _ip("link", "set", host_if, "up")
        _ip("addr", "add", f"{ns.peer}/29", "dev", peer_if, ns=ns.name)
        _ip("link", "set", peer_if, "up", ns=ns.name)
        _ip("link", "set", "lo", "up", ns=ns.name)
        _ip("neigh", "replace", ns.blackhole, "lladdr", "02:00:00:00:00:99", "dev", host_if, "nud", "permanent")
        yield ns
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(["ip", "link", "del", host_if], capture_output=True, timeout=20)
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(["ip", "netns", "del", ns.name], capture_output=True, timeout=20)


class WebhookReceiver:
    """HTTP server on 127.0.0.1 recording every POST; answers the statuses in ``script`` first, then 200."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/netcron"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def json(self, n: int) -> dict:
        return json.loads(self.requests[n]["body"])

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()




@contextlib.contextmanager
def unanswered_port(host: str = "127.0.0.1") -> Iterator[int]:
    """A loopback port whose accept queue is full, so a new connection attempt gets no answer (timeout)."""
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # Linux queues backlog+1 connections; later SYNs are dropped silently
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect((host, port))
            fillers.append(s)
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()

