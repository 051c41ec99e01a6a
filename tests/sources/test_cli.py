"""`netcron compare show` (the function netcron/cli wires as the `compare` command group)."""

from __future__ import annotations

import json

import pytest

from tests.factories import run_cli as netcron
from tests.sources.conftest import checkmk_params, make_device, run_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def compared(checkmk, cmk_credential):
    make_device("r1", host="10.0.0.1", location="Berlin")
    make_device("r2", host="10.0.0.2", location="Hamburg")
    run_job("sync_devices", checkmk_params(checkmk))
    checkmk.hosts["r2"]["attributes"]["ipaddress"] = "10.0.0.99"
    make_device("r3", location="Berlin")
    return run_job("compare_devices", checkmk_params(checkmk))


def test_compare_show_prints_the_latest_comparison_as_a_table(capsys, compared):
    code, out, _ = netcron(capsys, "compare", "show")
    assert code == 0
    for text in ("r1", "in sync", "r2", "different", "r3", "missing in monitoring"):
        assert text in out
    assert f"run #{compared.pk} against CheckMK" in out


def test_compare_show_filters_by_status_device_and_location(capsys, compared):
    code, out, _ = netcron(capsys, "compare", "show", "--json", "--status", "different,missing_in_monitoring",
                           "--location", "Hamburg")
    body = json.loads(out)
    assert code == 0 and [i["name"] for i in body["items"]] == ["r2"]
    assert body["items"][0]["diff"] == {"ipaddress": {"source": "10.0.0.2", "monitoring": "10.0.0.99"}}
    _, out, _ = netcron(capsys, "compare", "show", "--json", "--device", "3")
    assert [i["name"] for i in json.loads(out)["items"]] == ["r3"]


def test_compare_show_without_any_comparison_exits_2_with_a_hint(capsys, db):
    code, out, err = netcron(capsys, "compare", "show")
    assert (code, out) == (2, "")
    assert err.strip() == "netcron: no comparison yet: run a compare_devices job"


def test_compare_show_rejects_an_unknown_status(capsys, compared):
    code, _, err = netcron(capsys, "compare", "show", "--status", "weird")
    assert code == 2 and "--status: unknown value(s) weird" in err
