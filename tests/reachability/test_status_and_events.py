"""Runtime status in place, history rows, state-change events and their counters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest

from netcron.inventory.models import DeviceRuntimeStatus, ReachabilityResult
from netcron.reachability import recording
from netcron.reachability.metrics import reachability_metrics
from netcron.reachability.models import StateChange, StateChangeCount
from netcron.reachability.recording import CheckRow, Observation, record
from tests.reachability.conftest import run_job

pytestmark = pytest.mark.django_db
TCP = {"checks": ["tcp"], "timeout_s": 1}


def status(device) -> DeviceRuntimeStatus:
    return DeviceRuntimeStatus.objects.get(device=device)


def test_the_first_run_creates_one_status_row_per_device_and_one_history_row_each(lab, lab_devices):
    run = run_job("reachability", TCP)
    rows = DeviceRuntimeStatus.objects.filter(device__in=lab_devices)
    assert rows.count() == 4 and {r.state for r in rows} == {"up"}
    first = status(lab_devices[0])
    assert first.since == first.last_check_at and first.last_latency_ms is not None and first.last_error == ""
    history = ReachabilityResult.objects.filter(run=run)
    assert history.count() == 4 and set(history.values_list("check_type", flat=True)) == {"overall"}


def test_an_unchanged_state_keeps_since_and_moves_only_the_last_check(lab, lab_devices):
    run_job("reachability", TCP)
    before = status(lab_devices[0])
    run_job("reachability", TCP)
    after = status(lab_devices[0])
    assert after.pk == before.pk and after.since == before.since
    assert after.last_check_at > before.last_check_at
    assert ReachabilityResult.objects.filter(device=lab_devices[0]).count() == 2
    assert StateChange.objects.filter(device=lab_devices[0]).count() == 1  # only unknown -> up


def test_going_down_and_up_again_records_two_events_and_moves_since_each_time(lab, lab_devices):
    device = lab_devices[1]
    first = run_job("reachability", TCP)
    up_since = status(device).since
    lab.set_fault(device.name, "down")
    try:
        down_run = run_job("reachability", TCP)
    finally:
        lab.clear_faults(device.name)
    down = status(device)
    assert down.state == "down" and down.since > up_since and "refused" in down.last_error
    up_run = run_job("reachability", TCP)
    assert status(device).state == "up" and status(device).since > down.since
    events = list(StateChange.objects.filter(device=device).order_by("at", "id"))
    assert [(e.old_state, e.new_state, e.run_id) for e in events] == [
        ("unknown", "up", first.pk), ("up", "down", down_run.pk), ("down", "up", up_run.pk)]
    assert "tcp:" in events[1].reason and "refused" in events[1].reason
    assert down_run.result["state_changes"] == 1 and up_run.result["state_changes"] == 1


def test_history_per_check_adds_a_row_for_every_check(lab, lab_devices):
    run = run_job("reachability", {"checks": ["ping", "tcp"], "history_per_check": True,
                                   "ping": {"count": 2, "interval_ms": 0}}, targets={"devices": [lab_devices[0].name]})
    rows = {r.check_type: r for r in ReachabilityResult.objects.filter(run=run)}
    assert set(rows) == {"overall", "ping", "tcp"}
    assert rows["ping"].packet_loss == 0 and rows["ping"].latency_min_ms <= rows["ping"].latency_max_ms
    assert rows["overall"].latency_avg_ms == rows["ping"].latency_avg_ms


def observation(device, state: str) -> Observation:
    return Observation(device.pk, device.name, state, CheckRow("overall", state, 1.0, 1.0, 1.0), [
        CheckRow("tcp", state, error="" if state == "up" else "22 refused")])


def test_a_change_another_run_already_recorded_is_not_recorded_twice(lab_devices, monkeypatch):
    first, second = lab_devices[:2]
    now = timezone.now()
    record(None, [observation(first, "up"), observation(second, "up")], now)
    stale = {d.pk: status(d) for d in (first, second)}  # a second run read "up" for both ...
    record(None, [observation(first, "down")], now + timedelta(seconds=1))  # ... then the first moved one
    monkeypatch.setattr(recording, "_current_rows", lambda observations: dict(stale))
    changes = record(None, [observation(first, "down"), observation(second, "down")], now + timedelta(seconds=2))
    assert [c.device_id for c in changes] == [second.pk]
    assert status(first).since == now + timedelta(seconds=1)
    assert StateChange.objects.filter(device=first, new_state="down").count() == 1
    assert StateChangeCount.objects.get(old_state="up", new_state="down").total == 2


def test_counters_only_grow_and_metrics_show_them_with_devices_per_state(lab_devices):
    now = timezone.now()
    record(None, [observation(d, "up") for d in lab_devices], now)
    record(None, [observation(lab_devices[0], "down")], now + timedelta(minutes=1))
    StateChange.objects.all().delete()  # retention removes events; counters must not go back
    assert {(c.old_state, c.new_state): c.total for c in StateChangeCount.objects.all()} == {
        ("unknown", "up"): 4, ("up", "down"): 1}

    class Collector:
        def collect(self):
            yield from reachability_metrics()

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector())
    text = generate_latest(registry).decode()
    assert 'netcron_devices_by_state{state="up"} 3.0' in text
    assert 'netcron_devices_by_state{state="down"} 1.0' in text
    assert 'netcron_device_state_changes_total{new_state="down",old_state="up"} 1.0' in text
    assert 'netcron_device_state_changes_total{new_state="up",old_state="unknown"} 4.0' in text



def test_device_results_are_written_one_batch_per_call_and_without_the_bulk_api_one_by_one(
        lab, lab_devices, monkeypatch):
    from netcron.jobs.runner import Context

    calls = []
    bulk = Context.device_results
    monkeypatch.setattr(Context, "device_results", lambda self, rows: (calls.append(len(rows)), bulk(self, rows)))
    run = run_job("reachability", TCP)
    assert calls == [4] and run.count_ok == 4
    monkeypatch.delattr(Context, "device_results")
    single = run_job("reachability", TCP)
    assert single.count_ok == 4 and calls == [4]
