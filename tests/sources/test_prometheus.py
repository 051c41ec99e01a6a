"""Prometheus file service discovery: sync writes targets JSON atomically, compare reads it back."""

from __future__ import annotations

import json
import os

import pytest

from tests.sources.conftest import make_device, run_job

pytestmark = pytest.mark.django_db


def prom(**extra) -> dict:
    return {"prometheus": {"file": "netcron.json", **extra}}


def read(prometheus_dir) -> list[dict]:
    return json.loads((prometheus_dir / "netcron.json").read_text())


def test_sync_writes_one_target_group_per_device_with_netcron_labels(prometheus_dir):
    make_device("r1", host="10.0.0.1", location="Berlin", role="core", tags=("edge", "pci"))
    make_device("r2", host="2001:db8::2", platform="arista_eos")
    run = run_job("sync_devices", prom(port=9116, labels={"job_kind": "snmp"}))
    assert run.status == "completed", run.error
    assert read(prometheus_dir) == [
        {"targets": ["10.0.0.1:9116"], "labels": {"job_kind": "snmp", "netcron_device": "r1",
                                                  "netcron_platform": "cisco_ios", "netcron_role": "core",
                                                  "netcron_location": "Berlin", "netcron_tags": ",edge,pci,"}},
        {"targets": ["[2001:db8::2]:9116"], "labels": {"job_kind": "snmp", "netcron_device": "r2",
                                                       "netcron_platform": "arista_eos"}},
    ]
    assert oct(os.stat(prometheus_dir / "netcron.json").st_mode & 0o777) == "0o644"
    assert [p.name for p in prometheus_dir.iterdir()] == ["netcron.json"]  # no temp file left behind


def test_compare_reads_the_file_and_reports_each_kind_of_difference(prometheus_dir):
    make_device("r1", host="10.0.0.1")
    make_device("r2", host="10.0.0.2")
    run_job("sync_devices", prom())
    groups = read(prometheus_dir)
    groups[0]["targets"] = ["10.0.0.99"]
    groups.append({"targets": ["10.0.0.7"], "labels": {"netcron_device": "gone"}})
    groups.append({"targets": ["10.0.0.8"], "labels": {"team": "db"}})
    (prometheus_dir / "netcron.json").write_text(json.dumps(groups))
    make_device("r3", host="10.0.0.3")
    run = run_job("compare_devices", prom())
    assert dict(run.comparison.rows.values_list("name", "status")) == {
        "r1": "different", "r2": "in_sync", "r3": "missing_in_monitoring", "gone": "missing_in_source"}


def test_sync_keeps_foreign_groups_and_removes_unknown_devices_only_with_delete_missing(prometheus_dir):
    make_device("r1", host="10.0.0.1")
    prometheus_dir.mkdir(parents=True)
    foreign = {"targets": ["10.0.0.8"], "labels": {"team": "db"}}
    gone = {"targets": ["10.0.0.7"], "labels": {"netcron_device": "gone"}}
    (prometheus_dir / "netcron.json").write_text(json.dumps([foreign, gone]))
    run_job("sync_devices", prom())
    assert gone in read(prometheus_dir) and foreign in read(prometheus_dir)
    run = run_job("sync_devices", {**prom(), "delete_missing": True})
    assert gone not in read(prometheus_dir) and foreign in read(prometheus_dir)
    assert run.result["applied"]["deleted"] == 1


def test_a_dry_run_leaves_the_file_alone_and_a_resync_does_not_rewrite_it(prometheus_dir):
    make_device("r1")
    run = run_job("sync_devices", {**prom(), "dry_run": True})
    assert run.result["plan"]["add"] == ["r1"] and not (prometheus_dir / "netcron.json").exists()
    run_job("sync_devices", prom())
    first = os.stat(prometheus_dir / "netcron.json").st_mtime_ns
    again = run_job("sync_devices", prom())
    assert again.result["planned"] == {"add": 0, "change": 0, "remove": 0}
    assert os.stat(prometheus_dir / "netcron.json").st_mtime_ns == first


def test_a_file_name_with_a_path_is_refused(db):
    make_device("r1")
    run = run_job("sync_devices", {"prometheus": {"file": "../../etc/passwd.json"}})
    assert run.status == "failed" and "('prometheus', 'file'): String should match pattern" in run.error


def test_exactly_one_monitoring_target_is_required(db):
    make_device("r1")
    run = run_job("compare_devices", {})
    assert run.status == "failed" and "set exactly one monitoring target" in run.error
