"""sync_devices through the real runner against the fake CheckMK: plan, apply, activate once, idempotence."""

from __future__ import annotations

import pytest

from netcron.jobs import runner
from netcron.jobs.models import DeviceResult, JobRun
from tests.engine.conftest import make_run, make_template
from tests.sources.conftest import checkmk_params, logs, make_device, run_job

pytestmark = pytest.mark.django_db

MANAGED = {"netcron/managed": "yes", "netcron/platform": "cisco_ios"}


@pytest.fixture
def drift(checkmk, cmk_credential):
    """new1 missing in CheckMK, moved1 in the wrong folder, ip1 with an old IP and a foreign label,
    ghost managed by netcron but gone from the inventory, fileserver not netcron's business."""
    make_device("new1", host="10.0.0.1", location="Berlin")
    make_device("moved1", host="10.0.0.2", location="Berlin")
    make_device("ip1", host="10.0.0.3")
    checkmk.add_host("moved1", "/hamburg", ipaddress="10.0.0.2", labels={**MANAGED, "netcron/location": "Berlin"})
    checkmk.add_host("ip1", "/", ipaddress="10.0.0.99", labels={**MANAGED, "netcron/role": "stale", "team": "noc"})
    checkmk.add_host("ghost", "/", ipaddress="10.0.0.50", labels=MANAGED)
    checkmk.add_host("fileserver", "/servers", ipaddress="10.9.0.1")
    return checkmk


def expected_mutations(plan: dict) -> list[tuple]:
    return ([("folder", f["path"]) for f in plan["folders"]]
            + [("create", e["host_name"], e["folder"], e["attributes"]) for e in plan["create"]]
            + [("move", m["host_name"], m["target_folder"]) for m in plan["move"]]
            + [("update", u["host_name"], {"update_attributes": u["update_attributes"]}) for u in plan["update"]]
            + [("delete", name) for name in plan["delete"]])


def test_a_dry_run_stores_the_exact_plan_and_the_sync_then_applies_exactly_that(drift):
    params = checkmk_params(drift, delete_missing=True, activate_changes_after_sync=True)
    dry = run_job("sync_devices", {**params, "dry_run": True})
    assert dry.status == "completed" and drift.mutations == []
    plan = dry.result["plan"]
    assert plan == {
        "folders": [{"path": "/berlin", "title": "Berlin"}],
        "create": [{"host_name": "new1", "folder": "/berlin", "attributes": {
            "ipaddress": "10.0.0.1", "labels": {**MANAGED, "netcron/location": "Berlin"}}}],
        "move": [{"host_name": "moved1", "target_folder": "/berlin"}],
        "update": [{"host_name": "ip1", "update_attributes": {"ipaddress": "10.0.0.3",
                                                              "labels": {"team": "noc", **MANAGED}}}],
        "delete": ["ghost"],
    }
    assert {r.device_name: r.detail for r in DeviceResult.objects.filter(run=dry)} == {
        "new1": "would_create", "moved1": "would_update", "ip1": "would_update"}
    run = run_job("sync_devices", params)
    assert run.status == "completed", run.error
    assert run.result["plan"] == plan
    assert drift.mutations == [*expected_mutations(plan), ("activate", 5)]
    assert "fileserver" in drift.hosts and "ghost" not in drift.hosts


def test_a_second_sync_finds_nothing_to_do_and_does_not_activate(drift):
    params = checkmk_params(drift, delete_missing=True, activate_changes_after_sync=True)
    run_job("sync_devices", params)
    requests_before = len(drift.requests)
    again = run_job("sync_devices", params)
    assert again.result["planned"] == {"folders": 0, "create": 0, "move": 0, "update": 0, "delete": 0}
    assert again.result["activation"] is None and len(drift.activations) == 1
    assert [r.path.rsplit("/", 2)[-2:] for r in drift.requests[requests_before:]] == [["collections", "all"]]
    assert "no changes; nothing to activate" in logs(again)
    assert {r.detail for r in DeviceResult.objects.filter(run=again)} == {"unchanged"}


def test_changes_are_activated_once_at_the_end_not_per_host(checkmk, cmk_credential):
    for i in range(12):
        make_device(f"r{i:02}", location="Berlin")
    run = run_job("sync_devices", checkmk_params(checkmk, activate_changes_after_sync=True, batch_size=5))
    assert run.result["applied"]["created"] == 12
    assert len(checkmk.requests_to("POST", "bulk-create")) == 3
    assert len(checkmk.requests_to("POST", "activate-changes")) == 1
    assert run.result["activation"]["changes"] == 13  # 12 hosts and one folder
    assert checkmk.pending == {}


def test_without_activate_changes_after_sync_the_changes_stay_pending(checkmk, cmk_credential):
    make_device("r1")
    run_job("sync_devices", checkmk_params(checkmk))
    assert len(checkmk.pending) == 1 and checkmk.activations == []


def test_a_moved_host_whose_etag_went_stale_is_refetched_and_moved(drift):
    drift.stale_etag_once.add("moved1")
    run = run_job("sync_devices", checkmk_params(drift))
    assert drift.hosts["moved1"]["folder"] == "/berlin"
    assert DeviceResult.objects.get(run=run, device_name="moved1").detail == "moved"
    assert len(drift.requests_to("POST", "/objects/host_config/moved1/actions/move/invoke")) == 2


