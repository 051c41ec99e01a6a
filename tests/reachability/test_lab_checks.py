"""Reachability runs against the lab: every check passes on healthy devices, faults show as states."""

from __future__ import annotations

import pytest

from netcron.inventory.models import Credential
from netcron.lib import ping
from tests.reachability.conftest import logs, results, run_job, snmp_port
from tests.reachability.helpers import unanswered_port

pytestmark = pytest.mark.django_db


def all_checks(lab, **extra) -> dict:
    return {"checks": ["ping", "tcp", "snmp", "ssh", "netconf"], "snmp_port": snmp_port(lab), "timeout_s": 3,
            "ping": {"count": 2, "interval_ms": 10, "timeout_ms": 500}, **extra}


@pytest.fixture
def faults(lab):
    """Turn lab faults on for one test and always off again."""
    applied = []

    def set_fault(device, fault):
        lab.set_fault(device.name, fault)
        applied.append(device.name)

    yield set_fault
    for name in applied:
        lab.clear_faults(name)


def test_healthy_lab_devices_pass_every_check_and_are_up(lab, lab_devices):
    run = run_job("reachability", all_checks(lab))
    assert run.status == "completed", logs(run)
    by_name = results(run)
    assert {r.detail for r in by_name.values()} == {"up"}, {n: r.message for n, r in by_name.items()}
    ios = by_name[lab_devices[0].name].data
    assert ios["snmp"]["sys_name"] and ios["snmp"]["uptime_s"] >= 0
    assert ios["netconf"]["capabilities"] > 0 and ios["ssh"]["prompt"]
    assert ios["checks"]["ping"]["packet_loss"] == 0
    assert ios["open_ports"] == [lab_devices[0].port]
    assert run.result["up"] == 4 and run.result["down"] == 0 and run.result["ping"] == "raw"


def test_a_device_without_listeners_is_down_when_only_service_checks_run(lab, lab_devices, faults):
    faults(lab_devices[1], "down")
    run = run_job("reachability", {"checks": ["tcp", "ssh"], "timeout_s": 2})
    by_name = results(run)
    down = by_name[lab_devices[1].name]
    assert (down.status, down.detail) == ("failed", "down")
    assert "refused" in down.message
    assert by_name[lab_devices[0].name].detail == "up"


def test_a_device_answering_ping_but_refusing_services_is_degraded(lab, lab_devices, faults):
    faults(lab_devices[1], "down")
    run = run_job("reachability", all_checks(lab, timeout_s=1.5), targets={"devices": [lab_devices[1].name]})
    result = results(run)[lab_devices[1].name]
    assert (result.status, result.detail) == ("ok", "degraded")
    checks = result.data["checks"]
    assert checks["ping"]["state"] == "up" and checks["tcp"]["state"] == "down"
    assert "refused" in checks["ssh"]["error"] and "timeout" in checks["snmp"]["error"]


def test_a_rejected_login_degrades_the_device_and_names_the_reason(lab, lab_devices, faults):
    faults(lab_devices[0], "auth_fail")
    run = run_job("reachability", {"checks": ["tcp", "ssh"]}, targets={"devices": [lab_devices[0].name]})
    result = results(run)[lab_devices[0].name]
    assert result.detail == "degraded"
    assert result.data["checks"]["ssh"]["error"].startswith("auth_failed")


def test_a_hanging_device_times_out_within_the_per_check_limit(lab, lab_devices, faults):
    faults(lab_devices[2], "hang")
    run = run_job("reachability", {"checks": ["ssh", "snmp"], "timeout_s": 1, "snmp_port": snmp_port(lab)},
                  targets={"devices": [lab_devices[2].name]})
    result = results(run)[lab_devices[2].name]
    assert result.detail == "down"
    assert "timeout" in result.data["checks"]["ssh"]["error"] and "timeout" in result.data["checks"]["snmp"]["error"]
    assert run.result["seconds"] < 5


def test_a_filtered_port_is_a_timeout_and_a_closed_one_is_refused(lab, lab_devices):
    with unanswered_port(lab_devices[0].host) as silent:
        run = run_job("reachability", {"checks": ["tcp"], "tcp_ports": [lab_devices[0].port, silent, 9],
                                       "timeout_s": 1}, targets={"devices": [lab_devices[0].name]})
    result = results(run)[lab_devices[0].name]
    assert result.detail == "degraded"
    assert result.data["open_ports"] == [lab_devices[0].port]
    assert f"{silent} timeout" in result.message and "9 refused" in result.message


