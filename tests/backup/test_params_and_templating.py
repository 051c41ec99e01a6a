"""Parameter validation (path traversal, regexes, URLs) and the Jinja sandbox."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netcron.executors.backup.normalize import normalise, volatile_re
from netcron.executors.backup.params import BackupParams
from netcron.executors.run_commands.params import RunCommandsParams
from netcron.lib.templating import RenderError, check_relative_path, compile_template, from_seed_style, render

DEVICE = {"device": {"name": "r1", "platform": "cisco_ios"}, "location": {"name": "dc1"}, "tags": ["core"],
          "custom_fields": {"site": "ber"}}


def error_of(model, **params) -> tuple[tuple, str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(params)
    first = info.value.errors()[0]
    return first["loc"], first["msg"]


@pytest.mark.parametrize("path", [
    "../outside.cfg", "{{ device.name }}/../../x", "/etc/{{ device.name }}", "a\\b.cfg", "x\x00.cfg",
    "{{ '..' }}/x.cfg", "~/x", "{% raw %}..{% endraw %}/x", ".git/hooks/post-commit", "{device_name}/../x",
])
def test_path_templates_that_could_leave_the_repository_are_rejected_naming_the_parameter(path):
    loc, msg = error_of(BackupParams, backup_running_config_path=path)
    assert loc == ("backup_running_config_path",)
    assert msg


def test_a_startup_path_equal_to_the_running_path_is_rejected_when_both_are_backed_up():
    _, msg = error_of(BackupParams, configs="both", backup_running_config_path="{{ device.name }}.cfg",
                      backup_startup_config_path="{{ device.name }}.cfg")
    assert "must differ" in msg


@pytest.mark.parametrize("field, value", [
    ("remote_url", "ext::sh -c touch% /tmp/pwned"),
    ("remote_url", "https://user:secret@example.com/configs.git"),
    ("repository_path", "../../elsewhere"),
    ("volatile_lines", {"cisco_ios": ["(unclosed"]}),
    ("volatile_lines", {"vax_vms": ["x"]}),
    ("commands", {"cisco_ios": {"running": ""}, "amiga": {"running": "x"}}),
    ("commit_message", "{{ unclosed"),
    ("parallel_tasks", 0),
    ("unknown_param", 1),
])
def test_backup_params_reject_bad_values_naming_the_field(field, value):
    loc, _ = error_of(BackupParams, **{field: value})
    assert loc[0] == field


def test_the_templates_api_answers_422_naming_the_path_parameter(api_as, admin, settings):
    settings.ROOT_URLCONF = "tests.backup.urls"
    response = api_as(admin).post("/main-api/job-templates", {
        "name": "bad backup", "job_type": "backup", "targets": {"all": True},
        "params": {"backup_running_config_path": "../../etc/passwd"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "params", "backup_running_config_path"]


def test_seed_placeholders_are_translated_but_jinja_is_left_alone():
    assert from_seed_style("backups/{location.name}/{device_name}.txt") == \
        "backups/{{ location.name }}/{{ device.name }}.txt"
    assert from_seed_style("{{ device.name }}/{x}") == "{{ device.name }}/{x}"


@pytest.mark.parametrize("path, expected", [
    ("dc1/r1.cfg", "dc1/r1.cfg"), ("/r1.cfg", "r1.cfg"), ("//r1.cfg", "r1.cfg"), ("dc1//r1.cfg", "dc1/r1.cfg"),
    (" dc1 / r1.cfg", "dc1/r1.cfg"),
])
def test_rendered_paths_are_normalised(path, expected):
    assert check_relative_path(path) == expected


@pytest.mark.parametrize("path", ["../x", "a/./b", "/../abs", "~/x", "a/.git/config", "a\\b", "a\x00", "a\nb", ""])
def test_rendered_paths_that_could_escape_are_refused(path):
    with pytest.raises(RenderError):
        check_relative_path(path)


def test_the_default_path_of_a_device_without_a_location_is_the_repository_root():
    from netcron.executors.backup.params import BackupParams

    template = compile_template(BackupParams().backup_running_config_path, seed_style=True)
    context = {**DEVICE, "location": {"name": "", "description": ""}}
    assert check_relative_path(render(template, context)) == f"{DEVICE['device']['name']}.running.cfg"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}",
    "{{ device.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ device.credential.get_secret('password') }}",
    "{{ device.save() }}",
    "{{ custom_fields.clear() }}",
    "{{ tags.append('x') }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 9 ** 999999 }}",
    "{{ undefined_variable }}",
    "{% for i in range(10**9) %}{% endfor %}",
])
def test_the_sandbox_blocks_escapes_and_runaway_templates(source):
    with pytest.raises(RenderError):
        render(compile_template(source), DEVICE)


def test_templates_see_device_location_tags_and_custom_fields_as_plain_data():
    source = "{{ device.name }} {{ location.name }} {{ tags|join(',') }} {{ custom_fields.site }}"
    assert render(source, DEVICE) == "r1 dc1 core ber"


def test_command_params_need_exactly_one_source_and_templates_that_compile():
    assert error_of(RunCommandsParams)[1].endswith("give exactly one of commands, command_template or "
                                                    "command_template_name")
    assert error_of(RunCommandsParams, commands=["show {{ x"])[0] == ("commands",)
    assert error_of(RunCommandsParams, command_template_name="../secrets")[0] == ("command_template_name",)
    assert error_of(RunCommandsParams, commands=["x"], save_config=True)[1].endswith("save_config needs config_mode")


@pytest.mark.parametrize("platform, text", [
    ("cisco_ios", "Building configuration...\r\n\r\nCurrent configuration : 10 bytes\r\n!\r\n"
                  "! Last configuration change at 10:00:00 UTC by x\r\nntp clock-period 36028\r\nhostname r1   \r\n"),
    ("mikrotik_routeros", "# 2026-01-05 08:00:00 by RouterOS 7.16.1\n# software id = X\n/system identity\n"),
    ("juniper_junos", "## Last commit: 2026-01-05 08:00:00 UTC by admin\nversion 22.4;\n"),
    ("cisco_nxos", "\n!Command: show running-config\n!Running configuration last done at: Mon\n\nhostname n\n"),
])
def test_normalising_drops_volatile_lines_trailing_space_and_carriage_returns(platform, text):
    out = normalise(text, volatile_re(platform, True, {}))
    assert "\r" not in out and out.endswith("\n") and not out.startswith("\n")
    assert not any(word in out for word in ("Last", "Building", "Current configuration", "clock-period",
                                            "by RouterOS", "!Command"))
    assert all(line == line.rstrip() for line in out.splitlines())


def test_extra_volatile_rules_apply_per_platform_and_everywhere():
    rule = volatile_re("linux", False, {"*": [r"^# generated"], "linux": [r"^uptime "]})
    assert normalise("# generated now\nuptime 5 days\nkeep\n", rule) == "keep\n"
