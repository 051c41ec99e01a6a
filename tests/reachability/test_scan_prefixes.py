"""Prefix scans over loopback blocks: per-address results, first/last seen, device actions, DNS and ports."""

from __future__ import annotations

import socket

import pytest

from netcron.inventory.models import Device, Tag
from netcron.jobs.models import JobRun
from netcron.lib import ping
from netcron.lib.tests.dns_responder import PtrServer as DnsResponder
from netcron.reachability.models import DiscoveredAddress, ScanResult
from tests.reachability.conftest import lab_base, logs, run_job

pytestmark = pytest.mark.django_db
FAST = {"timeout_ms": 300, "retries": 0}


@pytest.fixture
def block() -> str:
    """A /28 of loopback addresses nobody else in this test process uses (14 hosts, all answer ping)."""
    base = lab_base().rsplit(".", 1)[0]
    return f"{base}.16/28"


def addresses(run: JobRun) -> list[str]:
    return sorted(ScanResult.objects.filter(run=run).values_list("address", flat=True),
                  key=lambda a: tuple(int(x) for x in a.split(".")))


def test_a_scan_records_every_alive_address_and_a_summary_per_prefix(block):
    run = run_job("scan_prefixes", {"prefixes": [block], **FAST})
    assert run.status == "completed", logs(run)
    assert run.result["prefixes"] == [{"prefix": block, "alive": 14, "total": 14}]
    assert run.result["alive"] == 14 and run.result["new_addresses"] == 14
    assert len(addresses(run)) == 14
    row = ScanResult.objects.filter(run=run).first()
    assert row.alive and row.latency_ms is not None and row.prefix == block
    assert run.progress_done == run.progress_total == 14


def test_a_second_scan_keeps_first_seen_and_moves_last_seen(block):
    run_job("scan_prefixes", {"prefixes": [block], **FAST})
    first = DiscoveredAddress.objects.order_by("address").first()
    second_run = run_job("scan_prefixes", {"prefixes": [block], **FAST})
    again = DiscoveredAddress.objects.get(pk=first.pk)
    assert again.first_seen == first.first_seen and again.last_seen > first.last_seen
    assert again.last_run_id == second_run.pk and second_run.result["new_addresses"] == 0
    assert DiscoveredAddress.objects.count() == 14


def test_excludes_win_over_prefixes_and_includes_add_addresses(block):
    net = block.rsplit(".", 1)[0]
    run = run_job("scan_prefixes", {"prefixes": [block], "exclude": [f"{net}.16/30", f"{net}.20"],
                                    "include": [f"{net}.200", f"{net}.18"], **FAST})
    found = addresses(run)
    assert f"{net}.17" not in found and f"{net}.20" not in found and f"{net}.18" not in found
    assert f"{net}.21" in found and f"{net}.200" in found
    assert {p["prefix"]: p["total"] for p in run.result["prefixes"]} == {block: 10, f"{net}.200/32": 1}


def test_the_seed_parameter_names_are_accepted_and_stored_under_the_short_names(api_as, alice, block):
    response = api_as(alice).post("/api/job-templates", json={
        "name": "seed-scan", "job_type": "scan_prefixes", "targets": {},
        "params": {"prefixes": [block], "scan_ping_count": 2, "scan_timeout_ms": 250, "scan_retries": 0,
                   "scan_interval_ms": 5, "scan_resolve_dns": False, "scan_max_ips": 100}})
    assert response.status_code == 201, response.json()
    params = response.json()["params"]
    assert (params["ping_count"], params["timeout_ms"], params["retries"], params["max_ips"]) == (2, 250, 0, 100)
    assert "scan_ping_count" not in params


def test_a_scan_larger_than_max_ips_is_refused_with_a_422_naming_the_field(api_as, alice):
    response = api_as(alice).post("/api/job-templates", json={
        "name": "huge", "job_type": "scan_prefixes", "targets": {},
        "params": {"prefixes": ["127.0.0.0/16"], "scan_max_ips": 1024}})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "params", "prefixes"]
    assert "65536 addresses exceed max_ips (1024)" in error["msg"]


def test_prefixes_from_the_inventory_exceeding_max_ips_fail_the_run_with_the_reason():
    Device.objects.create(name="core", host="127.0.0.1", platform="linux", custom_fields={"prefixes": ["127.9.0.0/20"]})
    run = run_job("scan_prefixes", {"custom_field_name": "prefixes", "max_ips": 256})
    assert run.status == "failed" and "max_ips" in run.error


