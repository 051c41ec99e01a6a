"""The Timing value object: one small check/next pair per schedule kind, kept in a registry."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

from netcron.lib.timing.cronexpr import validate_cron
from netcron.lib.timing.errors import ScheduleError
from netcron.lib.timing.fires import chain, next_fire
from netcron.lib.timing.solar import check_solar, next_solar
from netcron.lib.timing.zones import EPOCH, as_utc, validate_timezone, wall_to_utc

MAX_INTERVAL_SECONDS = 366 * 86400
MAX_PREVIEW = 1000
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Timing:
    """When a schedule fires. Datetimes are aware; `time_of_day` is wall time in `timezone`."""

    kind: str  # a key of KINDS: "cron" | "interval" | "daily" | "once" | "hourly" | "weekly" | "monthly" | "solar"
    timezone: str = "UTC"
    cron_expr: str = ""
    interval_seconds: int | None = None
    time_of_day: time | None = None  # daily, weekly, monthly
    start_at: datetime | None = None  # no fire before it; anchors interval slots
    end_at: datetime | None = None  # no fire after it
    run_at: datetime | None = None  # once
    minute: int | None = None  # hourly
    weekdays: tuple[int, ...] = ()  # weekly, 0 = Monday
    day_of_month: int | None = None  # monthly; clamped to the month's last day
    solar_event: str = ""  # solar: a key of solar.EVENTS, e.g. "sunrise"
    latitude: float | None = None  # solar: degrees, north positive
    longitude: float | None = None  # solar: degrees, east positive

    def __post_init__(self) -> None:
        if isinstance(self.weekdays, list):  # forms and JSON give lists; stay hashable
            object.__setattr__(self, "weekdays", tuple(self.weekdays))

    def validate(self) -> None:
        """Raise ScheduleError naming the first invalid field."""
        if not isinstance(self.kind, str) or self.kind not in KINDS:
            raise ScheduleError("kind", f"unknown schedule kind {self.kind!r}; use one of {', '.join(KINDS)}")
        validate_timezone(self.timezone)
        for name in ("start_at", "end_at", "run_at"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
                raise ScheduleError(name, f"{name} must be a timezone-aware datetime")
            if value is not None and not 1970 <= value.year <= 9000:
                raise ScheduleError(name, f"{name} must be between the years 1970 and 9000")
        if self.start_at is not None and self.end_at is not None and self.end_at < self.start_at:
            raise ScheduleError("end_at", "end_at must not be before start_at")
        KINDS[self.kind].check(self)

    def next_after(self, after: datetime) -> datetime | None:
        """First fire strictly after `after` within [start_at, end_at], as aware UTC; None if exhausted."""
        after = as_utc(after, "after")
        self.validate()
        if self.start_at is not None:
            after = max(after, self.start_at.astimezone(UTC) - _TICK)  # start_at itself may fire
        try:
            fire = KINDS[self.kind].next(self, after)
        except OverflowError:  # past the end of the calendar (year 9999): nothing more to fire
            return None
        if fire is None or (self.end_at is not None and fire > self.end_at):
            return None
        return fire

    def preview(self, after: datetime, count: int) -> list[datetime]:
        """The next `count` fires strictly after `after`; fewer when the schedule runs out."""
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_PREVIEW:
            raise ValueError(f"count must be an integer from 0 to {MAX_PREVIEW}, got {count!r}")
        return list(islice(chain(self.next_after, as_utc(after, "after")), count))


@dataclass(frozen=True)
class Kind:
    check: Callable[[Timing], None]  # raise ScheduleError for a bad kind-specific field
    next: Callable[[Timing, datetime], datetime | None]  # first fire strictly after an aware UTC instant


def _check_int(timing: Timing, name: str, lo: int, hi: int, unit: str = "") -> None:
    value = getattr(timing, name)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ScheduleError(name, f"{name} must be an integer from {lo} to {hi}{unit}, got {value!r}")


def _check_time(timing: Timing) -> None:
    value = timing.time_of_day
    if not isinstance(value, time):
        raise ScheduleError("time_of_day", "time_of_day is required (wall time HH:MM or HH:MM:SS)")
    if value.tzinfo is not None:
        raise ScheduleError("time_of_day", "time_of_day must be a plain wall time; `timezone` applies")
    if value.microsecond:
        raise ScheduleError("time_of_day", "time_of_day must be whole seconds")


def _check_weekly(timing: Timing) -> None:
    days = timing.weekdays
    if not isinstance(days, tuple) or not days or not all(type(d) is int and 0 <= d <= 6 for d in days):
        raise ScheduleError("weekdays", f"weekdays must be a non-empty list of 0 (Monday) to 6, got {days!r}")
    _check_time(timing)


def _check_monthly(timing: Timing) -> None:
    _check_int(timing, "day_of_month", 1, 31)
    _check_time(timing)


def _check_once(timing: Timing) -> None:
    if timing.run_at is None:
        raise ScheduleError("run_at", "run_at is required for a one-off schedule")


def _next_cron(timing: Timing, after: datetime) -> datetime:
    return next_fire(timing.cron_expr, timing.timezone, after)


def _next_interval(timing: Timing, after: datetime) -> datetime:
    # Slots sit on a fixed UTC grid from the anchor, so a late dispatch never shifts later slots.
    anchor = EPOCH if timing.start_at is None else timing.start_at.astimezone(UTC)
    step = timedelta(seconds=timing.interval_seconds or 0)
    return anchor + ((after - anchor) // step + 1) * step


def _next_once(timing: Timing, after: datetime) -> datetime | None:
    run_at = timing.run_at.astimezone(UTC) if timing.run_at is not None else None
    return run_at if run_at is not None and run_at > after else None


def _next_hourly(timing: Timing, after: datetime) -> datetime:
    # "M * * * *" is a wildcard cron job, so an hourly schedule follows the real hours through DST.
    return next_fire(f"{timing.minute} * * * *", timing.timezone, after)


def _next_on_days(timing: Timing, after: datetime, wanted: Callable[[date], bool]) -> datetime | None:
    """First fire strictly after `after` at time_of_day on a `wanted` local day, by the fixed-time rule."""
    tz, at = validate_timezone(timing.timezone), timing.time_of_day or time()
    # Start a day early: from the second pass of a repeated hour yesterday's wall time can be ahead.
    day = after.astimezone(tz).date() - timedelta(days=1)
    for _ in range(400):  # every kind wants at least one day a month
        if wanted(day):
            fire = wall_to_utc(datetime.combine(day, at), tz)
            if fire > after:
                return fire
        day += timedelta(days=1)
    return None


def _next_daily(timing: Timing, after: datetime) -> datetime | None:
    return _next_on_days(timing, after, lambda day: True)


def _next_weekly(timing: Timing, after: datetime) -> datetime | None:
    return _next_on_days(timing, after, lambda day: day.weekday() in timing.weekdays)


def _next_monthly(timing: Timing, after: datetime) -> datetime | None:
    def wanted(day: date) -> bool:  # a day the month lacks is clamped to its last day
        return day.day == min(timing.day_of_month or 1, calendar.monthrange(day.year, day.month)[1])

    return _next_on_days(timing, after, wanted)


def _next_solar(timing: Timing, after: datetime) -> datetime | None:
    # Solar fires are instants of the place; `timezone` only decides how they are shown.
    return next_solar(timing.solar_event, timing.latitude, timing.longitude, after)


KINDS: dict[str, Kind] = {
    "cron": Kind(lambda t: validate_cron(t.cron_expr), _next_cron),
    "interval": Kind(
        lambda t: _check_int(t, "interval_seconds", 1, MAX_INTERVAL_SECONDS, " (1 second to 366 days)"),
        _next_interval,
    ),
    "once": Kind(_check_once, _next_once),
    "daily": Kind(_check_time, _next_daily),
    "hourly": Kind(lambda t: _check_int(t, "minute", 0, 59), _next_hourly),
    "weekly": Kind(_check_weekly, _next_weekly),
    "monthly": Kind(_check_monthly, _next_monthly),
    "solar": Kind(lambda t: check_solar(t.solar_event, t.latitude, t.longitude), _next_solar),
}
