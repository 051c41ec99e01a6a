"""`netcron config show|diff|history|search` (the sub-app netcron/cli wires as `config`)."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.backup.conftest import backup
from tests.factories import run_cli as netcron

pytestmark = pytest.mark.django_db
_change = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def django_set_up_outside_capsys():
    """setup_django() (cached) reconfigures logging: do it before capsys swaps stderr, not inside a test."""
    from netcron.cli.common import setup_django

    setup_django()


@pytest.fixture
def backed_up(lab, fleet):
    device = fleet["eos-0009"]
    first = backup(devices=[device])
    marker = f"cli-test-{next(_change)}"  # the lab outlives the test: a new change every time
    lab.configure("eos-0009", ["interface Ethernet2", f"description {marker}"])
    second = backup(devices=[device])
    return {"first": first.result["commit"], "second": second.result["commit"], "marker": marker}


def test_config_show_prints_the_latest_or_a_given_version(capsys, backed_up):
    code, out, _ = netcron(capsys, "config", "show", "eos-0009")
    assert code == 0 and f"description {backed_up['marker']}" in out
    code, out, _ = netcron(capsys, "config", "show", "eos-0009", "--commit", backed_up["first"][:8])
    assert code == 0 and backed_up["marker"] not in out and "hostname eos-0009" in out


def test_config_diff_prints_a_unified_diff(capsys, backed_up):
    code, out, _ = netcron(capsys, "config", "diff", "eos-0009")
    assert code == 0 and f"+   description {backed_up['marker']}" in out and out.startswith("diff --git")
    code, out, _ = netcron(capsys, "config", "diff", "eos-0009", "--from", backed_up["second"],
                           "--to", backed_up["first"], "--json")
    assert code == 0 and json.loads(out)["lines_removed"] == 1


def test_config_history_lists_versions(capsys, backed_up):
    code, out, _ = netcron(capsys, "config", "history", "eos-0009", "--json")
    assert code == 0 and [v["commit"] for v in json.loads(out)] == [backed_up["second"], backed_up["first"]]


def test_config_search_prints_device_line_and_text_and_exits_1_without_match(capsys, backed_up):
    code, out, _ = netcron(capsys, "config", "search", backed_up["marker"])
    assert code == 0 and out.startswith("eos-0009:") and out.rstrip().endswith(f"description {backed_up['marker']}")
    code, out, _ = netcron(capsys, "config", "search", "^hostname eos-\\d+$", "--regex")
    assert code == 0 and out.startswith("eos-0009:")
    code, out, _ = netcron(capsys, "config", "search", "no-such-text-anywhere")
    assert (code, out) == (1, "")


@pytest.mark.parametrize("argv, code, message", [
    (["show", "no-such-device"], 2, "no device named 'no-such-device'"),
    (["show", "eos-0009", "--commit", "zzz"], 2, "is not a commit id"),
    (["show", "eos-0009", "--kind", "candidate"], 2, "kind: must be one of running, startup"),
    (["show", "eos-0009", "--commit", "abcdef12"], 1, "no running config of eos-0009 at commit abcdef12"),
    (["show", "eos-0003"], 1, "eos-0003 has no backed-up running config yet"),
    (["search", "(a+)+", "--regex"], 2, "nested repetition"),
])
def test_config_commands_fail_with_one_line_and_the_right_exit_code(capsys, backed_up, argv, code, message):
    got, _out, err = netcron(capsys, "config", *argv)
    assert got == code and message in err and len(err.strip().splitlines()) == 1
