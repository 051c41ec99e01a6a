"""Backups through the real runner against the lab: partial success, one commit per run, exact diffs."""

from __future__ import annotations

import pytest

from netcron.configs.models import ConfigVersion
from tests.backup.conftest import backup, commits, repo_at, results, tree_files

pytestmark = pytest.mark.django_db


def test_a_mixed_fleet_with_failing_devices_gets_one_commit_holding_only_the_good_ones(lab, fleet, data_dir):
    lab.set_fault("eos-0003", "down")
    lab.set_fault("ros-0005", "auth_fail")
    run = backup()
    assert run.status == "completed"
    assert (run.count_ok, run.count_failed) == (10, 2)
    by_name = results(run)
    assert by_name["eos-0003"].status == "failed" and "connection refused" in by_name["eos-0003"].message
    assert by_name["ros-0005"].status == "failed" and "authentication failed" in by_name["ros-0005"].message
    repo = repo_at(data_dir / "configs")
    [commit] = commits(repo)
    files = tree_files(commit)
    assert sorted(files) == sorted(f"{d.location.name}/{d.name}.running.cfg" for name, d in fleet.items()
                                   if name not in ("eos-0003", "ros-0005"))
    ok = by_name["ios-0001"]
    assert (ok.status, ok.detail) == ("ok", "changed")
    assert ok.artifact == f"{commit.id}:dc1/ios-0001.running.cfg"
    assert run.result["commit"] == str(commit.id) and run.result["changed"] == 10
    assert ConfigVersion.objects.filter(commit=str(commit.id)).count() == 10


def test_a_second_run_without_changes_makes_no_commit_and_reports_every_device_unchanged(lab, fleet, data_dir):
    first = backup()
    second = backup()
    repo = repo_at(data_dir / "configs")
    assert len(commits(repo)) == 1
    assert second.result["commit"] is None and second.result["unchanged"] == 12
    r = results(second)["junos-0004"]
    assert (r.status, r.detail, r.message) == ("ok", "unchanged", "running: unchanged")
    assert r.artifact == f"{first.result['commit']}:branch-lon/junos-0004.running.cfg"
    assert ConfigVersion.objects.filter(run=second).count() == 0


