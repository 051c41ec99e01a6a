"""Solar schedules: sun events at a place, days without the event (polar day and night), validation.

Reference values are astral's own (``astral.sun``), which agree with published almanac times to a
minute; Tromsø (69.65 N, 18.96 E) has midnight sun from 2026-05-18 to 2026-07-25 and polar night from
2026-11-27 to 2027-01-14.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from astral import Depression, Observer
from astral import sun as astral_sun

from netcron.lib.cron import SOLAR_EVENTS, ScheduleError, Timing
from netcron.lib.timing import solar

TROMSO = {"latitude": 69.65, "longitude": 18.96}
BERLIN = {"latitude": 52.52, "longitude": 13.405}
ORDER = ["dawn_astronomical", "dawn_nautical", "dawn_civil", "sunrise", "solar_noon", "sunset", "dusk_civil",
         "dusk_nautical", "dusk_astronomical"]


def z(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sun_timing(event: str, place: dict, **extra) -> Timing:
    return Timing(kind="solar", solar_event=event, **place, **extra)


def test_the_nine_events_are_the_ones_django_celery_beat_offers():
    assert set(SOLAR_EVENTS) == set(ORDER)


@pytest.mark.parametrize(("event", "reference"), [
    ("sunrise", lambda o, d: astral_sun.sunrise(o, d)),
    ("sunset", lambda o, d: astral_sun.sunset(o, d)),
    ("solar_noon", lambda o, d: astral_sun.noon(o, d)),
    ("dawn_civil", lambda o, d: astral_sun.dawn(o, d, Depression.CIVIL)),
    ("dusk_nautical", lambda o, d: astral_sun.dusk(o, d, Depression.NAUTICAL)),
    ("dusk_civil", lambda o, d: astral_sun.dusk(o, d, Depression.CIVIL)),
])
@pytest.mark.parametrize("day", [date(2026, 3, 20), date(2026, 6, 21), date(2026, 12, 21)])
def test_it_fires_within_a_minute_of_astrals_time_for_berlin(event, reference, day):
    expected = reference(Observer(**BERLIN), day)
    fire = sun_timing(event, BERLIN).next_after(datetime.combine(day, datetime.min.time(), tzinfo=UTC))
    assert abs(fire - expected) < timedelta(minutes=1), (fire, expected)


def test_the_events_of_a_day_come_in_the_order_of_the_suns_path():
    after = z("2026-04-15T00:00:00+02:00")  # Berlin's local midnight: the whole day follows
    fires = {event: sun_timing(event, BERLIN).next_after(after) for event in ORDER}
    assert sorted(ORDER, key=fires.get) == ORDER
    assert fires["sunrise"] == z("2026-04-15T04:09:13Z")  # 06:09 CEST, as almanacs list it


def test_fires_are_utc_instants_in_whole_seconds_that_the_display_zone_does_not_move():
    after = z("2026-03-25T00:00:00Z")
    in_utc = sun_timing("sunset", BERLIN).preview(after, 10)
    in_tokyo = sun_timing("sunset", BERLIN, timezone="Asia/Tokyo").preview(after, 10)
    assert in_utc == in_tokyo
    assert all(f.tzinfo == UTC and f.microsecond == 0 for f in in_utc)
    # The clock change on 2026-03-29 shifts nothing: consecutive sunsets stay about a day apart.
    assert all(timedelta(hours=24) < b - a < timedelta(hours=24, minutes=3) for a, b in pairwise(in_utc))


def test_the_midnight_sun_has_no_sunset_so_the_next_one_is_in_late_july():
    timing = sun_timing("sunset", TROMSO, timezone="Europe/Oslo")
    assert timing.next_after(z("2026-06-21T12:00:00Z")) == z("2026-07-26T22:10:16Z")
    assert abs(z("2026-07-26T22:10:16Z") - astral_sun.sunset(Observer(**TROMSO), date(2026, 7, 26))) < timedelta(
        minutes=1)
    # The last sunset before the midnight sun, then straight to July.
    assert timing.preview(z("2026-05-17T00:00:00Z"), 2) == [z("2026-05-17T22:21:02Z"), z("2026-07-26T22:10:16Z")]


def test_berlins_short_summer_nights_have_no_astronomical_dawn_until_late_july():
    fires = sun_timing("dawn_astronomical", BERLIN).preview(z("2026-06-01T00:00:00Z"), 2)
    assert fires == [z("2026-07-26T23:38:01Z"), z("2026-07-27T23:49:19Z")]  # 01:38 and 01:49 CEST


def test_the_polar_night_has_no_sunrise_so_the_next_one_is_in_mid_january():
    timing = sun_timing("sunrise", TROMSO)
    assert timing.next_after(z("2026-12-21T00:00:00Z")) == z("2027-01-15T10:43:33Z")
    # Solar noon still happens every day of the polar night.
    noons = sun_timing("solar_noon", TROMSO).preview(z("2026-12-21T00:00:00Z"), 3)
    assert [f.date() for f in noons] == [date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23)]


def test_a_day_whose_event_falls_near_midnight_utc_is_not_skipped():
    # At 90 E sunrise is close to 00:00 UTC; astral's UTC-date functions skip a day when it crosses.
    fires = sun_timing("sunrise", {"latitude": 0, "longitude": 90}).preview(z("2026-03-30T12:00:00Z"), 10)
    gaps = [b - a for a, b in pairwise(fires)]
    assert all(timedelta(hours=23, minutes=55) < gap < timedelta(hours=24, minutes=5) for gap in gaps), gaps


def test_start_at_and_end_at_bound_solar_fires():
    timing = sun_timing("sunrise", BERLIN, start_at=z("2026-05-10T12:00:00Z"), end_at=z("2026-05-12T12:00:00Z"))
    fires = timing.preview(z("2026-05-01T00:00:00Z"), 5)
    assert [f.date() for f in fires] == [date(2026, 5, 11), date(2026, 5, 12)]


def test_the_search_is_bounded_and_an_event_beyond_it_ends_the_schedule(monkeypatch):
    monkeypatch.setattr(solar, "SEARCH_DAYS", 30)  # shorter than Tromsø's 35 days without sunset
    assert sun_timing("sunset", TROMSO).next_after(z("2026-06-21T00:00:00Z")) is None


def test_far_north_a_four_month_midnight_sun_is_crossed_by_the_search():
    fire = sun_timing("sunset", {"latitude": 80, "longitude": 15}).next_after(z("2026-05-01T00:00:00Z"))
    assert fire == z("2026-08-30T21:49:23Z")


@pytest.mark.parametrize("event", ORDER)
@pytest.mark.parametrize("latitude", [90, 89.9, -89.9, -90])
def test_at_the_poles_every_event_is_found_within_the_search_or_ends_the_schedule_without_crashing(event, latitude):
    after = z("2026-01-01T00:00:00Z")
    fire = sun_timing(event, {"latitude": latitude, "longitude": 0}).next_after(after)
    assert fire is None or after < fire < after + timedelta(days=solar.SEARCH_DAYS + 1)


def test_the_end_of_the_calendar_ends_a_solar_schedule_without_crashing():
    fires = sun_timing("sunrise", BERLIN).preview(z("9999-12-30T00:00:00Z"), 5)
    assert [f.date() for f in fires] == [date(9999, 12, 30), date(9999, 12, 31)]


@pytest.mark.parametrize(("fields", "field"), [
    ({"solar_event": "moonrise", **BERLIN}, "solar_event"),
    ({"solar_event": "", **BERLIN}, "solar_event"),
    ({"solar_event": "sunrise", "longitude": 13.4}, "latitude"),
    ({"solar_event": "sunrise", "latitude": 90.5, "longitude": 13.4}, "latitude"),
    ({"solar_event": "sunrise", "latitude": -91, "longitude": 13.4}, "latitude"),
    ({"solar_event": "sunrise", "latitude": True, "longitude": 13.4}, "latitude"),
    ({"solar_event": "sunrise", "latitude": float("nan"), "longitude": 13.4}, "latitude"),
    ({"solar_event": "sunrise", "latitude": 52.5}, "longitude"),
    ({"solar_event": "sunrise", "latitude": 52.5, "longitude": 180.01}, "longitude"),
    ({"solar_event": "sunrise", "latitude": 52.5, "longitude": "13"}, "longitude"),
])
def test_an_invalid_solar_field_is_an_error_naming_it(fields, field):
    with pytest.raises(ScheduleError) as error:
        Timing(kind="solar", **fields).validate()
    assert error.value.field == field


def test_the_extreme_coordinates_are_valid():
    for latitude, longitude in ((90, 180), (-90, -180)):
        Timing(kind="solar", solar_event="solar_noon", latitude=latitude, longitude=longitude).validate()
