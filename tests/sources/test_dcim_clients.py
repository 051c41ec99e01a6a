"""NetBox 4.1 and Nautobot 2.3 clients against fake servers over HTTP: pagination, filters, shapes, auth."""

from __future__ import annotations

import pytest

from netcron.sources.dcim import NautobotClient, NetboxClient, strip_prefix
from netcron.sources.http import AuthError, HttpError
from netcron.sources.testing.dcim import FakeNetbox
from tests.sources.conftest import DCIM_TOKEN


def netbox_client(server, **kwargs) -> NetboxClient:
    return NetboxClient(server.url, DCIM_TOKEN, backoff=0, **kwargs)


def test_netbox_devices_are_read_across_pages_by_following_next_links(netbox):
    for i in range(7):
        netbox.add_device(f"r{i}", ip=f"10.0.0.{i + 1}/24")
    client = netbox_client(netbox, page_size=3)
    names = [d.name for d in client.devices()]
    assert names == [f"r{i}" for i in range(7)]
    offsets = [r.arg("offset") for r in netbox.requests_to("GET", "/api/dcim/devices/")]
    assert offsets == ["0", "3", "6"]
    assert all(r.headers["authorization"] == f"Token {DCIM_TOKEN}" for r in netbox.requests)


def test_only_the_query_of_next_is_used_so_the_token_never_goes_to_another_host():
    with FakeNetbox(token=DCIM_TOKEN, public_url="http://netbox.elsewhere.invalid") as server:
        for i in range(5):
            server.add_device(f"r{i}")
        assert len(list(netbox_client(server, page_size=2).devices())) == 5


def test_netbox_device_fields_come_from_the_nested_objects_of_the_41_shape(netbox):
    netbox.add_device("core1", platform="Cisco NX-OS", site="Berlin Mitte", role="Core Router",
                      ip="192.0.2.10/26", tags=["edge", "pci"], serial="FDO1234", custom_fields={"rack_unit": 12},
                      description="core switch")
    (device,) = netbox_client(netbox).devices()
    assert device.name == "core1" and device.external_id == "1"
    assert device.platform_candidates == ("cisco-nx-os", "Cisco NX-OS")
    assert device.address == "192.0.2.10"
    assert (device.location, device.role, device.tags) == ("Berlin Mitte", "Core Router", ["edge", "pci"])
    assert (device.serial, device.description, device.custom_fields) == ("FDO1234", "core switch", {"rack_unit": 12})
    assert device.status == "active"
    assert netbox.requests[0].arg("exclude") == "config_context"


def test_netbox_location_can_come_from_the_location_inside_the_site(netbox):
    netbox.add_device("a", site="Berlin", location="Room 1")
    netbox.add_device("b", site="Hamburg")
    devices = {d.name: d.location for d in netbox_client(netbox, location_from="location").devices()}
    assert devices == {"a": "Room 1", "b": "Hamburg"}


def test_netbox_before_36_calls_the_role_device_role_and_it_is_still_read():
    with FakeNetbox(version="3.5.9", token=DCIM_TOKEN) as server:
        server.add_device("old", role="Access")
        (device,) = netbox_client(server).devices()
        assert device.role == "Access"


def test_netbox_filters_are_sent_as_site_role_tag_status_query_parameters(netbox):
    netbox.add_device("a", site="Berlin", role="Core", tags=["edge"])
    netbox.add_device("b", site="Berlin", role="Access", tags=["edge"])
    netbox.add_device("c", site="Hamburg", role="Core", tags=["edge"], status="offline")
    filters = {"sites": ["berlin", "hamburg"], "roles": ["core"], "tags": ["edge"], "statuses": ["active"]}
    assert [d.name for d in netbox_client(netbox).devices(filters)] == ["a"]
    query = netbox.requests[-1].query
    assert query["site"] == ["berlin", "hamburg"] and query["role"] == ["core"] and query["tag"] == ["edge"]


def test_an_unknown_filter_value_fails_with_the_servers_field_error(netbox):
    netbox.add_device("a")
    with pytest.raises(HttpError, match=r"400.*site.*nowhere is not one of the available choices"):
        list(netbox_client(netbox).devices({"sites": ["nowhere"]}))


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_is_an_auth_error_without_the_token(status):
    with FakeNetbox(token="the-right-one", bad_token_status=status) as server, pytest.raises(AuthError) as failed:
        list(netbox_client(server).devices())
    assert failed.value.status == status
    assert str(failed.value) == f"NetBox: GET /api/dcim/devices/ returned {status}: Invalid token"
    assert DCIM_TOKEN not in str(failed.value)


def test_a_5xx_page_is_retried_and_the_listing_goes_on(netbox):
    for i in range(4):
        netbox.add_device(f"r{i}")
    netbox.fail_next(2, status=502, path="/api/dcim/devices/")
    assert len(list(netbox_client(netbox, page_size=2).devices())) == 4


def test_nautobot_devices_use_depth_1_uuid_ids_location_status_name_and_network_driver(nautobot):
    added = nautobot.add_device("leaf1", platform="Arista EOS", network_driver="arista_eos", site="Frankfurt",
                                role="Leaf", ip="2001:db8::10/64", tags=["fabric"], custom_fields={"owner": "net"})
    (device,) = NautobotClient(nautobot.url, DCIM_TOKEN, backoff=0).devices({"statuses": ["Active"]})
    assert device.external_id == added.id and len(device.external_id) == 36
    assert device.platform_candidates == ("arista_eos", "Arista EOS")
    assert (device.address, device.location, device.role) == ("2001:db8::10", "Frankfurt", "Leaf")
    assert (device.tags, device.status, device.custom_fields) == (["fabric"], "Active", {"owner": "net"})
    assert nautobot.requests[0].arg("depth") == "1" and nautobot.requests[0].arg("status") == "Active"


def test_nautobot_filters_location_role_and_tags_by_name(nautobot):
    nautobot.add_device("a", site="Berlin", role="Core", tags=["x"])
    nautobot.add_device("b", site="Berlin", role="Edge", tags=["x"])
    client = NautobotClient(nautobot.url, DCIM_TOKEN, backoff=0)
    assert [d.name for d in client.devices({"locations": ["Berlin"], "roles": ["Core"], "tags": ["x"]})] == ["a"]
    assert nautobot.requests[-1].query["tags"] == ["x"]


@pytest.mark.parametrize(("raw", "expected"), [("10.0.0.1/24", "10.0.0.1"), ("2001:db8::1/64", "2001:db8::1"),
                                               ("10.0.0.1", "10.0.0.1"), ("", ""), (None, ""), ("garbage", "")])
def test_the_prefix_length_is_stripped_from_primary_ips(raw, expected):
    assert strip_prefix(raw) == expected
