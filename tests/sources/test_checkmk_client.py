"""The CheckMK client against the fake site over HTTP: documented statuses, ETags, bulk calls, activation."""

from __future__ import annotations

import pytest

from netcron.sources.checkmk import CheckmkClient, to_path, to_slug
from netcron.sources.http import AuthError, HttpError
from netcron.sources.testing.checkmk import FakeCheckmk
from tests.sources.conftest import CMK_SECRET


@pytest.fixture
def client(checkmk):
    made = CheckmkClient(checkmk.url, "automation", CMK_SECRET, backoff=0, sleep=lambda s: None)
    yield made
    made.close()


def test_folder_paths_convert_between_slash_and_tilde_forms():
    assert to_slug("/network/berlin") == "~network~berlin" and to_slug("/") == "~"
    assert to_path("~network~berlin") == "/network/berlin" and to_path("~") == "/"


def test_hosts_are_listed_with_folder_paths_and_their_own_attributes(checkmk, client):
    checkmk.add_host("r1", "/network/berlin", ipaddress="10.0.0.1", labels={"os": "ios"})
    (host,) = client.list_hosts()
    assert (host.name, host.folder) == ("r1", "/network/berlin")
    assert host.attributes["ipaddress"] == "10.0.0.1" and "meta_data" in host.attributes
    auth = checkmk.requests[0].headers["authorization"]
    assert auth == f"Bearer automation {CMK_SECRET}"


def test_a_host_can_be_created_read_updated_with_its_etag_and_deleted(checkmk, client):
    etag = client.create_host("r1", "/", {"ipaddress": "10.0.0.1"})
    _, read_etag = client.get_host("r1")
    assert etag == read_etag == f'"{checkmk.etag_of("r1")}"'
    client.update_host("r1", read_etag, update_attributes={"ipaddress": "10.0.0.2"})
    assert checkmk.hosts["r1"]["attributes"]["ipaddress"] == "10.0.0.2"
    client.delete_host("r1")
    assert checkmk.hosts == {}


def test_an_update_without_if_match_is_refused_with_428(checkmk, client):
    checkmk.add_host("r1")
    with pytest.raises(HttpError) as refused:
        client.http.request("PUT", "/objects/host_config/r1", body={"update_attributes": {"alias": "x"}})
    assert refused.value.status == 428 and refused.value.title == "Precondition required"


def test_an_update_with_a_stale_etag_is_refused_with_412(checkmk, client):
    checkmk.add_host("r1", ipaddress="10.0.0.1")
    _, etag = client.get_host("r1")
    checkmk.hosts["r1"]["attributes"]["ipaddress"] = "10.0.0.9"  # another user was quicker
    with pytest.raises(HttpError) as refused:
        client.update_host("r1", etag, update_attributes={"alias": "x"})
    assert refused.value.status == 412 and "ETag didn't match" in refused.value.detail


def test_a_stale_etag_is_refetched_and_the_move_retried_once(checkmk, client):
    checkmk.add_host("r1", "/old")
    checkmk.add_folder("/new")
    checkmk.stale_etag_once.add("r1")
    client.with_etag("r1", lambda etag: client.move_host("r1", etag, "/new"))
    assert checkmk.hosts["r1"]["folder"] == "/new"
    moves = checkmk.requests_to("POST", "/actions/move/invoke")
    assert len(moves) == 2 and moves[0].headers["if-match"] != moves[1].headers["if-match"]
    assert len(checkmk.requests_to("GET", "/objects/host_config/r1")) == 2


def test_bulk_create_reports_per_host_failures_and_keeps_the_rest(checkmk, client):
    checkmk.reject_hosts["bad"] = "permission denied on folder"
    result = client.bulk_create([{"host_name": n, "folder": "/", "attributes": {}} for n in ("a", "bad", "c")])
    assert result.succeeded == ["a", "c"]
    assert result.failed == {"bad": "Validation failed: permission denied on folder"}
    assert set(checkmk.hosts) == {"a", "c"}


