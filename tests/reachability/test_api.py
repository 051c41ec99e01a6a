"""The reachability API: bucketed device history, fleet summary by location, state-change events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from netcron.inventory.models import Device, DeviceRuntimeStatus, Location, ReachabilityResult
from netcron.reachability.models import DiscoveredAddress, StateChange

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.reachability.urls")]
T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def fleet(db):
    berlin, paris = Location.objects.create(name="Berlin"), Location.objects.create(name="Paris")
    devices = {name: Device.objects.create(name=name, host=f"127.0.0.{i + 1}", platform="linux", location=loc)
               for i, (name, loc) in enumerate([("b1", berlin), ("b2", berlin), ("p1", paris), ("x1", None)])}
    Device.objects.create(name="retired", host="127.0.0.9", platform="linux", is_active=False)
    for name, state in (("b1", "up"), ("b2", "down"), ("p1", "degraded")):
        DeviceRuntimeStatus.objects.create(device=devices[name], state=state, since=T0, last_check_at=T0)
    return devices


def history(device, minutes: int, every: int = 1, down_at: int | None = None):
    rows = []
    for m in range(0, minutes, every):
        state = "down" if m == down_at else "up"
        ms = None if state == "down" else 1.0 + (m % 10)
        rows.append(ReachabilityResult(device=device, checked_at=T0 + timedelta(minutes=m), check_type="overall",
                                       state=state, latency_min_ms=ms, latency_avg_ms=ms, latency_max_ms=ms,
                                       packet_loss=1.0 if state == "down" else 0.0))
    ReachabilityResult.objects.bulk_create(rows)


def url(device, start: datetime, end: datetime, **extra) -> tuple[str, dict]:
    return f"/api/devices/{device.pk}/reachability", {"from": start.isoformat(), "to": end.isoformat(), **extra}


def test_a_short_range_returns_every_check_as_a_point(api_as, viewer, fleet):
    history(fleet["b1"], 30)
    path, query = url(fleet["b1"], T0, T0 + timedelta(minutes=10))
    body = api_as(viewer).get(path, **query).json()
    assert body["bucket_seconds"] == 0 and body["count"] == 10 and len(body["points"]) == 10
    assert body["points"][0] == {"t": T0.isoformat(), "state": "up", "latency_min_ms": 1.0, "latency_avg_ms": 1.0,
                                 "latency_max_ms": 1.0, "packet_loss": 0.0, "samples": 1, "error": ""}


def test_a_long_range_is_bucketed_to_at_most_500_points_with_the_worst_state_per_bucket(api_as, viewer, fleet):
    history(fleet["b1"], 7 * 24 * 60, down_at=125)  # a week of one-minute checks, one of them down
    path, query = url(fleet["b1"], T0, T0 + timedelta(days=7))
    body = api_as(viewer).get(path, **query).json()
    assert body["count"] == 7 * 24 * 60 and body["bucket_seconds"] == 1210
    assert len(body["points"]) <= 500
    assert sum(p["samples"] for p in body["points"]) == body["count"]
    worst = [p for p in body["points"] if p["state"] == "down"]
    assert len(worst) == 1 and worst[0]["t"] <= (T0 + timedelta(minutes=125)).isoformat()
    assert 0 < worst[0]["packet_loss"] < 1
    first = body["points"][0]
    assert first["latency_min_ms"] == 1.0 and first["latency_max_ms"] == 10.0 and 1 < first["latency_avg_ms"] < 10


def test_history_asks_for_a_valid_range_and_check_type(api_as, viewer, fleet):
    path, query = url(fleet["b1"], T0, T0)
    assert api_as(viewer).get(path, **query).status_code == 422
    path, query = url(fleet["b1"], T0, T0 + timedelta(hours=1), check_type="icmp")
    assert api_as(viewer).get(path, **query).status_code == 422
    assert api_as(viewer).get("/api/devices/999999/reachability").status_code == 404


def test_the_summary_counts_active_devices_per_state_overall_and_per_location(api_as, viewer, fleet):
    body = api_as(viewer).get("/api/reachability/summary").json()
    assert body["total"] == 4
    assert body["counts"] == {"unknown": 1, "up": 1, "degraded": 1, "down": 1}
    assert body["by_location"] == [
        {"location": "Berlin", "total": 2, "counts": {"unknown": 0, "up": 1, "degraded": 0, "down": 1}},
        {"location": "Paris", "total": 1, "counts": {"unknown": 0, "up": 0, "degraded": 1, "down": 0}},
        {"location": None, "total": 1, "counts": {"unknown": 1, "up": 0, "degraded": 0, "down": 0}},
    ]
    assert body["last_check_at"] == T0.isoformat()


def test_events_come_newest_first_and_filter_by_device_state_and_time(api_as, viewer, fleet):
    for minutes, (device, old, new) in enumerate([("b1", "up", "down"), ("b2", "up", "down"), ("b1", "down", "up")]):
        StateChange.objects.create(device=fleet[device], device_name=device, old_state=old, new_state=new,
                                   at=T0 + timedelta(minutes=minutes), reason="tcp: 22 refused")
    client = api_as(viewer)
    everything = client.get("/api/reachability/events").json()
    assert everything["count"] == 3 and [e["device"] for e in everything["items"]] == ["b1", "b2", "b1"]
    assert everything["items"][0]["new_state"] == "up"
    downs = client.get("/api/reachability/events", new_state="down", device_id=str(fleet["b1"].pk)).json()
    assert [(e["device"], e["old_state"]) for e in downs["items"]] == [("b1", "up")]
    late = client.get("/api/reachability/events", **{"from": (T0 + timedelta(minutes=1)).isoformat()}).json()
    assert late["count"] == 2
    assert client.get("/api/reachability/events", new_state="sideways").status_code == 422


def test_discovered_addresses_are_listed_with_first_and_last_seen(api_as, viewer, db):
    DiscoveredAddress.objects.create(address="127.0.0.5", prefix="127.0.0.0/29", first_seen=T0, last_seen=T0)
    item = api_as(viewer).get("/api/reachability/discovered").json()["items"][0]
    assert (item["address"], item["first_seen"], item["prefix"]) == ("127.0.0.5", T0.isoformat(), "127.0.0.0/29")


@pytest.mark.parametrize("path", ["/api/reachability/summary", "/api/reachability/events",
                                  "/api/reachability/discovered"])
def test_every_endpoint_needs_a_login_and_inventory_read(api_as, charlie, path):
    assert api_as(None).get(path).status_code == 401
    assert api_as(charlie).get(path).status_code == 403
