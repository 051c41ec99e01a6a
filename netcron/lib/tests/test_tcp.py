"""lib/tcp: open, refused and unanswered ports on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from netcron.lib.tcp import tcp_check


def test_an_open_port_is_ok_with_a_latency():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        result = asyncio.run(tcp_check("127.0.0.1", listener.getsockname()[1], timeout=2))
    assert result.ok and result.error is None and 0 <= result.latency_ms < 2000


def test_a_closed_port_is_refused_at_once():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are reset
        result = asyncio.run(tcp_check("127.0.0.1", port, timeout=2))
    assert (result.ok, result.error) == (False, "refused")


def test_a_port_that_never_answers_times_out_after_the_limit():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # fill the accept queue: later SYNs are dropped without a reply
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fillers.append(s)
        result = asyncio.run(tcp_check("127.0.0.1", port, timeout=0.3))
    finally:
        for s in fillers:
            s.close()
        listener.close()
    assert (result.ok, result.error) == (False, "timeout")


def test_an_unresolvable_name_is_unreachable_with_the_reason():
    result = asyncio.run(tcp_check("no-such-host.invalid", 22, timeout=5))
    assert not result.ok and result.error.startswith("unreachable")