def test_a_config_change_in_the_lab_commits_exactly_that_diff(lab, fleet, data_dir):
    device = fleet["ios-0007"]
    backup()
    before = lab.running_config("ios-0007")
    lab.configure("ios-0007", ["interface GigabitEthernet1/0/2", "description netcron-changed-by-test"])
    run = backup()
    by_name = results(run)
    assert [n for n, r in by_name.items() if r.detail == "changed"] == ["ios-0007"]
    assert by_name["ios-0007"].message == "running: +1 -1 lines"
    repo = repo_at(data_dir / "configs")
    newest, oldest = commits(repo)
    diff = repo.diff(oldest, newest)
    assert [p.delta.new_file.path for p in diff] == ["branch-nyc/ios-0007.running.cfg"]
    changed = [line for line in diff.patch.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    old_description = next(line for line in before.splitlines()
                           if line.startswith(" description") and before.index(line) > before.index(
                               "interface GigabitEthernet1/0/2"))
    assert changed == [f"-{old_description}", "+ description netcron-changed-by-test"]
    versions = ConfigVersion.objects.filter(device=device).order_by("id")
    assert [v.commit for v in versions] == [str(oldest.id), str(newest.id)]
    assert versions[1].changed_lines == 2 and versions[1].run_id == run.pk


def test_volatile_lines_are_stripped_so_a_new_timestamp_alone_is_no_change(lab, fleet, data_dir):
    first = backup(devices=[fleet["ios-0001"], fleet["junos-0004"], fleet["ros-0005"], fleet["nxos-0002"]])
    # Touch each device without a net change: the "last change" timestamps in the output move on.
    for name in ("ios-0001", "nxos-0002"):
        lab.configure(name, [f"hostname {name}"])
    lab.configure("junos-0004", ["set system host-name junos-0004"])
    second = backup(devices=[fleet["ios-0001"], fleet["junos-0004"], fleet["ros-0005"], fleet["nxos-0002"]])
    assert second.result["commit"] is None, [r.message for r in second.device_results.all()]
    text = tree_files(commits(repo_at(data_dir / "configs"))[0])["dc1/ios-0001.running.cfg"].decode()
    assert "Last configuration change" not in text and "Current configuration" not in text
    assert text.startswith("!\n") and text.endswith("end\n") and "\r" not in text
    assert first.result["changed"] == 4


def test_startup_configs_are_backed_up_where_the_platform_has_one(lab, fleet, data_dir):
    run = backup({"configs": "both"}, devices=[fleet["ios-0001"], fleet["junos-0004"]])
    files = tree_files(commits(repo_at(data_dir / "configs"))[0])
    assert sorted(files) == ["branch-lon/junos-0004.running.cfg", "dc1/ios-0001.running.cfg",
                            "dc1/ios-0001.startup.cfg"]
    assert "Using" not in files["dc1/ios-0001.startup.cfg"].decode()
    assert results(run)["ios-0001"].message == "running: new, {} lines; startup: new, {} lines".format(
        *(files[f"dc1/ios-0001.{k}.cfg"].count(b"\n") for k in ("running", "startup")))


def test_seed_style_path_placeholders_are_translated(lab, fleet, data_dir):
    backup({"backup_running_config_path": "backups/{location.name}/{device_name}/running-config.txt"},
           devices=[fleet["eos-0003"]])
    assert list(tree_files(commits(repo_at(data_dir / "configs"))[0])) == [
        "backups/branch-nyc/eos-0003/running-config.txt"]


def test_a_device_that_moves_location_has_its_file_moved_in_the_same_commit(lab, fleet, data_dir):
    from netcron.inventory.models import Location

    device = fleet["lnx-0006"]
    backup(devices=[device])
    device.location = Location.objects.create(name="moved-here")
    device.save()
    run = backup(devices=[device])
    assert list(tree_files(commits(repo_at(data_dir / "configs"))[0])) == ["moved-here/lnx-0006.running.cfg"]
    assert results(run)["lnx-0006"].detail == "changed"


def test_the_backup_time_is_stamped_on_the_device_without_losing_other_custom_fields(lab, fleet, data_dir):
    device = fleet["ios-0001"]
    device.custom_fields = {"owner": "neteng"}
    device.save()
    run = backup({"write_timestamp_to_custom_field": True, "timestamp_custom_field_name": "last_backup"},
                 devices=[device, fleet["eos-0003"]])
    lab_down = run.count_failed
    device.refresh_from_db()
    assert lab_down == 0
    assert device.custom_fields["owner"] == "neteng" and device.custom_fields["last_backup"].startswith("20")
    assert device.runtime_status.last_backup_at is not None


def test_a_device_busy_in_another_backup_run_is_skipped(lab, fleet, data_dir):
    from netcron.jobs.models import DeviceLock
    from tests.engine.conftest import make_run, make_template

    other = make_run(make_template(name="other", job_type="backup"), status="running")
    DeviceLock.objects.create(device=fleet["ios-0001"], job_type="backup", run=other)
    run = backup(devices=[fleet["ios-0001"], fleet["ios-0007"]])
    by_name = results(run)
    assert by_name["ios-0001"].status == "skipped" and f"run #{other.pk}" in by_name["ios-0001"].message
    assert by_name["ios-0007"].status == "ok"


def test_strict_host_keys_refuse_an_unknown_device_and_tofu_records_it(lab, fleet, data_dir):
    from netcron.inventory.models import Credential

    strict = Credential(name="strict", username="admin", host_key_policy="strict")
    strict.set_secrets(password="admin")
    strict.save()
    fleet["eos-0009"].credential = strict
    fleet["eos-0009"].save()
    run = backup(devices=[fleet["eos-0009"], fleet["eos-0003"]])
    assert results(run)["eos-0009"].detail == "host_key_unknown"
    assert fleet["eos-0003"].host in (data_dir / "ssh_known_hosts.json").read_text()