def test_bulk_create_resends_the_batch_without_the_entries_checkmk_refused(checkmk, client):
    checkmk.add_host("exists")
    entries = [{"host_name": n, "folder": "/", "attributes": {}} for n in ("a", "exists", "c")]
    entries.append({"host_name": "d", "folder": "/nowhere", "attributes": {}})
    result = client.bulk_create(entries)
    assert result.succeeded == ["a", "c"]
    assert result.failed == {"exists": "host_name: Host 'exists' already exists.",
                             "d": "folder: The folder '~nowhere' could not be found."}
    assert len(checkmk.requests_to("POST", "bulk-create")) == 2


def test_bulk_update_and_bulk_delete_touch_every_host_in_one_call(checkmk, client):
    for name in ("a", "b"):
        checkmk.add_host(name, ipaddress="10.0.0.1")
    client.bulk_update([{"host_name": n, "update_attributes": {"ipaddress": "10.0.0.2"}} for n in ("a", "b")])
    assert {h["attributes"]["ipaddress"] for h in checkmk.hosts.values()} == {"10.0.0.2"}
    client.bulk_delete(["a", "b"])
    assert checkmk.hosts == {}
    assert len(checkmk.requests) == 2


def test_folders_are_listed_recursively_and_created_under_their_parent(checkmk, client):
    checkmk.add_folder("/network/berlin")
    assert client.list_folders() == {"/", "/network", "/network/berlin"}
    client.create_folder("/network/hamburg", "Hamburg")
    assert checkmk.folders["/network/hamburg"]["title"] == "Hamburg"
    with pytest.raises(HttpError, match="parent"):
        client.create_folder("/missing/x", "X")


def test_activation_sends_the_pending_changes_etag_and_waits_for_completion(checkmk, client):
    client.create_host("r1", "/", {})
    pending_etag = f'"{checkmk.pending_etag()}"'
    activation = client.activate_changes()
    assert activation["changes"] == 1 and activation["completed"] is True
    (call,) = checkmk.requests_to("POST", "activate-changes")
    assert call.headers["if-match"] == pending_etag
    assert checkmk.pending == {} and len(checkmk.activations) == 1


def test_activation_refetches_the_etag_once_when_another_change_lands_in_between(checkmk, client):
    client.create_host("r1", "/", {})
    checkmk.change_during_activation = 1
    activation = client.activate_changes()
    assert activation["changes"] == 2
    assert [r.path.rsplit("/", 1)[-1] for r in checkmk.requests if "activation_run" in r.path][:4] == [
        "pending_changes", "invoke", "pending_changes", "invoke"]


def test_activation_with_nothing_pending_sends_no_activation(checkmk, client):
    assert client.activate_changes() is None
    assert checkmk.requests_to("POST", "activate-changes") == []


def test_activating_without_if_match_is_refused_with_428(checkmk, client):
    client.create_host("r1", "/", {})
    with pytest.raises(HttpError) as refused:
        client.http.request("POST", "/domain-types/activation_run/actions/activate-changes/invoke", body={})
    assert refused.value.status == 428


def test_service_discovery_is_started_per_host(checkmk, client):
    checkmk.add_host("r1")
    client.start_discovery("r1")
    assert checkmk.discoveries == [{"host_name": "r1", "mode": "fix_all"}]


def test_a_wrong_secret_is_an_auth_error_carrying_checkmks_detail_but_not_the_secret(checkmk):
    wrong = CheckmkClient(checkmk.url, "automation", "not-" + CMK_SECRET, backoff=0)
    with pytest.raises(AuthError) as refused:
        wrong.list_hosts()
    assert str(refused.value) == ("CheckMK: GET /domain-types/host_config/collections/all returned "
                                  "401 Unauthorized: Wrong credentials (Bearer header)")


def test_validation_errors_show_checkmks_title_detail_and_fields(checkmk, client):
    with pytest.raises(HttpError) as refused:
        client.create_host("bad name!", "/", {"tag_agent": "telepathy"})
    message = str(refused.value)
    assert message.startswith("CheckMK: POST /domain-types/host_config/collections/all returned 400 Bad Request: "
                              "These fields have problems: host_name, attributes")
    assert "Unknown tag ID 'telepathy'" in message


def test_a_url_ending_in_the_api_path_works_too():
    with FakeCheckmk(secret=CMK_SECRET) as server:
        client = CheckmkClient(server.url + "/check_mk/api/1.0/", "automation", CMK_SECRET)
        assert client.list_hosts() == []
