"""Devices, locations and tags: CRUD, filters, references by id."""

from __future__ import annotations

import pytest

from netcron.inventory.models import Device, DeviceRuntimeStatus, Location, Tag
from tests.api.conftest import make_credential, make_device, make_location

pytestmark = pytest.mark.django_db


def device_body(**overrides) -> dict:
    return {"name": "edge1", "host": "192.0.2.10", "platform": "cisco_ios", **overrides}


# --- devices -------------------------------------------------------------------------------------

def test_creating_a_device_resolves_location_tags_and_credential(alice, api_as):
    berlin, credential = make_location("Berlin"), make_credential("lab")
    Tag.objects.create(name="core")
    Tag.objects.create(name="edge")
    response = api_as(alice).post("/api/devices", json=device_body(
        port=2222, role="router", location_id=berlin.pk, tags=["edge", "core"], credential_id=credential.pk,
        serial="FTX1", custom_fields={"rack": "A1"}))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "edge1" and body["port"] == 2222 and body["role"] == "router"
    assert body["location_id"] == berlin.pk and body["location"] == "Berlin"
    assert body["tags"] == ["core", "edge"]
    assert body["credential_id"] == credential.pk and body["credential"] == "lab"
    assert body["custom_fields"] == {"rack": "A1"}
    assert body["state"] == "unknown" and body["source"] == "manual"
    assert Device.objects.get(pk=body["id"]).tags.count() == 2


def test_a_device_can_be_read_updated_and_deleted(alice, api_as):
    api = api_as(alice)
    device = make_device("r1", tags=["core"])
    got = api.get(f"/api/devices/{device.pk}")
    assert got.status_code == 200 and got.json()["tags"] == ["core"]
    updated = api.put(f"/api/devices/{device.pk}", json=device_body(name="r1", host="r1.example.net",
                                                                     platform="arista_eos", is_active=False))
    assert updated.status_code == 200, updated.content
    assert updated.json()["host"] == "r1.example.net"
    assert updated.json()["tags"] == []  # PUT replaces the whole device, tags included
    assert updated.json()["is_active"] is False
    assert api.delete(f"/api/devices/{device.pk}").status_code == 204
    assert api.get(f"/api/devices/{device.pk}").status_code == 404


def test_the_device_list_is_paginated(alice, api_as):
    for i in range(5):
        make_device(f"r{i}")
    body = api_as(alice).get("/api/devices", page=2, page_size=2).json()
    assert body["count"] == 5 and body["page"] == 2 and body["page_size"] == 2
    assert [d["name"] for d in body["items"]] == ["r2", "r3"]


def test_a_page_past_the_end_is_empty(alice, api_as):
    make_device("r1")
    body = api_as(alice).get("/api/devices", page=10**15).json()
    assert body["count"] == 1 and body["items"] == []


def test_device_filters_take_comma_separated_values(alice, api_as):
    berlin = make_location("Berlin")
    make_device("r1", platform="cisco_ios", role="core", location=berlin, tags=["core"])
    make_device("r2", platform="arista_eos", role="edge", location=berlin)
    make_device("r3", platform="juniper_junos", role="edge", is_active=False)
    api = api_as(alice)

    def names(**params):
        response = api.get("/api/devices", **params)
        assert response.status_code == 200, response.content
        return [d["name"] for d in response.json()["items"]]

    assert names(platform="cisco_ios,arista_eos") == ["r1", "r2"]
    assert names(role="edge") == ["r2", "r3"]
    assert names(location="Berlin") == ["r1", "r2"]
    assert names(tag="core") == ["r1"]
    assert names(is_active="false") == ["r3"]
    assert names(q="r2") == ["r2"]
    assert names(platform="arista_eos", role="core") == []


def test_the_state_filter_treats_devices_without_status_as_unknown(alice, api_as):
    down = make_device("r1")
    make_device("r2")
    DeviceRuntimeStatus.objects.create(device=down, state="down")
    api = api_as(alice)
    assert [d["name"] for d in api.get("/api/devices", state="down").json()["items"]] == ["r1"]
    assert [d["name"] for d in api.get("/api/devices", state="unknown").json()["items"]] == ["r2"]
    assert api.get("/api/devices", state="up,down").json()["count"] == 1


def test_an_unknown_platform_filter_value_is_a_422_naming_the_filter(alice, api_as):
    response = api_as(alice).get("/api/devices", platform="cisco_ios,windows")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("platform:")
    assert "windows" in response.json()["detail"]


def test_device_status_is_unknown_until_checked(alice, api_as):
    device = make_device("r1")
    api = api_as(alice)
    assert api.get(f"/api/devices/{device.pk}/status").json()["state"] == "unknown"
    DeviceRuntimeStatus.objects.create(device=device, state="up", last_latency_ms=1.5)
    status = api.get(f"/api/devices/{device.pk}/status").json()
    assert status["state"] == "up" and status["last_latency_ms"] == 1.5