def test_an_activation_racing_another_users_change_is_retried_once_with_the_new_etag(checkmk, cmk_credential):
    make_device("r1")
    checkmk.change_during_activation = 1
    run = run_job("sync_devices", checkmk_params(checkmk, activate_changes_after_sync=True))
    assert run.status == "completed" and len(checkmk.requests_to("POST", "activate-changes")) == 2
    assert checkmk.pending == {}


def test_a_host_checkmk_refuses_is_a_failed_device_and_the_others_still_sync(checkmk, cmk_credential):
    make_device("good")
    make_device("bad")
    checkmk.reject_hosts["bad"] = "you may not create hosts here"
    run = run_job("sync_devices", checkmk_params(checkmk, activate_changes_after_sync=True))
    assert run.status == "completed" and (run.count_ok, run.count_failed) == (1, 1)
    bad = DeviceResult.objects.get(run=run, device_name="bad")
    assert bad.status == "failed" and bad.message == "Validation failed: you may not create hosts here"
    assert run.result["failed"] == {"bad": "Validation failed: you may not create hosts here"}
    assert run.result["activation"]["changes"] == 1


def test_only_hosts_in_scope_are_deleted_and_only_with_delete_missing(drift):
    run_job("sync_devices", checkmk_params(drift))
    assert "ghost" in drift.hosts
    run = run_job("sync_devices", checkmk_params(drift, delete_missing=True))
    assert "ghost" not in drift.hosts and "fileserver" in drift.hosts
    assert "deleted 1 host(s) netcron does not know: ghost" in logs(run)


def test_a_503_during_a_bulk_create_is_retried_and_the_hosts_are_created_once(checkmk, cmk_credential):
    make_device("r1")
    checkmk.fail_next(2, status=503, method="POST", path="bulk-create")
    run = run_job("sync_devices", checkmk_params(checkmk))
    assert run.status == "completed" and list(checkmk.hosts) == ["r1"]
    assert len(checkmk.requests_to("POST", "bulk-create")) == 3


def test_a_500_during_a_bulk_create_is_not_resent_and_fails_the_run_as_retryable(checkmk, cmk_credential):
    make_device("r1")
    checkmk.fail_next(1, status=500, method="POST", path="bulk-create")
    run = run_job("sync_devices", checkmk_params(checkmk), max_retries=1)
    assert run.status == "failed" and "returned 500 Internal Server Error" in run.error
    assert len(checkmk.requests_to("POST", "bulk-create")) == 1 and run.retries.count() == 1


def test_service_discovery_starts_on_created_hosts_before_the_activation(checkmk, cmk_credential):
    make_device("r1")
    checkmk.add_host("r2", "/", ipaddress="10.0.0.2", labels=MANAGED)
    make_device("r2", host="10.0.0.2")
    run_job("sync_devices", checkmk_params(checkmk, discover_services=True, activate_changes_after_sync=True))
    assert checkmk.discoveries == [{"host_name": "r1", "mode": "fix_all"}]
    paths = [r.path for r in checkmk.requests if r.method == "POST"]
    assert paths.index(next(p for p in paths if "service_discovery" in p)) < paths.index(
        next(p for p in paths if "activate-changes" in p))


def test_site_and_host_tags_are_set_when_configured(checkmk, cmk_credential):
    make_device("r1")
    run_job("sync_devices", checkmk_params(checkmk, site="cmk", tag_attributes={"tag_agent": "no-agent",
                                                                                  "tag_snmp_ds": "snmp-v2"}))
    attributes = checkmk.hosts["r1"]["attributes"]
    assert (attributes["site"], attributes["tag_agent"], attributes["tag_snmp_ds"]) == ("cmk", "no-agent", "snmp-v2")


def test_an_unknown_site_is_reported_per_host_with_checkmks_field_error(checkmk, cmk_credential):
    make_device("r1")
    run = run_job("sync_devices", checkmk_params(checkmk, site="nowhere"))
    result = DeviceResult.objects.get(run=run)
    assert result.status == "failed" and "Unknown site 'nowhere'" in result.message
    assert run.status == "failed" and run.error == "all devices failed"


def test_a_cancel_stops_between_batches_and_nothing_is_activated(checkmk, cmk_credential):
    for i in range(3):
        make_device(f"r{i}")
    run = make_run(make_template(name="cancelled", job_type="sync_devices",
                                 params=checkmk_params(checkmk, batch_size=1, activate_changes_after_sync=True)))
    JobRun.objects.filter(pk=run.pk).update(cancel_requested=True)  # asked for while the run starts
    runner.execute_run(run.pk, worker="test")
    run.refresh_from_db()
    assert run.status == "cancelled" and checkmk.hosts == {} and checkmk.activations == []
    assert set(DeviceResult.objects.filter(run=run).values_list("status", flat=True)) == {"cancelled"}
    assert "cancelled between batches; changes made so far are not activated" in logs(run)


def test_an_ipv6_device_gets_checkmks_ipv6address_attribute(checkmk, cmk_credential):
    make_device("v6", host="2001:db8::1")
    run_job("sync_devices", checkmk_params(checkmk, tag_attributes={"tag_address_family": "ip-v6-only"}))
    attributes = checkmk.hosts["v6"]["attributes"]
    assert attributes["ipv6address"] == "2001:db8::1" and "ipaddress" not in attributes
    assert run_job("sync_devices", checkmk_params(
        checkmk, tag_attributes={"tag_address_family": "ip-v6-only"})).result["planned"]["update"] == 0
