"""Prometheus families for /metrics, read from the database at scrape time (any web process agrees)."""

from __future__ import annotations

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from netcron.inventory.models import Device
from netcron.reachability.models import STATES, StateChangeCount


def state_counts(devices=None) -> dict[str, int]:
    """Active devices per state; devices never checked count as unknown."""
    devices = Device.objects.filter(is_active=True) if devices is None else devices
    counts = dict.fromkeys(STATES, 0)
    for row in devices.order_by().values("runtime_status__state").annotate(n=Count("id")):
        counts[row["runtime_status__state"] or "unknown"] += row["n"]
    return counts


def reachability_metrics():
    """Yields netcron_devices_by_state and netcron_device_state_changes_total."""
    by_state = GaugeMetricFamily("netcron_devices_by_state", "Active devices by reachability state",
                                 labels=["state"])
    for state, n in state_counts().items():
        by_state.add_metric([state], n)
    yield by_state
    changes = CounterMetricFamily("netcron_device_state_changes", "Device state changes seen by reachability runs",
                                  labels=["old_state", "new_state"])
    for row in StateChangeCount.objects.order_by("old_state", "new_state"):
        changes.add_metric([row.old_state, row.new_state], row.total)
    yield changes
