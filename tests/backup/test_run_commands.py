"""run_commands against the lab: templating per device, config mode, errors, truncation, parsing, dry run."""

from __future__ import annotations

import pygit2
import pytest

from tests.backup.conftest import results, run_job

pytestmark = pytest.mark.django_db


def commands(params, devices):
    return run_job("run_commands", params, devices)


def sessions(lab) -> int:
    return sum(state.sessions_opened for state in lab.devices.values())


def test_commands_are_rendered_per_device_and_each_output_is_kept_with_its_timing(lab, fleet):
    run = commands({"commands": ["show version", "show interfaces {{ custom_fields.uplink | default('Gi1/0/1') }}"]},
                   [fleet["ios-0001"]])
    result = results(run)["ios-0001"]
    assert (run.status, result.status, result.message) == ("completed", "ok", "2 command(s) ok")
    first, second = result.data["commands"]
    assert first["command"] == "show version" and "Cisco IOS XE Software" in first["output"]
    assert second["command"] == "show interfaces Gi1/0/1" and "GigabitEthernet1/0/1 is" in second["output"]
    assert first["ok"] and first["seconds"] >= 0 and first["truncated"] is False


def test_a_command_template_sees_device_location_and_tags(lab, fleet):
    template = ("{% if device.platform == 'cisco_ios' %}show clock\n{% endif %}"
                "{% if 'core' in tags %}show version\n{% endif %}show running-config | include {{ location.name }}")
    run = commands({"command_template": template}, [fleet["ios-0001"], fleet["eos-0003"]])
    sent = {name: [c["command"] for c in r.data["commands"]] for name, r in results(run).items()}
    assert sent == {"ios-0001": ["show clock", "show running-config | include dc1"],
                    "eos-0003": ["show running-config | include branch-nyc"]}


@pytest.mark.parametrize("escape", [
    "show {{ ''.__class__.__mro__ }}",
    "show {{ device.__class__ }}",
    "show {{ device.credential.get_secret('password') }}",
    "show {{ device.save() }}",
])
def test_template_escapes_fail_the_device_before_any_session_is_opened(lab, fleet, escape):
    before = sessions(lab)
    run = commands({"commands": [escape]}, [fleet["ios-0007"]])
    result = results(run)["ios-0007"]
    assert (result.status, result.detail) == ("failed", "template_error")
    assert result.message.startswith("template: ")
    assert "admin" not in result.message and sessions(lab) == before


def test_an_unknown_command_fails_the_device_with_the_platforms_message(lab, fleet):
    run = commands({"commands": ["show version", "show bogus-thing", "show version"]},
                   [fleet["ios-0007"], fleet["junos-0010"]])
    by_name = results(run)
    ios = by_name["ios-0007"]
    assert ios.status == "failed" and "% Invalid input detected at '^' marker" in ios.message
    assert [c["ok"] for c in ios.data["commands"]] == [True, False] and ios.data["not_run"] == 1
    assert "syntax error, expecting <command>" in by_name["junos-0010"].message


def test_without_stop_on_error_the_remaining_commands_still_run(lab, fleet):
    run = commands({"commands": ["show bogus-thing", "show version"], "stop_on_error": False}, [fleet["eos-0009"]])
    result = results(run)["eos-0009"]
    assert result.status == "failed"
    assert [c["ok"] for c in result.data["commands"]] == [False, True] and result.data["not_run"] == 0


def test_config_mode_changes_the_running_config_and_save_makes_it_persist(lab, fleet):
    lines = ["interface GigabitEthernet1/0/3", "description set-by-run-commands-{{ device.name }}"]
    run = commands({"commands": lines, "config_mode": True, "save_config": True}, [fleet["ios-0001"]])
    result = results(run)["ios-0001"]
    assert result.status == "ok", result.message
    assert " description set-by-run-commands-ios-0001" in lab.running_config("ios-0001")
    assert " description set-by-run-commands-ios-0001" in lab.device("ios-0001").startup_config()
    assert [c["command"] for c in result.data["commands"]] == ["(config mode: 2 line(s))", "(save config)"]


