"""Pushing to a remote, retrying only the failed devices, cancelling mid-run, per-device failures."""

from __future__ import annotations

import pygit2
import pytest

from netcron.inventory.models import Device
from netcron.jobs.dispatch import retry_failed_devices
from netcron.jobs.models import JobRun
from netcron.jobs.runner import Context, execute_run
from tests.backup.conftest import backup, commits, repo_at, results, tree_files

pytestmark = pytest.mark.django_db


def test_backups_are_pushed_to_a_remote_bare_repository(lab, fleet, tmp_path):
    bare = pygit2.init_repository(str(tmp_path / "remote.git"), bare=True)
    params = {"remote_url": f"file://{tmp_path / 'remote.git'}", "branch": "configs"}
    devices = [fleet["ios-0001"], fleet["junos-0004"]]
    first = backup(params, devices=devices)
    assert first.result["pushed"] is True
    assert str(bare.references["refs/heads/configs"].target) == first.result["commit"]
    lab.configure("junos-0004", ["set system location building netcron-test"])
    second = backup(params, devices=devices)
    head = bare[bare.references["refs/heads/configs"].target]
    assert str(head.id) == second.result["commit"] and str(head.parents[0].id) == first.result["commit"]
    assert b"netcron-test" in tree_files(head)["branch-lon/junos-0004.running.cfg"]


def test_a_remote_that_cannot_be_reached_keeps_the_commit_locally_and_says_so(lab, fleet, tmp_path):
    run = backup({"remote_url": f"file://{tmp_path / 'missing.git'}"}, devices=[fleet["ios-0001"]])
    assert run.status == "completed" and run.count_ok == 1
    assert run.result["pushed"] is False and "missing.git" in run.result["push_error"]
    assert run.logs.filter(level="error", message__contains="missing.git").exists()


def test_a_device_whose_path_would_leave_the_repository_fails_alone(lab, fleet, data_dir):
    evil = Device.objects.create(name="../../../etc/cron.d/x", host="192.0.2.1", platform="cisco_ios",
                                 credential=fleet["ios-0001"].credential)
    run = backup({"backup_running_config_path": "{{ device.name }}.cfg"}, devices=[evil, fleet["ios-0001"]])
    by_name = results(run)
    assert by_name[evil.name].status == "failed" and "'..'" in by_name[evil.name].message
    assert list(tree_files(commits(repo_at(data_dir / "configs"))[0])) == ["ios-0001.cfg"]
    assert not (data_dir.parent / "etc").exists()


def test_a_device_without_credential_fails_with_the_reason(lab, fleet):
    device = fleet["nxos-0008"]
    device.credential = None
    device.save()
    run = backup(devices=[device, fleet["nxos-0002"]])
    assert results(run)["nxos-0008"].message == "no credential: set one on the device or on the job template"
    assert run.count_ok == 1


def test_retrying_failed_devices_backs_up_exactly_those(lab, fleet, data_dir):
    lab.set_fault("eos-0009", "down")
    lab.set_fault("lnx-0012", "auth_fail")
    run = backup()
    assert run.count_failed == 2
    lab.clear_faults("eos-0009")
    lab.clear_faults("lnx-0012")
    retry = retry_failed_devices(run)
    execute_run(retry.pk, worker="test")
    retry.refresh_from_db()
    assert sorted(results(retry)) == ["eos-0009", "lnx-0012"]
    assert (retry.status, retry.count_ok, retry.triggered_by) == ("completed", 2, "retry")
    newest, first = commits(repo_at(data_dir / "configs"))
    added = set(tree_files(newest)) - set(tree_files(first))
    assert added == {"dc1/eos-0009.running.cfg", "branch-lon/lnx-0012.running.cfg"}


def test_cancelling_mid_run_keeps_and_commits_the_devices_already_backed_up(lab, fleet, data_dir, monkeypatch):
    lab.set_fault("ios-0001", "hang")
    # The user cancels while the hanging device is being logged into (deterministic, no sleeps).
    monkeypatch.setattr(Context, "CANCEL_CHECK_SECONDS", 0)
    opened_before = lab.device("ios-0001").sessions_opened
    monkeypatch.setattr(JobRun, "cancel_is_requested",
                        lambda self: lab.device("ios-0001").sessions_opened > opened_before)
    names = ["eos-0003", "eos-0009", "ios-0001", "ios-0007", "junos-0004"]
    run = backup({"parallel_tasks": 1, "connect_timeout": 60}, devices=[fleet[n] for n in names])
    by_name = results(run)
    assert run.status == "cancelled"
    assert {n: r.status for n, r in by_name.items()} == {
        "eos-0003": "ok", "eos-0009": "ok", "ios-0001": "cancelled", "ios-0007": "cancelled",
        "junos-0004": "cancelled"}
    [commit] = commits(repo_at(data_dir / "configs"))
    assert sorted(tree_files(commit)) == ["branch-nyc/eos-0003.running.cfg", "dc1/eos-0009.running.cfg"]
    assert run.result["changed"] == 2


def test_a_device_slower_than_its_timeout_fails_with_the_timeout(lab, fleet):
    lab.set_fault("nxos-0008", "slow")  # every reply 0.5 s late
    run = backup({"device_timeout": 0.3}, devices=[fleet["nxos-0008"], fleet["nxos-0002"]])
    by_name = results(run)
    assert (by_name["nxos-0008"].status, by_name["nxos-0008"].message) == ("failed", "timed out after 0.3s")
    assert by_name["nxos-0002"].status == "ok"


def test_the_commit_message_template_and_the_changed_devices_go_into_the_commit(lab, fleet, data_dir):
    backup({"commit_message": "nightly {{ job_name }}: {{ changed }} changed"},
           devices=[fleet["ros-0005"], fleet["ros-0011"]])
    [commit] = commits(repo_at(data_dir / "configs"))
    title, _, body = commit.message.partition("\n\n")
    assert title.startswith("nightly backup-") and title.endswith(": 2 changed")
    assert body.splitlines() == ["- ros-0005", "- ros-0011"]


@pytest.mark.parametrize("params, error", [
    ({"repository_path": "/srv/elsewhere"}, "is outside the data directory"),
    ({"push_credential_id": 99999}, "push_credential_id: credential 99999 does not exist"),
])
def test_an_unusable_repository_setting_fails_the_run_with_the_reason(lab, fleet, params, error):
    run = backup(params, devices=[fleet["ios-0001"]])
    assert run.status == "failed" and error in run.error