def test_prefixes_come_from_devices_selected_by_custom_field_or_tag(block):
    net = block.rsplit(".", 1)[0]
    Device.objects.create(name="r-scan", host="127.0.0.1", platform="linux",
                          custom_fields={"scan": "yes", "prefixes": [f"{net}.32/30"]})
    Device.objects.create(name="r-skip", host="127.0.0.2", platform="linux",
                          custom_fields={"scan": "no", "prefixes": [f"{net}.64/30"]})
    run = run_job("scan_prefixes", {"scan_custom_field_name": "scan", "scan_custom_field_value": "yes", **FAST})
    assert run.result["prefixes"] == [{"prefix": f"{net}.32/30", "alive": 2, "total": 2}]
    assert f"prefixes from the inventory: {net}.32/30" in logs(run)


def test_create_adds_inactive_discovered_devices_once_and_tags_them(block):
    net = block.rsplit(".", 1)[0]
    existing = Device.objects.create(name="known", host=f"{net}.17", platform="cisco_ios")
    params = {"prefixes": [f"{net}.16/30"], "action": "create", "tag": "found", **FAST}
    run = run_job("scan_prefixes", params)
    assert run.result["created"] == 1 and run.result["matched"] == 1
    made = Device.objects.get(host=f"{net}.18")
    assert (made.source, made.platform, made.is_active) == ("discovered", "linux", False)
    assert set(Tag.objects.get(name="found").devices.all()) == {made, existing}
    again = run_job("scan_prefixes", params)
    assert again.result["created"] == 0 and Device.objects.filter(source="discovered").count() == 1
    assert ScanResult.objects.get(run=again, address=f"{net}.18").device_id == made.pk


def test_tag_marks_only_existing_devices_found_alive_and_stamps_the_response_field(block):
    net = block.rsplit(".", 1)[0]
    alive = Device.objects.create(name="alive", host=f"{net}.17", platform="linux")
    outside = Device.objects.create(name="outside", host="127.0.0.1", platform="linux")
    run = run_job("scan_prefixes", {"prefixes": [f"{net}.16/30"], "action": "tag", "tag": "alive",
                                    "scan_response_custom_field_name": "last_scan_seen", **FAST})
    assert run.result["tagged"] == 1 and run.result["created"] == 0
    assert list(Tag.objects.get(name="alive").devices.all()) == [alive]
    alive.refresh_from_db()
    outside.refresh_from_db()
    assert "last_scan_seen" in alive.custom_fields and "last_scan_seen" not in outside.custom_fields


def test_reverse_dns_names_come_from_the_given_server_and_name_created_devices(block):
    net = block.rsplit(".", 1)[0]
    with DnsResponder({f"{net}.17": "edge-17.lab.example"}) as server:
        run = run_job("scan_prefixes", {"prefixes": [f"{net}.16/30"], "resolve_dns": True,
                                        "dns_servers": [server.address], "action": "create", **FAST})
    named = ScanResult.objects.get(run=run, address=f"{net}.17")
    assert named.dns_name == "edge-17.lab.example"
    assert ScanResult.objects.get(run=run, address=f"{net}.18").dns_name == ""
    assert Device.objects.get(host=f"{net}.17").name == "edge-17"
    assert DiscoveredAddress.objects.get(address=f"{net}.17").dns_name == "edge-17.lab.example"


def test_open_tcp_ports_are_recorded_per_address(block):
    net = block.rsplit(".", 1)[0]
    listener = socket.socket()
    listener.bind((f"{net}.17", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        run = run_job("scan_prefixes", {"prefixes": [f"{net}.16/30"], "tcp_ports": [port], **FAST})
    finally:
        listener.close()
    assert ScanResult.objects.get(run=run, address=f"{net}.17").open_ports == [port]
    assert ScanResult.objects.get(run=run, address=f"{net}.18").open_ports == []


def test_without_icmp_a_scan_with_ports_falls_back_to_tcp_and_one_without_fails_clearly(block, monkeypatch):
    net = block.rsplit(".", 1)[0]
    monkeypatch.setattr(ping, "icmp_access", lambda: ping.IcmpAccess(None, "ICMP ping unavailable: test."))
    failed = run_job("scan_prefixes", {"prefixes": [f"{net}.16/30"]})
    assert failed.status == "failed" and "ICMP ping unavailable: test." in failed.error
    assert "tcp_ports" in failed.error
    run = run_job("scan_prefixes", {"prefixes": [f"{net}.16/30"], "tcp_ports": [9]})
    assert run.result["alive"] == 2 and "Falling back to TCP" in logs(run)  # a reset proves the host is there
