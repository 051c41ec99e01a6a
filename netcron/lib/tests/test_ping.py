"""lib/ping: one-socket sweeps over loopback, stats, pacing, cancel, reply matching, and ICMP access checks.

Raw-socket tests need root (or CAP_NET_RAW); the unprivileged path is tested in a network namespace of
our own where ping_group_range can be opened without touching this machine's settings.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

import pytest

from netcron.lib import ping
from netcron.lib.ping import PingStats, _Family, icmp_access, sweep

RAW = icmp_access().mode == "raw"
needs_raw = pytest.mark.skipif(not RAW, reason="needs root or CAP_NET_RAW for a raw ICMP socket")
needs_netns = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("setpriv") is None,
                                 reason="needs root, iproute2 and setpriv to make a network namespace")


def block(n: int, start: str = "127.63.0.1") -> list[str]:
    first = int(ipaddress.ip_address(start))
    return [str(ipaddress.ip_address(first + i)) for i in range(n)]


@needs_raw
def test_every_loopback_address_answers_and_stats_add_up():
    stats = asyncio.run(sweep(block(300), count=3, interval=0.01, timeout=1))
    assert len(stats) == 300
    one = stats["127.63.0.1"]
    assert (one.sent, one.received, one.loss, one.error) == (3, 3, 0.0, "")
    assert 0 <= one.min_ms <= one.avg_ms <= one.max_ms < 1000


@needs_raw
def test_ipv6_loopback_is_pinged_over_its_own_socket_in_the_same_sweep():
    stats = asyncio.run(sweep(["::1", "127.0.0.1"], count=2, interval=0.01, timeout=1))
    assert stats["::1"].received == 2 and stats["127.0.0.1"].received == 2


@needs_raw
def test_duplicates_are_pinged_once_and_addresses_are_normalised():
    stats = asyncio.run(sweep(["127.0.0.1", "127.0.0.1", "0:0:0:0:0:0:0:1"], count=1))
    assert sorted(stats) == ["127.0.0.1", "::1"] and stats["127.0.0.1"].sent == 1


@needs_raw
def test_the_rate_spreads_sends_over_time():
    started = time.monotonic()
    asyncio.run(sweep(block(400), count=1, rate=2000, timeout=0.5))
    assert time.monotonic() - started >= 0.15


@needs_raw
def test_a_cancelled_sweep_stops_sending_and_leaves_the_rest_unprobed():
    calls = []

    def cancel_after_first_check() -> bool:
        calls.append(1)
        return len(calls) > 1

    stats = asyncio.run(sweep(block(20000, "127.64.0.1"), count=1, rate=20000, timeout=0.2,
                              cancelled=cancel_after_first_check))
    assert 0 < sum(s.sent for s in stats.values()) < 5000
    assert stats["127.64.78.32"].sent == 0


@needs_raw
def test_progress_is_reported_while_sending():
    seen = []
    asyncio.run(sweep(block(9000, "127.65.0.1"), count=1, timeout=0.2, on_progress=lambda d, t: seen.append((d, t))))
    assert seen[-1] == (9000, 9000) and len(seen) >= 3


def test_bad_addresses_and_modes_are_refused_before_any_packet():
    with pytest.raises(ValueError):
        asyncio.run(sweep(["router.example"], mode="raw"))
    with pytest.raises(ValueError, match="mode"):
        asyncio.run(sweep(["127.0.0.1"], mode="udp"))
    assert asyncio.run(sweep([])) == {}


def test_no_icmp_access_raises_permission_error_with_the_reason(monkeypatch):
    monkeypatch.setattr(ping, "icmp_access", lambda: ping.IcmpAccess(None, "not allowed here"))
    with pytest.raises(PermissionError, match="not allowed here"):
        asyncio.run(sweep(["127.0.0.1"]))


def test_loss_and_latency_come_from_the_replies_received():
    stats = PingStats("127.0.0.1", sent=4, rtts_ms=[1.0, 3.0])
    assert (stats.loss, stats.min_ms, stats.avg_ms, stats.max_ms, stats.alive) == (0.5, 1.0, 2.0, 3.0, True)
    assert PingStats("127.0.0.1").loss == 1.0 and PingStats("127.0.0.1", sent=2).avg_ms is None


@needs_raw
def test_an_icmp_unreachable_quoting_our_probe_is_matched_to_its_target():
    fam = _Family(socket.AF_INET, "raw", ident=4242, magic=b"abcd")
    try:
        probe = fam.packet(7, b"")
        inner_ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 1, 0, socket.inet_aton("127.0.0.9"),
                               socket.inet_aton("127.9.9.9"))
        icmp = struct.pack("!BBHI", 3, 1, 0, 0) + inner_ip + probe[:8]
        outer_ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0, 64, 1, 0,
                               socket.inet_aton("127.0.0.254"), socket.inet_aton("127.0.0.9"))
        assert fam.parse(outer_ip + icmp) == ("unreachable", 7, 4242, "127.9.9.9")
        echo_reply = bytes([0, 0]) + probe[2:]
        assert fam.parse(outer_ip[:20] + echo_reply) == ("reply", 7, None, None)
        assert fam.parse(outer_ip[:20] + echo_reply[:8] + b"zzzz" + echo_reply[12:]) == ("", -1, None, None)
    finally:
        fam.close()


def test_the_checksum_of_a_packet_with_its_checksum_filled_in_is_zero():
    packet = bytes([8, 0, 0, 0]) + bytes(range(4, 64))
    filled = packet[:2] + struct.pack("H", ping._checksum(packet)) + packet[4:]
    assert ping._checksum(filled) == 0


def _in_netns(ns: str, code: str, *, as_nobody: bool) -> str:
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if as_nobody else []
    env = {"PYTHONPATH": os.getcwd(), "PATH": os.environ.get("PATH", "/usr/bin")}
    out = subprocess.run(["ip", "netns", "exec", ns, *prefix, sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=60, env=env, cwd="/")
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.slow  # starts Python processes inside a namespace of its own
@needs_netns
def test_without_root_and_ping_group_range_closed_the_reason_names_the_sysctl_and_unprivileged_ping_works_when_open():
    ns = f"ncping-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=20)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True, timeout=20)
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ping_group_range=1 0"], check=True)
        closed = _in_netns(ns, "from netcron.lib.ping import icmp_access; a = icmp_access(); print(a.mode, a.reason)",
                           as_nobody=True)
        assert closed.startswith("None ") and "net.ipv4.ping_group_range = '1 0'" in closed
        assert "gid 65534" in closed
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"],
                       check=True)
        opened = _in_netns(ns, "import asyncio; from netcron.lib.ping import icmp_access, sweep; "
                               "s = asyncio.run(sweep(['127.0.0.1', '127.0.0.2'], count=2, interval=0.01)); "
                               "print(icmp_access().mode, sorted((a, x.received) for a, x in s.items()))",
                           as_nobody=True)
        assert opened == "dgram [('127.0.0.1', 2), ('127.0.0.2', 2)]"
    finally:
        subprocess.run(["ip", "netns", "del", ns], timeout=20)
