"""Time zones: offsets, offset changes (DST transitions) and wall time to instant conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from netcron.lib.timing.errors import ScheduleError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
# Since 1970 no zone changes its offset twice within a week, so daily probes cannot miss a change.
_PROBE = timedelta(days=1)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # ZoneInfo would also load "localtime" (the host's zone), "Factory", and the leap-second "right/"
    # tree; none of them is a place a schedule can be in.
    return frozenset(available_timezones()) - {"localtime", "Factory"}


def validate_timezone(name: str) -> ZoneInfo:
    """Return the IANA zone `name`, or raise ScheduleError(field="timezone")."""
    if not isinstance(name, str) or not name:
        raise ScheduleError("timezone", f"{name!r} is not a time zone name")
    if name not in _known_zones():
        raise ScheduleError("timezone", f"unknown time zone {name[:64]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # removed since the list was read
        raise ScheduleError("timezone", f"unknown time zone {name!r}") from None


def as_zone(tz: str | tzinfo) -> tzinfo:
    """A zone from its IANA name, or `tz` itself when it already is one."""
    return tz if isinstance(tz, tzinfo) else validate_timezone(tz)


def as_utc(value: datetime, name: str) -> datetime:
    """`value` converted to UTC; ValueError if it is not an aware datetime."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def offset_at(instant: datetime, tz: tzinfo) -> timedelta:
    return instant.astimezone(tz).utcoffset() or timedelta(0)


def offset_change(a: datetime, b: datetime, tz: tzinfo) -> datetime | None:
    """First instant in (a, b] whose UTC offset in `tz` differs from the offset at `a`, else None."""
    base, lo = offset_at(a, tz), a
    while lo < b:
        hi = min(lo + _PROBE, b)
        if offset_at(hi, tz) != base:
            # tzdata changes offsets on whole seconds: bisect on those, keeping offset(lo) == base.
            lo_s, hi_s = (lo - EPOCH) // SECOND, -((EPOCH - hi) // SECOND)
            while hi_s - lo_s > 1:
                mid = (lo_s + hi_s) // 2
                if offset_at(EPOCH + mid * SECOND, tz) == base:
                    lo_s = mid
                else:
                    hi_s = mid
            return EPOCH + hi_s * SECOND
        lo = hi
    return None


def wall_to_utc(wall: datetime, tz: tzinfo) -> datetime:
    """When a fixed-time job set for naive `wall` fires: its first occurrence, or the end of its gap."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # Inside a gap fold=1 maps before the jump and fold=0 after it; the jump is the end of the gap.
    before = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return offset_change(before, first, tz) or first


def describe_offset(instant: datetime, tz: str | tzinfo) -> str:
    """`instant` as wall time in `tz` with zone name and offset: "2026-03-29 03:00 CEST (+02:00)"."""
    local = as_utc(instant, "instant").astimezone(as_zone(tz))
    seconds = int((local.utcoffset() or timedelta(0)).total_seconds())
    sign, seconds = "-" if seconds < 0 else "+", abs(seconds)
    offset = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    if seconds % 60:  # pre-1900 local mean times
        offset += f":{seconds % 60:02d}"
    clock = "%H:%M:%S" if local.second or local.microsecond else "%H:%M"
    return f"{local:%Y-%m-%d} {local.strftime(clock)} {local.tzname()} ({offset})"


def dst_transition_between(a: datetime, b: datetime, tz: str | tzinfo) -> bool:
    """True if the UTC offset in `tz` changes in (a, b]."""
    return offset_change(as_utc(a, "a"), as_utc(b, "b"), as_zone(tz)) is not None
