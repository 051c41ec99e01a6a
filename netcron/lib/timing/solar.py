"""Solar fires: sunrise, sunset, solar noon and the three twilights at a place, computed with astral.

astral supplies the astronomy (declination, equation of time, refraction, hour angle). The day-finding
is ours: astral's ``sunrise()`` & co. anchor each computation to a UTC date and, for an event within a
few minutes of 00:00 UTC (e.g. sunrise near 90 E), skip one day a year. Here each day is a *local solar
day* of the place: the event is computed around that day's solar noon (rising before it, setting after
it), so every day yields at most one fire of an event and consecutive days never skip one.

A day on which the event does not happen (midnight sun, polar night, a twilight the sun never reaches)
simply has no fire: the search moves on to the following days, at most SEARCH_DAYS of them, enough to
cross the longest polar night or day (half a year at the poles). Every event happens at least once a
year at every latitude, so a valid schedule does not run out; if one did, it would be exhausted (None).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

from astral.julian import julianday, julianday_to_juliancentury
from astral.sun import (
    SUN_APPARENT_RADIUS,
    SunDirection,
    eq_of_time,
    hour_angle,
    refraction_at_zenith,
    sun_declination,
)

from netcron.lib.timing.errors import ScheduleError

SEARCH_DAYS = 400
_MAX_LATITUDE = 89.8  # as astral: the hour angle is undefined at the pole itself
_RISING, _SETTING, _NOON = SunDirection.RISING, SunDirection.SETTING, None

# Event name (django-celery-beat's names) -> (zenith of the sun's centre in degrees, direction).
# Sunrise and sunset are when the upper limb touches the horizon; refraction is added as astral does.
EVENTS: dict[str, tuple[float, SunDirection | None]] = {
    "sunrise": (90 + SUN_APPARENT_RADIUS, _RISING),
    "sunset": (90 + SUN_APPARENT_RADIUS, _SETTING),
    "solar_noon": (0, _NOON),
    "dawn_civil": (96, _RISING),
    "dusk_civil": (96, _SETTING),
    "dawn_nautical": (102, _RISING),
    "dusk_nautical": (102, _SETTING),
    "dawn_astronomical": (108, _RISING),
    "dusk_astronomical": (108, _SETTING),
}


def check_solar(event: object, latitude: object, longitude: object) -> None:
    """Raise ScheduleError naming `solar_event`, `latitude` or `longitude` when one is missing or invalid."""
    if event not in EVENTS:
        raise ScheduleError("solar_event", f"solar_event must be one of {', '.join(EVENTS)}, got {event!r}")
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ScheduleError(name, f"{name} is required: degrees from {-limit} to {limit}, got {value!r}")
        if not -limit <= value <= limit:
            raise ScheduleError(name, f"{name} must be from {-limit} to {limit} degrees, got {value!r}")


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def event_on(event: str, latitude: float, longitude: float, day: date) -> datetime | None:
    """The event on the local solar `day` at the place, as aware UTC in whole seconds; None if it does not happen."""
    zenith, direction = EVENTS[event]
    latitude = max(-_MAX_LATITUDE, min(_MAX_LATITUDE, latitude))
    mean_noon = datetime.combine(day, time(12), tzinfo=UTC) - _minutes(4 * longitude)
    at = mean_noon
    for _ in range(3):  # declination and equation of time taken at the estimate converge in two steps
        century = julianday_to_juliancentury(julianday(at))
        noon = mean_noon - _minutes(eq_of_time(century))
        if direction is None:
            at = noon
            continue
        try:
            angle = hour_angle(latitude, sun_declination(century), zenith + refraction_at_zenith(zenith), direction)
        except ValueError:  # acos out of domain: the sun never reaches that zenith on this day
            return None
        at = noon - _minutes(4 * math.degrees(angle))  # the angle is positive rising, negative setting
    return at.replace(microsecond=0)


def next_solar(event: str, latitude: float, longitude: float, after: datetime) -> datetime | None:
    """The first `event` strictly after aware `after`, searching at most SEARCH_DAYS days; None if none."""
    # The local solar day of `after`, started one day early: yesterday's event may still lie after it.
    day = (after.astimezone(UTC) + _minutes(4 * longitude)).date() - timedelta(days=1)
    for _ in range(SEARCH_DAYS):
        at = event_on(event, latitude, longitude, day)
        if at is not None and at > after:
            return at
        day += timedelta(days=1)
    return None