def test_config_mode_on_junos_commits(lab, fleet):
    run = commands({"commands": ["set system location building rc-{{ device.name }}"], "config_mode": True},
                   [fleet["junos-0010"]])
    assert results(run)["junos-0010"].status == "ok"
    assert "rc-junos-0010" in lab.running_config("junos-0010")


def test_a_rejected_config_line_fails_the_device_with_the_platforms_message(lab, fleet):
    run = commands({"commands": ["interface GigabitEthernet1/0/4", "frobnicate now"], "config_mode": True},
                   [fleet["ios-0007"]])
    result = results(run)["ios-0007"]
    assert result.status == "failed" and "Invalid input" in result.message
    assert "frobnicate" not in lab.running_config("ios-0007")


def test_long_outputs_are_truncated_with_a_marker(lab, fleet):
    run = commands({"commands": ["show running-config"], "max_output_bytes": 1024}, [fleet["nxos-0002"]])
    [record] = results(run)["nxos-0002"].data["commands"]
    assert record["truncated"] is True and record["output_bytes"] > 1024
    assert "[... output truncated:" in record["output"] and len(record["output"].encode()) < 1200
    assert run.result == {"devices": 1, "ok": 1, "failed": 0, "config_mode": False}  # outputs stay on the rows


def test_outputs_are_parsed_with_textfsm_when_asked(lab, fleet):
    pytest.importorskip("ntc_templates")
    run = commands({"commands": ["show ip interface brief", "show clock"], "parse_output": True},
                   [fleet["ios-0001"]])
    brief, clock = results(run)["ios-0001"].data["commands"]
    assert {"interface", "ip_address", "status"} <= set(brief["parsed"][0])
    assert "parsed" in clock or "parse_error" in clock


def test_parsing_is_skipped_cleanly_when_textfsm_is_not_installed(lab, fleet, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ntc_templates.parse", None)  # makes the import fail
    run = commands({"commands": ["show clock"], "parse_output": True}, [fleet["ios-0001"]])
    [record] = results(run)["ios-0001"].data["commands"]
    assert record["ok"] and "parsed" not in record
    assert run.logs.filter(level="warning", message__contains="not installed").exists()


def test_a_dry_run_renders_per_device_and_opens_no_session(lab, fleet):
    before = sessions(lab)
    run = commands({"commands": ["show interfaces {{ device.name }}"], "dry_run": True},
                   [fleet["ios-0001"], fleet["ros-0005"]])
    assert sessions(lab) == before
    by_name = results(run)
    assert by_name["ros-0005"].data == {"commands": [{"command": "show interfaces ros-0005"}]}
    assert by_name["ros-0005"].detail == "dry_run" and run.status == "completed"


def test_a_command_template_is_read_from_the_committed_version_in_a_git_repository(lab, fleet, data_dir):
    root = data_dir / "templates"
    repo = pygit2.init_repository(str(root), initial_head="main")
    (root / "checks").mkdir()
    (root / "checks" / "basic.j2").write_text("show clock\nshow version\n")
    repo.index.add("checks/basic.j2")
    repo.index.write()
    sig = pygit2.Signature("t", "t@example.com")
    repo.create_commit("HEAD", sig, sig, "template", repo.index.write_tree(), [])
    (root / "checks" / "basic.j2").write_text("reload\n")  # not committed: must not be used
    run = commands({"command_template_name": "checks/basic.j2", "dry_run": True}, [fleet["ios-0001"]])
    assert [c["command"] for c in results(run)["ios-0001"].data["commands"]] == ["show clock", "show version"]
    missing = commands({"command_template_name": "checks/none.j2"}, [fleet["ios-0001"]])
    assert missing.status == "failed" and "checks/none.j2 is not committed" in missing.error


def test_an_unreachable_device_fails_with_the_reason_and_the_others_still_run(lab, fleet):
    lab.set_fault("lnx-0006", "down")
    run = commands({"commands": ["hostname"]}, [fleet["lnx-0006"], fleet["lnx-0012"]])
    by_name = results(run)
    assert (by_name["lnx-0006"].status, by_name["lnx-0006"].detail) == ("failed", "unreachable")
    assert by_name["lnx-0012"].data["commands"][0]["output"] == "lnx-0012"
    assert (run.status, run.count_ok, run.count_failed) == ("completed", 1, 1)
