"""The config history API: versions from the index, content, diffs and the search over current configs."""

from __future__ import annotations

import itertools

import pytest

from netcron.configs.models import ConfigVersion
from tests.backup.conftest import backup

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.backup.urls")]

MARKER = "netcron-search-marker"
_change = itertools.count(1)


@pytest.fixture
def history(lab, fleet):
    """Two backups of ios-0001, eos-0003 and junos-0004, ios-0001 changed in between."""
    devices = [fleet["ios-0001"], fleet["eos-0003"], fleet["junos-0004"]]
    first = backup({"configs": "both"}, devices=devices)
    # The lab lives for the whole session: every use of this fixture makes a change of its own.
    marker = f"{MARKER}-{next(_change)}"
    lab.configure("ios-0001", ["interface GigabitEthernet1/0/5", f"description {marker}"])
    second = backup({"configs": "both"}, devices=devices)
    assert second.result["changed"] == 1, (second.status, second.error, second.result)
    return {"first": first, "second": second, "device": fleet["ios-0001"], "marker": marker}


def url(device, rest: str = "") -> str:
    return f"/api/devices/{device.pk}/configs{rest}"


def test_listing_a_devices_versions_comes_from_the_index_newest_first(api_as, viewer, history):
    response = api_as(viewer).get(url(history["device"]), kind="running")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [i["commit"] for i in body["items"]] == [history["second"].result["commit"],
                                                    history["first"].result["commit"]]
    assert [i["run_id"] for i in body["items"]] == [history["second"].pk, history["first"].pk]
    assert body["items"][0]["changed_lines"] == 2 and body["items"][0]["path"] == "dc1/ios-0001.running.cfg"
    assert api_as(viewer).get(url(history["device"])).json()["count"] == 3  # plus the startup config


def test_a_versions_content_is_served_by_commit_prefix_or_latest(api_as, viewer, history, lab):
    device, commit = history["device"], history["second"].result["commit"]
    body = api_as(viewer).get(url(device, f"/{commit[:8]}"), kind="running").json()
    assert body["version"]["commit"] == commit and f"description {history['marker']}" in body["content"]
    assert body["content"].startswith("!\n") and "Last configuration change" not in body["content"]
    latest = api_as(viewer).get(url(device, "/latest"), kind="startup").json()
    assert latest["version"]["commit"] == history["first"].result["commit"]  # startup unchanged since
    raw = api_as(viewer).get(url(device, f"/{commit}"), raw="true")
    assert raw["Content-Type"].startswith("text/plain") and raw.content.decode() == body["content"]


@pytest.mark.parametrize("ref, kind, status", [
    ("0123456789abcdef", "running", 404), ("not-a-commit", "running", 422), ("latest", "candidate", 422)])
def test_an_unknown_or_malformed_version_is_a_clear_error(api_as, viewer, history, ref, kind, status):
    response = api_as(viewer).get(url(history["device"], f"/{ref}"), kind=kind)
    assert response.status_code == status and response.json()["detail"]


def test_the_diff_defaults_to_the_latest_against_the_one_before(api_as, viewer, history):
    body = api_as(viewer).get(url(history["device"], "/diff")).json()
    assert body["from"]["commit"] == history["first"].result["commit"]
    assert body["to"]["commit"] == history["second"].result["commit"]
    changed = [x for x in body["diff"].splitlines() if x[:1] in "+-" and x[:3] not in ("+++", "---")]
    assert changed[-1] == f"+ description {history['marker']}" and len(changed) == 2
    assert (body["lines_added"], body["lines_removed"]) == (1, 1)


def test_a_diff_between_any_two_versions_can_go_backwards(api_as, viewer, history):
    first, second = history["first"].result["commit"], history["second"].result["commit"]
    body = api_as(viewer).get(url(history["device"], "/diff"), **{"from": second, "to": first[:7]}).json()
    assert f"- description {history['marker']}" in body["diff"].splitlines()


def test_the_first_version_diffs_against_nothing(api_as, viewer, history, fleet):
    body = api_as(viewer).get(url(fleet["eos-0003"], "/diff")).json()
    assert body["from"] is None and body["lines_removed"] == 0 and body["lines_added"] > 50


def test_search_finds_devices_whose_current_config_matches_with_line_numbers(api_as, viewer, history):
    body = api_as(viewer).get("/api/configs/search", q=MARKER).json()
    assert [m["device"] for m in body["matches"]] == ["ios-0001"] and body["devices_searched"] == 3
    [line] = body["matches"][0]["lines"]
    content = ConfigVersion.objects.filter(device=history["device"], kind="running").first().content().decode()
    assert content.splitlines()[line["line"] - 1] == line["text"] == f" description {history['marker']}"


def test_search_by_regex_and_ignoring_case(api_as, viewer, history):
    found = api_as(viewer).get("/api/configs/search", q=r"^hostname (ios|eos)-\d+$", regex="true").json()
    assert [m["device"] for m in found["matches"]] == ["eos-0003", "ios-0001"]
    upper = api_as(viewer).get("/api/configs/search", q=history["marker"].upper(), ignore_case="true").json()
    assert upper["devices_matched"] == 1


def test_search_only_looks_at_current_configs(api_as, viewer, history, lab):
    lab.configure("ios-0001", ["interface GigabitEthernet1/0/5", "description replaced"])
    backup({"configs": "both"}, devices=[history["device"]])
    assert api_as(viewer).get("/api/configs/search", q=MARKER).json()["matches"] == []


@pytest.mark.parametrize("pattern, message", [
    ("(unclosed", "invalid regular expression"), ("(a+)+$", "nested repetition"), ("(foo|bar)+baz", "alternation"),
    (r"(a)\1", "backreferences"), ("x" * 201, "longer than 200")])
def test_invalid_or_runaway_regexes_are_refused_with_422(api_as, viewer, history, pattern, message):
    response = api_as(viewer).get("/api/configs/search", q=pattern, regex="true")
    assert response.status_code == 422 and message in response.json()["detail"]


def test_config_history_needs_inventory_read(api_as, charlie, history):
    for path in (url(history["device"]), url(history["device"], "/latest"), url(history["device"], "/diff"),
                 "/api/configs/search?q=x"):
        assert api_as(charlie).get(path).status_code == 403
        assert api_as(None).get(path).status_code == 401


def test_an_unknown_device_is_404(api_as, viewer, db):
    assert api_as(viewer).get("/api/devices/999999/configs").status_code == 404


JUNK = ["", "x", "-1", "0", str(2**64), "a,,b", "a\x00b", "(", "latest", "9" * 41]


def test_no_history_route_answers_junk_with_a_server_error(api_as, admin, history):
    from tests.backup.urls import api

    schema = api.get_openapi_schema(path_prefix="/api/")
    client, failures = api_as(admin), []
    for path, ops in schema["paths"].items():
        params = [p for p in ops["get"].get("parameters", []) if p["in"] == "query"]
        for device_id in (history["device"].pk, 0, 2**70):
            for commit in ("latest", history["first"].result["commit"][:6], "a\x00b", "9" * 41):
                url = path.replace("{device_id}", str(device_id)).replace("{commit}", commit)
                for query in [{}, *({p["name"]: value} for p in params for value in JUNK)]:
                    response = client.get(url, **query)
                    if response.status_code >= 500:
                        failures.append(f"{url} {query} -> {response.status_code}")
    assert not failures, failures[:10]
