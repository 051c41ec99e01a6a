"""How check results become states, and what the job parameters accept."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netcron.executors.reachability.evaluate import device_state, ping_row, port_row, row
from netcron.executors.reachability.params import ReachabilityParams
from netcron.executors.scan_prefixes.params import ScanParams
from netcron.executors.scan_prefixes.targets import TooMany, expand
from netcron.lib.ping import PingStats
from netcron.lib.tcp import TcpResult


def test_partial_ping_loss_is_degraded_and_total_loss_is_down():
    assert ping_row(PingStats("h", 4, [1.0, 1.2, 0.9, 1.1]), None).state == "up"
    partial = ping_row(PingStats("h", 4, [1.0, 1.2]), None)
    assert (partial.state, partial.packet_loss, partial.error) == ("degraded", 0.5, "50% loss (2/4 replies)")
    lost = ping_row(PingStats("h", 4, []), None)
    assert (lost.state, lost.packet_loss) == ("down", 1.0)


def test_an_icmp_error_is_the_reason_of_a_failed_ping():
    assert ping_row(PingStats("h", 2, [], error="unreachable from 10.0.0.1"), None).error == "unreachable from 10.0.0.1"


def test_slow_ping_and_slow_connects_are_degraded_only_above_the_threshold():
    assert ping_row(PingStats("h", 1, [12.0]), 10).state == "degraded"
    assert ping_row(PingStats("h", 1, [8.0]), 10).state == "up"
    assert port_row([TcpResult("h", 22, True, 30.0)], 10).state == "degraded"


def test_some_ports_closed_is_degraded_and_all_closed_is_down():
    open_, refused = TcpResult("h", 22, True, 1.0), TcpResult("h", 443, False, error="refused")
    assert port_row([open_, refused], None).state == "degraded"
    assert port_row([refused], None).state == "down"


@pytest.mark.parametrize(("states", "expected"), [
    (["up", "up"], "up"), (["down", "down"], "down"), (["up", "down"], "degraded"), (["degraded"], "degraded"),
    (["down", "degraded"], "degraded")])
def test_a_device_is_down_only_when_every_check_failed_and_up_only_when_every_check_passed(states, expected):
    rows = [row(f"c{i}", s == "up") for i, s in enumerate(states)]
    for r, s in zip(rows, states, strict=True):
        r.state = s
    assert device_state(rows)[0] == expected


def test_the_device_summary_takes_ping_latency_and_loss_when_ping_ran():
    state, summary = device_state([row("tcp", True, latency=5.0), ping_row(PingStats("h", 2, [1.0, 3.0]), None)])
    assert (state, summary.latency_avg_ms, summary.latency_min_ms, summary.packet_loss) == ("up", 2.0, 1.0, 0.0)


def test_reachability_params_reject_unknown_checks_repeats_and_unknown_keys():
    for bad in ({"checks": ["icmp"]}, {"checks": ["ping", "ping"]}, {"checks": []}, {"pingcount": 3},
                {"ping": {"count": 11}}, {"tcp_ports": [0]}):
        with pytest.raises(ValidationError):
            ReachabilityParams.model_validate(bad)


def test_scan_params_accept_the_seed_names_and_refuse_too_big_scans_naming_prefixes():
    p = ScanParams.model_validate({"scan_ping_count": 3, "scan_max_ips": 300, "prefixes": ["10.1.0.0/24"]})
    assert (p.ping_count, p.max_ips, p.prefixes) == (3, 300, ["10.1.0.0/24"])
    with pytest.raises(ValidationError) as err:
        ScanParams.model_validate({"max_ips": 100, "prefixes": ["10.1.0.0/24"]})
    assert err.value.errors()[0]["loc"] == ("prefixes",) and "256 addresses exceed max_ips (100)" in str(err.value)
    with pytest.raises(ValidationError, match="not an IP address"):
        ScanParams.model_validate({"prefixes": ["10.1.0.0/33"]})
    with pytest.raises(ValidationError, match="DNS server"):
        ScanParams.model_validate({"dns_servers": ["dns.example"]})


def test_expansion_skips_network_and_broadcast_and_merged_excludes():
    got = expand(["192.0.2.0/29"], ["198.51.100.7"], ["192.0.2.0/30", "192.0.2.2/31", "192.0.2.6"], 100)
    assert got == {"192.0.2.4": "192.0.2.0/29", "192.0.2.5": "192.0.2.0/29", "198.51.100.7": "198.51.100.7/32"}
    assert list(expand(["192.0.2.8/31"], [], [], 10)) == ["192.0.2.8", "192.0.2.9"]
    with pytest.raises(TooMany):
        expand(["10.0.0.0/16"], [], [], 1000)