def test_snmp_v3_with_the_credentials_user_and_keys_works_against_the_lab(lab, lab_devices):
    spec = lab.specs[0]
    v3 = Credential(name="v3", username=spec.username, snmp_version="3", snmp_auth_protocol="SHA",
                    snmp_priv_protocol="AES")
    v3.set_secrets(password=spec.password, snmp_auth_key=spec.snmp_v3_auth_key, snmp_priv_key=spec.snmp_v3_priv_key)
    v3.save()
    params = {"checks": ["snmp"], "snmp_port": snmp_port(lab), "snmp_v3_user": spec.snmp_v3_user}
    ok = run_job("reachability", params, targets={"devices": [lab_devices[0].name]}, credential=v3)
    assert results(ok)[lab_devices[0].name].detail == "up", logs(ok)
    v3.set_secrets(snmp_auth_key="wrong-auth-key-123")
    v3.save()
    bad = run_job("reachability", {**params, "timeout_s": 1}, targets={"devices": [lab_devices[0].name]}, credential=v3)
    assert results(bad)[lab_devices[0].name].detail == "down"


def test_a_wrong_community_gets_no_answer_and_a_missing_one_says_so(lab, lab_devices, lab_credential):
    params = {"checks": ["snmp"], "snmp_port": snmp_port(lab), "timeout_s": 1}
    lab_credential.set_secrets(snmp_community="not-the-community")
    lab_credential.save()
    wrong = results(run_job("reachability", params, targets={"devices": [lab_devices[0].name]}))
    assert "timeout" in wrong[lab_devices[0].name].message
    lab_credential.set_secrets(snmp_community="")
    lab_credential.save()
    missing = results(run_job("reachability", params, targets={"devices": [lab_devices[0].name]}))
    assert "no SNMP community" in missing[lab_devices[0].name].message


def test_until_failure_stops_a_devices_checks_at_the_first_failure(lab, lab_devices, faults):
    faults(lab_devices[1], "down")
    run = run_job("reachability", {"checks": ["tcp", "ssh", "netconf"], "mode": "until_failure", "timeout_s": 1},
                  targets={"devices": [lab_devices[1].name]})
    result = results(run)[lab_devices[1].name]
    assert list(result.data["checks"]) == ["tcp"] and result.detail == "down"


def test_latency_above_the_threshold_degrades_an_otherwise_healthy_device(lab, lab_devices):
    run = run_job("reachability", {"checks": ["ping"], "latency_threshold_ms": 0.0001,
                                   "ping": {"count": 1, "timeout_ms": 500}},
                  targets={"devices": [lab_devices[0].name]})
    result = results(run)[lab_devices[0].name]
    assert result.detail == "degraded" and "above 0.0001 ms" in result.message


def test_without_icmp_the_run_log_says_why_and_tcp_stands_in_for_ping(lab, lab_devices, monkeypatch):
    reason = "ICMP ping unavailable: test says net.ipv4.ping_group_range = '1 0'."
    monkeypatch.setattr(ping, "icmp_access", lambda: ping.IcmpAccess(None, reason))
    run = run_job("reachability", {"checks": ["ping", "snmp"], "snmp_port": snmp_port(lab)})
    assert reason in logs(run) and "Falling back to TCP" in logs(run)
    assert run.result["checks"] == ["tcp", "snmp"] and run.result["ping"].startswith("unavailable")
    assert {r.detail for r in results(run).values()} == {"up"}


def test_an_unresolvable_host_is_down_with_a_dns_reason(lab, lab_devices):
    lab_devices[3].host = "no-such-host.invalid"
    lab_devices[3].save()
    run = run_job("reachability", {"checks": ["ping", "tcp"], "timeout_s": 2},
                  targets={"devices": [lab_devices[3].name]})
    result = results(run)[lab_devices[3].name]
    assert result.detail == "down" and "DNS" in result.message


def test_ssh_checks_record_every_learned_host_key_in_the_known_hosts_file(lab, lab_devices, settings):
    from netcron.lib.hostkeys import read_keys

    run = run_job("reachability", {"checks": ["ssh"], "timeout_s": 3})
    assert run.status == "completed", logs(run)
    known = read_keys(settings.DATA_DIR / "ssh_known_hosts.json")
    assert {f"[{d.host}]:{d.port}" for d in lab_devices} <= set(known)
