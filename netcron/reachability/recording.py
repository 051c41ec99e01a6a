"""Write what a reachability pass observed: runtime status in place, history rows, state-change events.

A state change is claimed with one conditional UPDATE (``WHERE state = <old>``): of two runs seeing the
same change at once, exactly one updates the row and records the event.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from netcron.inventory.models import DeviceRuntimeStatus, ReachabilityResult
from netcron.reachability.models import StateChange, StateChangeCount

OVERALL = "overall"  # check_type of the one history row per device and pass


@dataclass
class CheckRow:
    check: str  # ping, tcp, snmp, ssh, netconf
    state: str  # up, degraded, down
    latency_min_ms: float | None = None
    latency_avg_ms: float | None = None
    latency_max_ms: float | None = None
    packet_loss: float | None = None
    error: str = ""


@dataclass
class Observation:
    """One device's verdict for one pass."""

    device_id: int
    device_name: str
    state: str
    summary: CheckRow  # latency and loss that stand for the device (ping when it ran)
    checks: list[CheckRow] = field(default_factory=list)

    @property
    def error(self) -> str:
        return "; ".join(f"{c.check}: {c.error}" for c in self.checks if c.error)[:500]


def record(run_id: int | None, observations: list[Observation], now: datetime, *,
           detail: bool = False) -> list[StateChange]:
    """Apply one batch of observations; returns the state changes this call recorded."""
    if not observations:
        return []
    with transaction.atomic():
        current = _current_rows(observations)
        moves: dict[tuple[str, str], list[Observation]] = {}
        for obs in observations:
            row = current[obs.device_id]
            if row.state != obs.state:
                moves.setdefault((row.state, obs.state), []).append(obs)
            row.last_latency_ms, row.last_error = obs.summary.latency_avg_ms, obs.error
        changes = [StateChange(device_id=o.device_id, device_name=o.device_name, run_id=run_id, at=now,
                               old_state=old, new_state=new, reason=o.error[:500])
                   for (old, new), group in moves.items() for o in _claim(old, new, group, current, now)]
        _touch(list(current.values()), now)
        ReachabilityResult.objects.bulk_create(_history(run_id, observations, now, detail), batch_size=1000)
        StateChange.objects.bulk_create(changes, batch_size=500)
        StateChangeCount.add(Counter((c.old_state, c.new_state) for c in changes))
    if changes and changes[0].pk is None:  # backends without RETURNING on bulk insert
        changes = list(StateChange.objects.filter(run_id=run_id, at=now).order_by("id"))
    return changes


def _current_rows(observations: list[Observation]) -> dict[int, DeviceRuntimeStatus]:
    ids = [o.device_id for o in observations]
    fields = ("id", "device_id", "state", "since")
    rows = {r.device_id: r for r in DeviceRuntimeStatus.objects.filter(device_id__in=ids).only(*fields)}
    missing = [i for i in ids if i not in rows]
    if missing:
        DeviceRuntimeStatus.objects.bulk_create([DeviceRuntimeStatus(device_id=i) for i in missing],
                                                ignore_conflicts=True)
        rows.update({r.device_id: r for r in DeviceRuntimeStatus.objects.filter(device_id__in=missing).only(*fields)})
    return rows


def _touch(rows: list[DeviceRuntimeStatus], now: datetime) -> None:
    """Per-row last_check/latency/error, as one prepared UPDATE run for every row.

    Equivalent to save(update_fields=[...]) on each row; bulk_update's CASE expressions cost more
    to build in Python than the database needs to run them.
    """
    if not rows:
        return
    table = connection.ops.quote_name(DeviceRuntimeStatus._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET last_check_at = %s, last_latency_ms = %s, last_error = %s WHERE id = %s",  # noqa: S608
            [(at, r.last_latency_ms, r.last_error[:500], r.pk) for r in rows])


def _claim(old: str, new: str, group: list[Observation], rows: dict[int, DeviceRuntimeStatus],
           now: datetime) -> list[Observation]:
    """Move the group's rows from ``old`` to ``new`` where they still hold ``old``; returns those moved.

    One conditional UPDATE for the group. When it moved fewer rows than asked, another run got to some
    first: the rows we moved are exactly those now stamped with our ``since``.
    """
    ids = [rows[o.device_id].pk for o in group]
    moved = DeviceRuntimeStatus.objects.filter(pk__in=ids, state=old).update(state=new, since=now)
    if moved < len(ids):
        mine = set(DeviceRuntimeStatus.objects.filter(pk__in=ids, state=new, since=now).values_list("pk", flat=True))
        group = [o for o in group if rows[o.device_id].pk in mine]
    return group


def _history(run_id: int | None, observations: list[Observation], now: datetime,
             detail: bool) -> list[ReachabilityResult]:
    rows = []
    for obs in observations:
        rows.append(_result_row(run_id, obs.device_id, now, OVERALL, obs.state, obs.summary, obs.error))
        if detail:
            rows.extend(_result_row(run_id, obs.device_id, now, c.check, c.state, c, c.error) for c in obs.checks)
    return rows


def _result_row(run_id, device_id, now, check_type, state, s: CheckRow, error: str) -> ReachabilityResult:
    return ReachabilityResult(
        device_id=device_id, run_id=run_id, checked_at=now, check_type=check_type[:10], state=state,
        latency_min_ms=s.latency_min_ms, latency_avg_ms=s.latency_avg_ms, latency_max_ms=s.latency_max_ms,
        packet_loss=s.packet_loss, error=error[:500])
