"""Routed hosts in a namespace of our own: one that answers ping but refuses TCP, one that drops everything.

Needs root and iproute2 (skipped otherwise). The namespace and veth pair are deleted after each test.
"""

from __future__ import annotations

import pytest

from netcron.inventory.models import Device, DeviceRuntimeStatus
from netcron.reachability.models import ScanResult, StateChange
from tests.reachability.conftest import results, run_job
from tests.reachability.helpers import can_make_netns, netns

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(bool(can_make_netns()), reason=can_make_netns() or "ok")]


@pytest.fixture
def ns():
    with netns() as made:
        yield made


def test_a_silent_routed_host_is_down_and_a_host_refusing_tcp_is_degraded(ns):
    alive = Device.objects.create(name="ns-peer", host=ns.peer, port=22, platform="linux")
    dark = Device.objects.create(name="ns-dark", host=ns.blackhole, port=22, platform="linux")
    run = run_job("reachability", {"checks": ["ping", "tcp"], "timeout_s": 1,
                                   "ping": {"count": 3, "interval_ms": 50, "timeout_ms": 400}})
    by_name = results(run)
    assert by_name["ns-peer"].detail == "degraded" and "refused" in by_name["ns-peer"].message
    assert by_name["ns-peer"].data["checks"]["ping"]["packet_loss"] == 0
    assert by_name["ns-dark"].detail == "down"
    assert by_name["ns-dark"].data["checks"]["ping"] == {"state": "down", "packet_loss": 1.0,
                                                         "error": "no reply to 3 request(s)"}
    assert "timeout" in by_name["ns-dark"].data["checks"]["tcp"]["error"]
    assert DeviceRuntimeStatus.objects.get(device=dark).state == "down"
    assert DeviceRuntimeStatus.objects.get(device=alive).state == "degraded"


def test_a_host_that_stops_answering_ping_goes_from_degraded_to_down(ns):
    device = Device.objects.create(name="ns-peer", host=ns.peer, port=22, platform="linux")
    params = {"checks": ["ping", "tcp"], "timeout_s": 1, "ping": {"count": 2, "interval_ms": 20, "timeout_ms": 300}}
    run_job("reachability", params)
    ns.sysctl("net.ipv4.icmp_echo_ignore_all", "1")
    ns.exec("ip", "link", "set", "lo", "down")  # and TCP resets stop too: nothing answers any more
    ns.exec("ip", "addr", "flush", "dev", f"{ns.link}b")
    second = run_job("reachability", params)
    assert results(second)["ns-peer"].detail == "down"
    change = StateChange.objects.get(run=second)
    assert (change.device_id, change.old_state, change.new_state) == (device.pk, "degraded", "down")


def test_a_scan_of_the_namespace_prefix_finds_exactly_the_two_live_addresses(ns):
    run = run_job("scan_prefixes", {"prefixes": [f"{ns.host}/29"], "timeout_ms": 300, "retries": 1})
    assert run.status == "completed", run.error
    assert run.result["prefixes"] == [{"prefix": f"169.254.{ns.octet}.0/29", "alive": 2, "total": 6}]
    assert sorted(ScanResult.objects.filter(run=run).values_list("address", flat=True)) == [ns.host, ns.peer]