@pytest.mark.parametrize(("field", "value"), [("location_id", 999999), ("credential_id", 999999)])
def test_a_device_with_a_missing_reference_is_a_422_naming_the_field(alice, api_as, field, value):
    response = api_as(alice).post("/api/devices", json=device_body(**{field: value}))
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:")
    assert not Device.objects.exists()


def test_a_device_with_an_unknown_tag_is_a_422_naming_tags(alice, api_as):
    response = api_as(alice).post("/api/devices", json=device_body(tags=["nope"]))
    assert response.status_code == 422
    assert response.json()["detail"] == "tags: unknown tag(s) nope"


def test_a_device_with_an_unknown_platform_is_a_422_naming_platform(alice, api_as):
    response = api_as(alice).post("/api/devices", json=device_body(platform="windows"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "platform"


def test_a_device_port_out_of_range_is_a_422_naming_port(alice, api_as):
    response = api_as(alice).post("/api/devices", json=device_body(port=70000))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "port"


# --- locations -----------------------------------------------------------------------------------

def test_locations_can_be_created_nested_listed_updated_and_deleted(alice, api_as):
    api = api_as(alice)
    europe = api.post("/api/locations", json={"name": "Europe"}).json()
    created = api.post("/api/locations", json={"name": "Berlin", "parent_id": europe["id"], "description": "DC"})
    assert created.status_code == 201
    berlin = created.json()
    assert berlin["parent_id"] == europe["id"] and berlin["description"] == "DC"
    assert [loc["name"] for loc in api.get("/api/locations").json()["items"]] == ["Berlin", "Europe"]
    assert [loc["name"] for loc in api.get("/api/locations", q="ber").json()["items"]] == ["Berlin"]
    renamed = api.put(f"/api/locations/{berlin['id']}", json={"name": "Berlin-1", "parent_id": None})
    assert renamed.status_code == 200 and renamed.json()["parent_id"] is None
    assert api.get(f"/api/locations/{berlin['id']}").json()["name"] == "Berlin-1"
    assert api.delete(f"/api/locations/{berlin['id']}").status_code == 204
    assert api.get(f"/api/locations/{berlin['id']}").status_code == 404


def test_a_location_with_children_cannot_be_deleted(alice, api_as):
    parent = make_location("Europe")
    make_location("Berlin", parent=parent)
    response = api_as(alice).delete(f"/api/locations/{parent.pk}")
    assert response.status_code == 409
    assert "child" in response.json()["detail"]


def test_a_location_cannot_become_its_own_ancestor(alice, api_as):
    europe = make_location("Europe")
    berlin = make_location("Berlin", parent=europe)
    api = api_as(alice)
    for parent in (berlin, europe):
        response = api.put(f"/api/locations/{europe.pk}", json={"name": "Europe", "parent_id": parent.pk})
        assert response.status_code == 422
        assert response.json()["detail"].startswith("parent_id:")


def test_a_missing_parent_location_is_a_422_naming_parent_id(alice, api_as):
    response = api_as(alice).post("/api/locations", json={"name": "Berlin", "parent_id": 999999})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("parent_id:")
    assert not Location.objects.exists()


def test_deleting_a_location_keeps_its_devices(alice, api_as):
    berlin = make_location("Berlin")
    device = make_device("r1", location=berlin)
    assert api_as(alice).delete(f"/api/locations/{berlin.pk}").status_code == 204
    device.refresh_from_db()
    assert device.location is None


# --- tags ----------------------------------------------------------------------------------------

def test_tags_can_be_created_listed_updated_and_deleted(alice, api_as):
    api = api_as(alice)
    created = api.post("/api/tags", json={"name": "core", "color": "#ff0000"})
    assert created.status_code == 201
    tag = created.json()
    assert tag["color"] == "#ff0000" and tag["description"] == ""
    assert [t["name"] for t in api.get("/api/tags").json()["items"]] == ["core"]
    updated = api.put(f"/api/tags/{tag['id']}", json={"name": "backbone", "description": "P routers"})
    assert updated.status_code == 200 and updated.json()["name"] == "backbone"
    assert api.get(f"/api/tags/{tag['id']}").json()["description"] == "P routers"
    assert api.delete(f"/api/tags/{tag['id']}").status_code == 204
    assert api.get(f"/api/tags/{tag['id']}").status_code == 404


def test_a_tag_color_must_be_a_hex_triplet(alice, api_as):
    response = api_as(alice).post("/api/tags", json={"name": "core", "color": "red"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "color"


def test_deleting_a_tag_untags_its_devices(alice, api_as):
    device = make_device("r1", tags=["core"])
    tag = Tag.objects.get(name="core")
    assert api_as(alice).delete(f"/api/tags/{tag.pk}").status_code == 204
    assert device.tags.count() == 0
