"""Reachability history for charts: raw points for short ranges, fixed-width buckets for long ones.

Bucketing happens in the database (one GROUP BY), so a year of one-minute checks costs one query, not a
year of rows in Python. Each bucket has min/avg/max latency, mean loss, the sample count, and the worst
state seen in it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.db.models import Avg, Case, Count, F, FloatField, Func, IntegerField, Max, Min, Value, When

from netcron.inventory.models import ReachabilityResult
from netcron.reachability.models import SEVERITY

MAX_POINTS = 500
_WORST = {v: k for k, v in SEVERITY.items()}


class EpochBucket(Func):
    """floor((seconds since 1970 - origin) / width): the same integer on PostgreSQL and SQLite."""

    output_field = IntegerField()

    def __init__(self, expression, origin: int, width: int):
        super().__init__(expression, Value(origin), Value(width))

    def as_postgresql(self, compiler, connection, **extra):
        return self._sql(compiler, "FLOOR((EXTRACT(EPOCH FROM {col}) - {origin}) / {w})")

    def as_sqlite(self, compiler, connection, **extra):
        return self._sql(compiler, "CAST(((julianday({col}) - 2440587.5) * 86400.0 - {origin}) / {w} AS INTEGER)")

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"history buckets are not implemented for {connection.vendor}")

    def _sql(self, compiler, template: str):
        col, params = compiler.compile(self.source_expressions[0])
        origin, width = (int(e.value) for e in self.source_expressions[1:])
        return template.format(col=col, origin=origin, w=width), params


def _severity():
    return Case(*(When(state=s, then=Value(n)) for s, n in SEVERITY.items()), default=Value(0),
                output_field=IntegerField())


def points(device_id: int, start: datetime, end: datetime, *, check_type: str = "overall",
           max_points: int = MAX_POINTS) -> dict:
    """History of one device in [start, end): raw when it fits in ``max_points``, else bucketed."""
    rows = ReachabilityResult.objects.filter(device_id=device_id, check_type=check_type, checked_at__gte=start,
                                             checked_at__lt=end)
    count = rows.count()
    out = {"count": count, "bucket_seconds": 0, "points": []}
    if count <= max_points:
        for r in rows.order_by("checked_at", "id"):
            out["points"].append({
                "t": r.checked_at.isoformat(), "state": r.state, "latency_min_ms": r.latency_min_ms,
                "latency_avg_ms": r.latency_avg_ms, "latency_max_ms": r.latency_max_ms,
                "packet_loss": r.packet_loss, "samples": 1, "error": r.error})
        return out
    width = max(1, math.ceil((end - start).total_seconds() / max_points))
    out["bucket_seconds"] = width
    origin = math.floor(start.timestamp())  # buckets start at `start`, so there are at most max_points
    buckets = (rows.order_by().annotate(bucket=EpochBucket(F("checked_at"), origin, width)).values("bucket")
               .annotate(lo=Min("latency_min_ms"), avg=Avg("latency_avg_ms", output_field=FloatField()),
                         hi=Max("latency_max_ms"), loss=Avg("packet_loss", output_field=FloatField()),
                         samples=Count("id"), worst=Max(_severity()))
               .order_by("bucket"))
    first = datetime.fromtimestamp(origin, tz=UTC)
    for b in buckets:
        out["points"].append({
            "t": (first + timedelta(seconds=int(b["bucket"]) * width)).isoformat(),
            "state": _WORST.get(b["worst"], "unknown"), "latency_min_ms": _round(b["lo"]),
            "latency_avg_ms": _round(b["avg"]), "latency_max_ms": _round(b["hi"]),
            "packet_loss": _round(b["loss"], 4), "samples": b["samples"], "error": ""})
    return out


def _round(value, digits: int = 3):
    return round(value, digits) if value is not None else None
