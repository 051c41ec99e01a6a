"""compare_devices through the real runner against the fake CheckMK: what is stored, per run and per device."""

from __future__ import annotations

import pytest

from netcron.jobs.models import DeviceResult
from netcron.monitoring.models import Comparison
from tests.sources.conftest import checkmk_params, logs, make_device, run_job

pytestmark = pytest.mark.django_db

LABELS = {"netcron/managed": "yes", "netcron/platform": "cisco_ios", "netcron/location": "Berlin"}


@pytest.fixture
def fleet(checkmk, cmk_credential):
    """r1 in sync, r2 with another IP, r3 missing in CheckMK, ghost only in CheckMK (managed by netcron)."""
    make_device("r1", host="10.0.0.1", location="Berlin")
    make_device("r2", host="10.0.0.2", location="Berlin")
    make_device("r3", host="10.0.0.3", location="Berlin")
    checkmk.add_host("r1", "/berlin", ipaddress="10.0.0.1", labels=LABELS)
    checkmk.add_host("r2", "/berlin", ipaddress="10.0.0.99", labels=LABELS)
    checkmk.add_host("ghost", "/berlin", ipaddress="10.0.0.50", labels=LABELS)
    return checkmk


def statuses(comparison: Comparison) -> dict[str, str]:
    return dict(comparison.rows.values_list("name", "status"))


def test_compare_reports_in_sync_different_missing_in_monitoring_and_missing_in_source(fleet):
    run = run_job("compare_devices", checkmk_params(fleet))
    assert run.status == "completed", run.error
    assert run.result == {"comparison_id": run.comparison.pk, "target": "checkmk", "in_sync": 1, "different": 1,
                          "missing_in_monitoring": 1, "missing_in_source": 1}
    assert statuses(run.comparison) == {"r1": "in_sync", "r2": "different", "r3": "missing_in_monitoring",
                                        "ghost": "missing_in_source"}
    assert "1 in sync, 1 different, 1 missing in monitoring, 1 missing in source" in logs(run)


def test_each_row_keeps_a_json_diff_with_the_netcron_and_the_monitoring_value(fleet):
    run = run_job("compare_devices", checkmk_params(fleet))
    r2 = run.comparison.rows.get(name="r2")
    assert r2.diff == {"ipaddress": {"source": "10.0.0.2", "monitoring": "10.0.0.99"}}
    assert r2.summary == "ipaddress: 10.0.0.99 → 10.0.0.2" and r2.location == "Berlin"
    assert r2.device.name == "r2" and run.comparison.rows.get(name="ghost").device is None


def test_every_target_device_gets_a_device_result_with_the_status_as_detail(fleet):
    run = run_job("compare_devices", checkmk_params(fleet))
    results = {r.device_name: (r.status, r.detail) for r in DeviceResult.objects.filter(run=run)}
    assert results == {"r1": ("ok", "in_sync"), "r2": ("ok", "different"), "r3": ("ok", "missing_in_monitoring")}
    assert (run.count_ok, run.count_failed) == (3, 0)


def test_folder_site_labels_and_tags_are_compared(checkmk, cmk_credential):
    make_device("r1", host="10.0.0.1", location="Berlin", role="core", tags=("edge",))
    checkmk.add_host("r1", "/hamburg", ipaddress="10.0.0.1", site="cmk",
                     labels={"netcron/managed": "yes", "netcron/platform": "cisco_ios", "netcron/location": "Berlin"})
    run = run_job("compare_devices", checkmk_params(checkmk, site="cmk", tag_attributes={"tag_agent": "no-agent"}))
    diff = run.comparison.rows.get(name="r1").diff
    assert diff["folder"] == {"source": "/berlin", "monitoring": "/hamburg"}
    assert diff["labels"]["source"]["netcron/tag/edge"] == "yes" and diff["labels"]["source"]["netcron/role"] == "core"
    assert diff["tag_agent"] == {"source": "no-agent", "monitoring": None}
    assert "site" not in diff


def test_labels_netcron_does_not_manage_are_not_differences(checkmk, cmk_credential):
    make_device("r1", host="10.0.0.1")
    checkmk.add_host("r1", "/", ipaddress="10.0.0.1",
                     labels={"netcron/managed": "yes", "netcron/platform": "cisco_ios", "team": "noc"}, alias="R1")
    run = run_job("compare_devices", checkmk_params(checkmk))
    assert statuses(run.comparison) == {"r1": "in_sync"}


def test_unmanaged_hosts_are_ignored_unless_they_live_in_the_scope_folder(checkmk, cmk_credential):
    make_device("r1", host="10.0.0.1")
    checkmk.add_host("fileserver", "/servers", ipaddress="10.9.0.1")
    checkmk.add_host("old-switch", "/network/old", ipaddress="10.9.0.2")
    run = run_job("compare_devices", checkmk_params(checkmk))
    assert "fileserver" not in statuses(run.comparison) and "old-switch" not in statuses(run.comparison)
    run = run_job("compare_devices", checkmk_params(checkmk, scope_folder="/network"))
    assert statuses(run.comparison)["old-switch"] == "missing_in_source"
    assert "fileserver" not in statuses(run.comparison)


def test_hosts_of_active_devices_outside_the_targets_are_not_missing_in_source(checkmk, cmk_credential):
    make_device("berlin1", location="Berlin")
    make_device("hamburg1", location="Hamburg")
    checkmk.add_host("hamburg1", "/hamburg", labels={"netcron/managed": "yes"})
    run = run_job("compare_devices", checkmk_params(checkmk), targets={"locations": ["Berlin"]})
    assert statuses(run.comparison) == {"berlin1": "missing_in_monitoring"}


def test_a_deactivated_devices_host_is_missing_in_source(checkmk, cmk_credential):
    make_device("r1")
    gone = make_device("r-old")
    gone.is_active = False
    gone.save()
    checkmk.add_host("r-old", "/", labels={"netcron/managed": "yes"})
    run = run_job("compare_devices", checkmk_params(checkmk))
    assert statuses(run.comparison)["r-old"] == "missing_in_source"


def test_the_folder_template_builds_nested_folders_from_location_hierarchy_and_role(checkmk, cmk_credential):
    from netcron.inventory.models import Location

    europe = Location.objects.create(name="Europe")
    Location.objects.create(name="Berlin Mitte", parent=europe)
    make_device("r1", location="Berlin Mitte", role="Core")
    run = run_job("compare_devices", checkmk_params(checkmk, folder_template="/network/{location_path}/{role}"))
    row = run.comparison.rows.get()
    assert row.status == "missing_in_monitoring"
    run = run_job("sync_devices", checkmk_params(checkmk, folder_template="/network/{location_path}/{role}"))
    assert checkmk.hosts["r1"]["folder"] == "/network/europe/berlin_mitte/core"
    assert checkmk.folders["/network/europe/berlin_mitte"]["title"] == "Berlin Mitte"


def test_a_bad_folder_template_is_refused_when_the_run_starts(checkmk, cmk_credential):
    make_device("r1")
    run = run_job("compare_devices", checkmk_params(checkmk, folder_template="/{tenant}"))
    assert run.status == "failed" and "unknown variable(s) tenant" in run.error
