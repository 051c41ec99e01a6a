"""Tests for netcron.lib.cron: cron fires with cronie's DST rules, schedule kinds, validation.

2026 transition instants, worked out by hand from the tzdata rules (checked against the installed
tzdata by test_hand_computed_transition_instants_match_tzdata):

Europe/Berlin     EU rule, last Sunday of March/October at 01:00 UTC.
    spring 2026-03-29T01:00Z  02:00 CET -> 03:00 CEST (02:00-02:59 does not exist)
    autumn 2026-10-25T01:00Z  03:00 CEST -> 02:00 CET (02:00-02:59 twice: 00:xxZ, then 01:xxZ)
America/New_York  2nd Sunday of March / 1st Sunday of November, 02:00 local.
    spring 2026-03-08T07:00Z  02:00 EST -> 03:00 EDT (02:00-02:59 does not exist)
    autumn 2026-11-01T06:00Z  02:00 EDT -> 01:00 EST (01:00-01:59 twice: 05:xxZ, then 06:xxZ)
America/Santiago  Chile: ends Apr Sun>=2 at 03:00Z, starts Sep Sun>=2 at 04:00Z (at local midnight).
    autumn 2026-04-05T03:00Z  Apr 5 00:00 -03 -> Apr 4 23:00 -04 (Apr 4 23:xx twice: 02:xxZ, 03:xxZ)
    spring 2026-09-06T04:00Z  Sep 6 00:00 -04 -> 01:00 -03 (Sep 6 00:00-00:59 does not exist)
Australia/Lord_Howe  30-minute DST: ends 1st Sunday of April 02:00 +11, starts 1st Sunday of
    October 02:00 +10:30.
    autumn 2026-04-04T15:00Z  Apr 5 02:00 +11 -> 01:30 +10:30
                              (01:30-01:59 twice: 14:30-14:59Z, then 15:00-15:29Z)
    spring 2026-10-03T15:30Z  Oct 4 02:00 +10:30 -> 02:30 +11 (02:00-02:29 does not exist)
Antarctica/Troll  2-hour DST on EU dates: 2026-03-29T01:00Z +00 -> +02, 2026-10-25T01:00Z +02 -> +00.
Pacific/Chatham   +12:45/+13:45 on NZ dates at 02:45 standard time:
    2026-04-04T14:00Z (03:45 -> 02:45), 2026-09-26T14:00Z (02:45 -> 03:45).
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, time, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netcron.lib import cron
from netcron.lib.cron import (
    ScheduleError,
    Timing,
    describe_offset,
    dst_transition_between,
    iter_fires,
    next_fire,
    validate_cron,
    validate_timezone,
)

MINUTE = timedelta(minutes=1)


def z(text: str) -> datetime:
    """An aware UTC datetime from ISO text such as "2026-03-29T01:00Z"."""
    return datetime.fromisoformat(text)


def fires(expr: str, zone: str, after: str, count: int) -> list[datetime]:
    return list(islice(iter_fires(expr, zone, z(after)), count))


# (zone, instant, offset just before, offset from the instant on)
TRANSITIONS = [
    ("Europe/Berlin", "2026-03-29T01:00Z", 1, 2),
    ("Europe/Berlin", "2026-10-25T01:00Z", 2, 1),
    ("America/New_York", "2026-03-08T07:00Z", -5, -4),
    ("America/New_York", "2026-11-01T06:00Z", -4, -5),
    ("America/Santiago", "2026-04-05T03:00Z", -3, -4),
    ("America/Santiago", "2026-09-06T04:00Z", -4, -3),
    ("Australia/Lord_Howe", "2026-04-04T15:00Z", 11, 10.5),
    ("Australia/Lord_Howe", "2026-10-03T15:30Z", 10.5, 11),
    ("Antarctica/Troll", "2026-03-29T01:00Z", 0, 2),
    ("Antarctica/Troll", "2026-10-25T01:00Z", 2, 0),
    ("Pacific/Chatham", "2026-04-04T14:00Z", 13.75, 12.75),
    ("Pacific/Chatham", "2026-09-26T14:00Z", 12.75, 13.75),
]


@pytest.mark.parametrize(("zone", "instant", "before", "after"), TRANSITIONS)
def test_hand_computed_transition_instants_match_tzdata(zone, instant, before, after):
    tz, moment = ZoneInfo(zone), z(instant)
    assert (moment - timedelta(seconds=1)).astimezone(tz).utcoffset() == timedelta(hours=before)
    assert moment.astimezone(tz).utcoffset() == timedelta(hours=after)


# ----------------------------------------------------------------------------- DST vectors

# (zone, expression, after, expected fires as UTC "MM-DDTHH:MM" in 2026); comments give local times.
DST_VECTORS = [
    # Berlin spring: 02:00-02:59 does not exist.
    ("Europe/Berlin", "*/15 * * * *", "2026-03-29T00:40Z", ["03-29T00:45", "03-29T01:00", "03-29T01:15"]),
    ("Europe/Berlin", "0 * * * *", "2026-03-28T23:30Z", ["03-29T00:00", "03-29T01:00", "03-29T02:00"]),
    ("Europe/Berlin", "30 * * * *", "2026-03-28T23:45Z", ["03-29T00:30", "03-29T01:30", "03-29T02:30"]),
    ("Europe/Berlin", "30 2 * * *", "2026-03-28T12:00Z", ["03-29T01:00", "03-30T00:30"]),  # gap -> 03:00
    ("Europe/Berlin", "0 2 * * *", "2026-03-28T12:00Z", ["03-29T01:00", "03-30T00:00"]),
    ("Europe/Berlin", "0,30 2 * * *", "2026-03-28T12:00Z", ["03-29T01:00", "03-30T00:00", "03-30T00:30"]),
    ("Europe/Berlin", "0 3 * * *", "2026-03-28T12:00Z", ["03-29T01:00", "03-30T01:00"]),
    ("Europe/Berlin", "*/10 2 * * *", "2026-03-28T12:00Z", ["03-30T00:00", "03-30T00:10"]),  # wildcard: skip
    # Berlin autumn: 02:00-02:59 CEST, then again CET.
    (
        "Europe/Berlin",
        "*/15 * * * *",
        "2026-10-24T23:50Z",
        [
            "10-25T00:00",
            "10-25T00:15",
            "10-25T00:30",
            "10-25T00:45",
            "10-25T01:00",
            "10-25T01:15",
            "10-25T01:30",
        ],
    ),
    ("Europe/Berlin", "0 * * * *", "2026-10-24T23:30Z", ["10-25T00:00", "10-25T01:00", "10-25T02:00"]),
    ("Europe/Berlin", "30 * * * *", "2026-10-24T23:45Z", ["10-25T00:30", "10-25T01:30", "10-25T02:30"]),
    ("Europe/Berlin", "30 2 * * *", "2026-10-24T12:00Z", ["10-25T00:30", "10-26T01:30"]),  # first pass only
    ("Europe/Berlin", "30 2 * * *", "2026-10-25T01:10Z", ["10-26T01:30"]),  # from 02:10 CET, second pass
    ("Europe/Berlin", "0 2 * * *", "2026-10-24T12:00Z", ["10-25T00:00", "10-26T01:00"]),
    ("Europe/Berlin", "0 3 * * *", "2026-10-24T12:00Z", ["10-25T02:00", "10-26T02:00"]),
    # New York spring: 02:00-02:59 does not exist.
    ("America/New_York", "*/15 * * * *", "2026-03-08T06:40Z", ["03-08T06:45", "03-08T07:00", "03-08T07:15"]),
    ("America/New_York", "0 * * * *", "2026-03-08T05:30Z", ["03-08T06:00", "03-08T07:00", "03-08T08:00"]),
    ("America/New_York", "30 * * * *", "2026-03-08T05:45Z", ["03-08T06:30", "03-08T07:30"]),
    ("America/New_York", "30 2 * * *", "2026-03-07T12:00Z", ["03-08T07:00", "03-09T06:30"]),  # gap -> 03:00
    ("America/New_York", "0 2 * * *", "2026-03-07T12:00Z", ["03-08T07:00", "03-09T06:00"]),
    # New York autumn: 01:00-01:59 EDT, then again EST.
    (
        "America/New_York",
        "*/15 * * * *",
        "2026-11-01T04:50Z",
        [
            "11-01T05:00",
            "11-01T05:15",
            "11-01T05:30",
            "11-01T05:45",
            "11-01T06:00",
            "11-01T06:15",
            "11-01T06:30",
        ],
    ),
    ("America/New_York", "0 * * * *", "2026-11-01T04:30Z", ["11-01T05:00", "11-01T06:00", "11-01T07:00"]),
    ("America/New_York", "30 * * * *", "2026-11-01T04:45Z", ["11-01T05:30", "11-01T06:30", "11-01T07:30"]),
    ("America/New_York", "15 1 * * *", "2026-10-31T12:00Z", ["11-01T05:15", "11-02T06:15"]),
    ("America/New_York", "15 1 * * *", "2026-11-01T05:20Z", ["11-02T06:15"]),  # from 01:20 EDT
    ("America/New_York", "15 1 * * *", "2026-11-01T06:00Z", ["11-02T06:15"]),  # from 01:00 EST
    ("America/New_York", "30 2 * * *", "2026-10-31T12:00Z", ["11-01T07:30", "11-02T07:30"]),
    # Santiago autumn: Apr 4 23:00-23:59 at -03, then again at -04; midnight comes once.
    (
        "America/Santiago",
        "*/15 * * * *",
        "2026-04-05T01:50Z",
        [
            "04-05T02:00",
            "04-05T02:15",
            "04-05T02:30",
            "04-05T02:45",
            "04-05T03:00",
            "04-05T03:15",
            "04-05T03:30",
        ],
    ),
    ("America/Santiago", "0 * * * *", "2026-04-05T01:30Z", ["04-05T02:00", "04-05T03:00", "04-05T04:00"]),
    ("America/Santiago", "30 23 * * *", "2026-04-04T12:00Z", ["04-05T02:30", "04-06T03:30"]),
    ("America/Santiago", "0 0 * * *", "2026-04-04T12:00Z", ["04-05T04:00", "04-06T04:00"]),
    # Santiago spring: Sep 6 00:00-00:59 does not exist, so midnight jobs fire at 01:00 -03.
    ("America/Santiago", "*/15 * * * *", "2026-09-06T03:40Z", ["09-06T03:45", "09-06T04:00", "09-06T04:15"]),
    ("America/Santiago", "0 * * * *", "2026-09-06T02:30Z", ["09-06T03:00", "09-06T04:00", "09-06T05:00"]),
    ("America/Santiago", "0 0 * * *", "2026-09-05T12:00Z", ["09-06T04:00", "09-07T03:00"]),
    ("America/Santiago", "@daily", "2026-09-05T12:00Z", ["09-06T04:00", "09-07T03:00"]),
    ("America/Santiago", "30 0 * * *", "2026-09-05T12:00Z", ["09-06T04:00", "09-07T03:30"]),
    ("America/Santiago", "*/20 0 * * *", "2026-09-05T12:00Z", ["09-07T03:00", "09-07T03:20", "09-07T03:40"]),
    # Lord Howe autumn: 01:30-01:59 at +11, then again at +10:30.
    (
        "Australia/Lord_Howe",
        "*/15 * * * *",
        "2026-04-04T14:10Z",
        ["04-04T14:15", "04-04T14:30", "04-04T14:45", "04-04T15:00", "04-04T15:15", "04-04T15:30"],
    ),
    ("Australia/Lord_Howe", "0 * * * *", "2026-04-04T13:30Z", ["04-04T14:00", "04-04T15:30", "04-04T16:30"]),
    ("Australia/Lord_Howe", "30 * * * *", "2026-04-04T13:45Z", ["04-04T14:30", "04-04T15:00", "04-04T16:00"]),
    ("Australia/Lord_Howe", "45 1 * * *", "2026-04-04T12:00Z", ["04-04T14:45", "04-05T15:15"]),
    ("Australia/Lord_Howe", "45 1 * * *", "2026-04-04T15:05Z", ["04-05T15:15"]),  # from 01:35 +10:30
    ("Australia/Lord_Howe", "* 3 * * *", "2026-04-04T16:00Z", ["04-04T16:30", "04-04T16:31"]),  # 03:00 +10:30
    # Lord Howe spring: 02:00-02:29 does not exist.
    (
        "Australia/Lord_Howe",
        "*/15 * * * *",
        "2026-10-03T15:10Z",
        ["10-03T15:15", "10-03T15:30", "10-03T15:45", "10-03T16:00"],
    ),
    ("Australia/Lord_Howe", "0 * * * *", "2026-10-03T14:00Z", ["10-03T14:30", "10-03T16:00"]),
    ("Australia/Lord_Howe", "30 * * * *", "2026-10-03T14:00Z", ["10-03T15:00", "10-03T15:30", "10-03T16:30"]),
    ("Australia/Lord_Howe", "15 2 * * *", "2026-10-03T00:00Z", ["10-03T15:30", "10-04T15:15"]),  # -> 02:30
    ("Australia/Lord_Howe", "0,15 2 * * *", "2026-10-03T00:00Z", ["10-03T15:30", "10-04T15:00"]),
    ("Australia/Lord_Howe", "45 2 * * *", "2026-10-03T00:00Z", ["10-03T15:45", "10-04T15:45"]),
    ("Australia/Lord_Howe", "* 3 * * *", "2026-10-03T15:00Z", ["10-03T16:00", "10-03T16:01"]),
]


@pytest.mark.parametrize(("zone", "expr", "after", "expected"), DST_VECTORS)
def test_fires_across_2026_dst_transitions_follow_cronie_rules(zone, expr, after, expected):
    assert fires(expr, zone, after, len(expected)) == [z(f"2026-{hhmm}Z") for hhmm in expected]


def test_fixed_time_job_in_spring_gap_fires_at_end_of_gap():
    assert next_fire("30 2 * * *", "Europe/Berlin", z("2026-03-28T12:00Z")) == z("2026-03-29T01:00Z")
    assert next_fire("30 2 * * *", "Europe/Berlin", z("2026-03-29T01:00Z")) == z("2026-03-30T00:30Z")


def test_fixed_time_job_in_repeated_hour_fires_only_at_first_occurrence():
    tz = ZoneInfo("America/New_York")
    assert next_fire("15 1 * * *", tz, z("2026-10-31T12:00Z")).astimezone(tz).utcoffset() == timedelta(
        hours=-4
    )
    assert next_fire("15 1 * * *", tz, z("2026-11-01T05:15Z")) == z("2026-11-02T06:15Z")


def test_wildcard_job_fires_in_both_passes_of_repeated_hour_and_never_in_gap():
    autumn = list(
        takewhile(
            lambda f: f < z("2026-11-01T07:00Z"),
            iter_fires("*/30 1 * * *", "America/New_York", z("2026-11-01T00:00Z")),
        )
    )
    assert autumn == [
        z("2026-11-01T05:00Z"),
        z("2026-11-01T05:30Z"),
        z("2026-11-01T06:00Z"),
        z("2026-11-01T06:30Z"),
    ]
    assert next_fire("*/30 2 * * *", "America/New_York", z("2026-03-08T00:00Z")) == z("2026-03-09T06:00Z")


def test_macros_behave_like_their_expansions():
    for macro, expansion in [
        ("@hourly", "0 * * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@ANNUALLY", "0 0 1 1 *"),
    ]:
        assert fires(macro, "America/New_York", "2026-10-31T00:00Z", 5) == fires(
            expansion, "America/New_York", "2026-10-31T00:00Z", 5
        )


def test_names_last_and_nth_weekday_are_supported():
    assert fires("0 9 * jan mon-fri", "UTC", "2026-01-02T10:00Z", 2) == [
        z("2026-01-05T09:00Z"),
        z("2026-01-06T09:00Z"),
    ]
    assert fires("0 0 L 2 *", "UTC", "2026-01-01T00:00Z", 2) == [
        z("2026-02-28T00:00Z"),
        z("2027-02-28T00:00Z"),
    ]
    assert fires("0 0 * * 5L", "UTC", "2026-01-01T00:00Z", 1) == [z("2026-01-30T00:00Z")]
    assert fires("0 0 * * FRI#2", "UTC", "2026-01-01T00:00Z", 1) == [z("2026-01-09T00:00Z")]


def test_next_fire_is_strictly_after_the_reference_even_with_sub_seconds():
    assert next_fire("0 * * * *", "UTC", z("2026-01-01T10:00Z")) == z("2026-01-01T11:00Z")
    assert next_fire("0 * * * *", "UTC", z("2026-01-01T10:00:00.5+00:00")) == z("2026-01-01T11:00Z")
    assert next_fire("0 * * * *", "UTC", z("2026-01-01T09:59:59.999999+00:00")) == z("2026-01-01T10:00Z")


def test_results_are_utc_whatever_the_zone_of_the_reference():
    after = datetime(2026, 3, 29, 3, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    fire = next_fire("0 * * * *", ZoneInfo("Europe/Berlin"), after)
    assert fire == z("2026-03-29T02:00Z")
    assert fire.tzinfo is UTC


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire("* * * * *", "UTC", datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        iter_fires("* * * * *", "UTC", datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        Timing(kind="interval", interval_seconds=60).next_after(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        describe_offset(datetime(2026, 1, 1), "UTC")


def test_expression_that_never_matches_raises_a_clear_error():
    with pytest.raises(ScheduleError, match="day-of-month field: 30 never occurs"):
        next_fire("0 0 30 2 *", "UTC", z("2026-01-01T00:00Z"))


def test_cron_evaluation_that_does_not_advance_fails_instead_of_looping(monkeypatch):
    class Stuck:
        def __init__(self, expr, start):
            self.start = start

        def __next__(self):
            return self.start

    monkeypatch.setattr("netcron.lib.timing.fires.CronSim", Stuck)
    with pytest.raises(ScheduleError, match="does not advance"):
        next_fire("0 2 * * *", "Europe/Berlin", z("2026-01-01T00:00Z"))


def test_cron_evaluation_that_finds_nothing_within_50_years_raises(monkeypatch):
    class Empty:
        def __init__(self, expr, start):
            pass

        def __next__(self):
            raise StopIteration

    monkeypatch.setattr("netcron.lib.timing.fires.CronSim", Empty)
    with pytest.raises(ScheduleError, match="never matches") as info:
        next_fire("* * * * *", "UTC", z("2026-01-01T00:00Z"))
    assert info.value.field == "cron_expr"


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("1 2 3", "expected 5 fields (minute hour day-of-month month day-of-week), got 3"),
        ("0 0 * * * *", "got 6"),
        ("61 * * * *", "minute field: 61 is out of range 0-59"),
        ("* 25 * * *", "hour field: 25 is out of range 0-23"),
        ("* * 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("* * 32 * *", "day-of-month field: 32 is out of range 1-31"),
        ("* * * 13 *", "month field: 13 is out of range 1-12"),
        ("* * * * 8", "day-of-week field: 8 is out of range 0-7"),
        ("* * * FOO *", "month field: 'FOO' is not a number or month name"),
        ("* * * * FUNDAY", "day-of-week field: 'FUNDAY' is not a number or day name"),
        ("-1 * * * *", "minute field: '' is not a number"),
        ("1.5 * * * *", "minute field: '1.5' is not a number"),
        ("5-1 * * * *", "minute field: range 5-1 goes backwards"),
        ("* * * * MON-SUN", "day-of-week field: range MON-SUN goes backwards (Sunday is also 7)"),
        ("*/0 * * * *", "minute field: step '0' is not a number from 1 to 59"),
        ("* */x * * *", "hour field: step 'x'"),
        ("1,,2 * * * *", "minute field: empty item in list"),
        ("* * * * MON#6", "day-of-week field: 'MON#6': the number after # must be 1-5"),
        ("* * * * SATL", "day-of-week field: 'SAT' is not a number"),
        ("* * LX * *", "day-of-month field: 'LX' is not a number"),
        ("0 0 30 2 *", "day-of-month field: 30 never occurs in the selected months"),
        ("0 0 31 4,6 *", "day-of-month field: 31 never occurs"),
        ("@reboot", "unknown macro '@reboot'"),
        ("", "cron expression is empty"),
        ("   ", "cron expression is empty"),
        ("*" + " *" * 200, "cron expression is too long (401 > 256 chars)"),
    ],
)
def test_invalid_expression_is_rejected_naming_the_cron_field(expr, message):
    with pytest.raises(ScheduleError) as info:
        validate_cron(expr)
    assert info.value.field == "cron_expr"
    assert message in str(info.value)
    assert info.value.message == str(info.value)


@pytest.mark.parametrize(
    "expr",
    [
        "* * * * *",
        "@hourly",
        "@Daily",
        "0 9 * * MON-FRI",
        "*/5 9-17 * jan-jun mon,wed",
        "0 0 L * *",
        "0 0 LW * *",
        "0 0 * * 5L",
        "0 0 * * FRI#2",
        "0 0 1 */3 *",
        "0-30/10 0-23/6 1-31/2 * 0-7",
        "  0  12  *  *  SUN  ",
    ],
)
def test_valid_expression_passes_validation(expr):
    validate_cron(expr)


def test_non_string_expression_is_rejected():
    with pytest.raises(ScheduleError, match="must be a string"):
        validate_cron(None)  # type: ignore[arg-type]


def test_schedule_error_is_a_value_error_with_field_and_message():
    error = ScheduleError("timezone", "unknown time zone 'X'")
    assert isinstance(error, ValueError)
    assert (error.field, error.message, str(error)) == (
        "timezone",
        "unknown time zone 'X'",
        "unknown time zone 'X'",
    )


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus_Mons",
        "",
        "Europe",
        "../etc/passwd",
        "x" * 100,
        None,
        "localtime",
        "right/UTC",
        "posixrules",
    ],
)
def test_unknown_time_zone_is_rejected_with_timezone_field(name):
    with pytest.raises(ScheduleError) as info:
        validate_timezone(name)
    assert info.value.field == "timezone"


def test_known_time_zone_is_returned_as_zoneinfo():
    assert validate_timezone("Australia/Lord_Howe") == ZoneInfo("Australia/Lord_Howe")
    with pytest.raises(ScheduleError, match="unknown time zone"):
        next_fire("* * * * *", "Nowhere/Town", z("2026-01-01T00:00Z"))


# ----------------------------------------------------------------------------- display helpers


@pytest.mark.parametrize(
    ("instant", "zone", "text"),
    [
        ("2026-03-29T01:00Z", "Europe/Berlin", "2026-03-29 03:00 CEST (+02:00)"),
        ("2026-11-01T06:30Z", "America/New_York", "2026-11-01 01:30 EST (-05:00)"),
        ("2026-11-01T05:30Z", "America/New_York", "2026-11-01 01:30 EDT (-04:00)"),
        ("2026-10-03T15:30Z", "Australia/Lord_Howe", "2026-10-04 02:30 +11 (+11:00)"),
        ("2026-04-04T15:00Z", "Australia/Lord_Howe", "2026-04-05 01:30 +1030 (+10:30)"),
        ("2026-01-01T00:00:07Z", "UTC", "2026-01-01 00:00:07 UTC (+00:00)"),
    ],
)
def test_describe_offset_shows_wall_time_zone_name_and_offset(instant, zone, text):
    assert describe_offset(z(instant), zone) == text


def test_dst_transition_between_marks_intervals_containing_an_offset_change():
    change = z("2026-03-29T01:00Z")
    assert dst_transition_between(change - timedelta(seconds=1), change, "Europe/Berlin")
    assert not dst_transition_between(change, change + timedelta(hours=1), "Europe/Berlin")
    assert not dst_transition_between(
        change - timedelta(hours=1), change - timedelta(seconds=1), "Europe/Berlin"
    )
    # Both 2026 changes: the offsets at the ends are equal, but it still changed in between.
    assert dst_transition_between(z("2026-03-01T00:00Z"), z("2026-12-01T00:00Z"), "Europe/Berlin")
    assert not dst_transition_between(z("2026-01-01T00:00Z"), z("2027-01-01T00:00Z"), "UTC")
    assert dst_transition_between(
        z("2026-10-03T15:00Z"), z("2026-10-03T16:00Z"), ZoneInfo("Australia/Lord_Howe")
    )


# ----------------------------------------------------------------------------- Timing kinds


def test_interval_slots_are_anchored_to_start_at_and_ignore_dst():
    timing = Timing(
        kind="interval", timezone="Europe/Berlin", interval_seconds=3600, start_at=z("2026-01-01T00:00:07Z")
    )
    assert timing.preview(z("2026-03-29T00:00Z"), 3) == [
        z("2026-03-29T00:00:07Z"),
        z("2026-03-29T01:00:07Z"),
        z("2026-03-29T02:00:07Z"),
    ]
    # A late dispatch does not shift the grid: the next slot is still on it.
    assert timing.next_after(z("2026-03-29T01:59:00Z")) == z("2026-03-29T02:00:07Z")


def test_interval_without_start_at_is_anchored_at_the_unix_epoch():
    timing = Timing(kind="interval", interval_seconds=600)
    assert timing.next_after(z("2026-03-29T10:03:00Z")) == z("2026-03-29T10:10Z")
    assert timing.next_after(z("2026-03-29T10:10Z")) == z("2026-03-29T10:20Z")


def test_interval_first_fire_is_start_at_when_it_lies_ahead():
    timing = Timing(kind="interval", interval_seconds=86400, start_at=z("2026-05-01T06:00Z"))
    assert timing.next_after(z("2026-01-01T00:00Z")) == z("2026-05-01T06:00Z")


@pytest.mark.parametrize("seconds", [0, -5, 366 * 86400 + 1, 1.5, True, None, "60"])
def test_interval_seconds_out_of_range_is_rejected(seconds):
    with pytest.raises(ScheduleError) as info:
        Timing(kind="interval", interval_seconds=seconds).validate()
    assert info.value.field == "interval_seconds"


def test_interval_seconds_accepts_one_second_to_366_days():
    Timing(kind="interval", interval_seconds=1).validate()
    Timing(kind="interval", interval_seconds=366 * 86400).validate()


def test_daily_wall_time_uses_the_fixed_time_rule_across_dst():
    timing = Timing(kind="daily", timezone="Europe/Berlin", time_of_day=time(2, 30))
    assert timing.preview(z("2026-03-27T12:00Z"), 3) == [
        z("2026-03-28T01:30Z"),
        z("2026-03-29T01:00Z"),
        z("2026-03-30T00:30Z"),
    ]
    assert timing.preview(z("2026-10-24T12:00Z"), 2) == [z("2026-10-25T00:30Z"), z("2026-10-26T01:30Z")]
    assert timing.next_after(z("2026-10-25T01:10Z")) == z("2026-10-26T01:30Z")  # from the second pass


def test_daily_starts_on_start_at_date_and_never_fires_before_start_at():
    timing = Timing(kind="daily", time_of_day=time(9, 0), start_at=z("2026-03-10T00:00Z"))
    assert timing.next_after(z("2026-03-01T00:00Z")) == z("2026-03-10T09:00Z")
    later = Timing(kind="daily", time_of_day=time(9, 0), start_at=z("2026-03-10T10:00Z"))
    assert later.next_after(z("2026-03-01T00:00Z")) == z("2026-03-11T09:00Z")


def test_daily_time_may_have_seconds():
    timing = Timing(kind="daily", timezone="Asia/Kolkata", time_of_day=time(6, 0, 30))
    assert timing.next_after(z("2026-01-01T00:00Z")) == z("2026-01-01T00:30:30Z")


def test_once_fires_at_run_at_only_if_it_is_after_the_reference():
    run_at = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    timing = Timing(kind="once", run_at=run_at)
    assert timing.next_after(z("2026-01-01T00:00Z")) == z("2026-06-01T10:00Z")
    assert timing.next_after(z("2026-06-01T10:00Z")) is None
    assert timing.preview(z("2026-01-01T00:00Z"), 5) == [z("2026-06-01T10:00Z")]
    assert (
        Timing(kind="once", run_at=run_at, end_at=z("2026-05-01T00:00Z")).next_after(z("2026-01-01T00:00Z"))
        is None
    )


def test_cron_fires_are_bounded_by_start_at_and_end_at_inclusive():
    timing = Timing(
        kind="cron", cron_expr="0 * * * *", start_at=z("2026-03-01T05:00Z"), end_at=z("2026-03-01T07:00Z")
    )
    assert timing.preview(z("2026-03-01T00:00Z"), 10) == [
        z("2026-03-01T05:00Z"),
        z("2026-03-01T06:00Z"),
        z("2026-03-01T07:00Z"),
    ]
    assert timing.next_after(z("2026-03-01T07:00Z")) is None


def test_cron_timing_evaluates_in_its_timezone():
    timing = Timing(kind="cron", cron_expr="30 2 * * *", timezone="Europe/Berlin")
    assert timing.preview(z("2026-03-28T12:00Z"), 2) == [z("2026-03-29T01:00Z"), z("2026-03-30T00:30Z")]


def test_preview_returns_the_requested_number_of_fires():
    timing = Timing(kind="cron", cron_expr="*/15 * * * *", timezone="America/New_York")
    assert timing.preview(z("2026-01-01T00:00Z"), 0) == []
    assert len(timing.preview(z("2026-01-01T00:00Z"), 1000)) == 1000
    assert timing.preview(z("2026-11-01T04:50Z"), 7) == fires(
        "*/15 * * * *", "America/New_York", "2026-11-01T04:50Z", 7
    )


@pytest.mark.parametrize("count", [-1, 1001, 2.0, True])
def test_preview_rejects_bad_counts(count):
    with pytest.raises(ValueError, match="count"):
        Timing(kind="interval", interval_seconds=60).preview(z("2026-01-01T00:00Z"), count)


def test_hourly_kind_follows_real_hours_like_a_wildcard_cron_job():
    timing = Timing(kind="hourly", minute=30, timezone="Australia/Lord_Howe")
    assert timing.preview(z("2026-04-04T13:45Z"), 3) == [
        z("2026-04-04T14:30Z"),
        z("2026-04-04T15:00Z"),
        z("2026-04-04T16:00Z"),
    ]


def test_weekly_kind_fires_on_listed_weekdays_with_the_fixed_time_rule():
    timing = Timing(kind="weekly", timezone="America/New_York", weekdays=[6], time_of_day=time(2, 30))
    assert timing.weekdays == (6,)
    assert timing.preview(z("2026-03-01T12:00Z"), 2) == [z("2026-03-08T07:00Z"), z("2026-03-15T06:30Z")]
    workdays = Timing(kind="weekly", weekdays=(0, 4), time_of_day=time(8, 0))
    assert workdays.preview(z("2026-01-01T00:00Z"), 3) == [
        z("2026-01-02T08:00Z"),
        z("2026-01-05T08:00Z"),
        z("2026-01-09T08:00Z"),
    ]


def test_monthly_kind_clamps_a_missing_day_to_the_last_day_of_the_month():
    timing = Timing(kind="monthly", day_of_month=31, time_of_day=time(9, 0))
    assert timing.preview(z("2026-01-31T10:00Z"), 3) == [
        z("2026-02-28T09:00Z"),
        z("2026-03-31T09:00Z"),
        z("2026-04-30T09:00Z"),
    ]
    assert Timing(kind="monthly", day_of_month=30, time_of_day=time(0, 0)).next_after(
        z("2028-02-01T00:00Z")
    ) == z("2028-02-29T00:00Z")


@pytest.mark.parametrize(
    ("timing", "field"),
    [
        (Timing(kind="bogus"), "kind"),
        (Timing(kind="interval", interval_seconds=60, timezone="Mars/Base"), "timezone"),
        (Timing(kind="cron", cron_expr="* 24 * * *"), "cron_expr"),
        (Timing(kind="cron"), "cron_expr"),
        (Timing(kind="daily"), "time_of_day"),
        (Timing(kind="daily", time_of_day=time(9, 0, tzinfo=UTC)), "time_of_day"),
        (Timing(kind="daily", time_of_day=time(9, 0, 0, 5)), "time_of_day"),
        (Timing(kind="once"), "run_at"),
        (Timing(kind="once", run_at=datetime(2026, 1, 1)), "run_at"),
        (Timing(kind="interval", interval_seconds=60, start_at=datetime(2026, 1, 1)), "start_at"),
        (
            Timing(
                kind="interval",
                interval_seconds=60,
                start_at=z("2026-02-01T00:00Z"),
                end_at=z("2026-01-01T00:00Z"),
            ),
            "end_at",
        ),
        (Timing(kind="hourly", minute=60), "minute"),
        (Timing(kind="hourly"), "minute"),
        (Timing(kind="weekly", time_of_day=time(9, 0)), "weekdays"),
        (Timing(kind="weekly", weekdays=(7,), time_of_day=time(9, 0)), "weekdays"),
        (Timing(kind="weekly", weekdays=(1,)), "time_of_day"),
        (Timing(kind="monthly", day_of_month=0, time_of_day=time(9, 0)), "day_of_month"),
        (Timing(kind="monthly", day_of_month=32, time_of_day=time(9, 0)), "day_of_month"),
    ],
)
def test_timing_validation_names_the_bad_field(timing, field):
    with pytest.raises(ScheduleError) as info:
        timing.validate()
    assert info.value.field == field
    with pytest.raises(ScheduleError):
        timing.next_after(z("2026-01-01T00:00Z"))


def test_kinds_live_in_a_registry_that_can_grow():
    assert {"cron", "interval", "daily", "once", "hourly", "weekly", "monthly"} <= set(cron.KINDS)


# ----------------------------------------------------------------------------- properties

# (zone, a 2026 transition instant) pairs to search around; see the module docstring.
NEAR = [(zone, instant) for zone, instant, _, _ in TRANSITIONS] + [
    ("UTC", "2026-06-01T00:00Z"),
    ("Asia/Kolkata", "2026-06-01T00:00Z"),
]


def _field(lo: int, hi: int) -> st.SearchStrategy[str]:
    value = st.integers(lo, hi)
    pair = st.tuples(value, value).map(sorted)
    return st.one_of(
        st.just("*"),
        st.integers(1, 30).map(lambda step: f"*/{min(step, hi)}"),
        value.map(str),
        st.lists(value, min_size=2, max_size=4, unique=True).map(lambda xs: ",".join(map(str, sorted(xs)))),
        pair.map(lambda ab: f"{ab[0]}-{ab[1]}"),
        st.tuples(pair, st.integers(1, 7)).map(lambda p: f"{p[0][0]}-{p[0][1]}/{p[1]}"),
    )


EXPRESSIONS = st.tuples(
    _field(0, 59),
    _field(0, 23),
    st.sampled_from(["*", "*", "*", "1-15", "L", "*/2"]),
    st.sampled_from(["*", "*", "*", "3,4,9,10", "JAN-JUN"]),
    st.sampled_from(["*", "*", "*", "MON-FRI", "SUN", "6,0", "5L", "SUN#1"]),
).map(" ".join)

REFERENCES = st.tuples(st.sampled_from(NEAR), st.integers(-36 * 60, 36 * 60)).map(
    lambda pick: (pick[0][0], z(pick[0][1]) + pick[1] * MINUTE)
)


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _is_wildcard(expr: str) -> bool:
    minute, hour = expr.split()[:2]
    return minute.startswith("*") or hour.startswith("*")


def _matches(expr: str, wall: datetime) -> bool:
    return next(CronSim(expr, wall - timedelta(seconds=1))) == wall


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=EXPRESSIONS, reference=REFERENCES)
def test_fires_are_strictly_increasing_and_each_matches_the_expression_in_the_zone(expr, reference):
    zone, after = reference
    tz, previous = ZoneInfo(zone), after
    for fire in islice(iter_fires(expr, zone, after), 40):
        assert fire > previous
        assert fire.tzinfo is UTC
        wall = _wall(fire, tz)
        if not _matches(expr, wall):
            # Only a fixed-time job may fire off-pattern: at the end of a gap holding a matching time.
            just_before = _wall(fire - timedelta(seconds=1), tz)
            assert not _is_wildcard(expr)
            assert wall - just_before > timedelta(seconds=1), "not the end of a gap"
            assert next(CronSim(expr, just_before)) < wall, "no matching time in the gap"
        previous = fire


def _oracle(expr: str, tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Fires in (start, end] found by walking every real minute, straight from the DST rules."""
    lookback = [start - k * MINUTE for k in range(181)]  # covers a fold of up to 3 hours
    instants = [start + k * MINUTE for k in range(1, (end - start) // MINUTE + 1)]
    walls = [_wall(t, tz) for t in lookback + instants]
    matches = list(
        takewhile(lambda wall: wall <= max(walls), CronSim(expr, min(walls) - timedelta(seconds=1)))
    )
    if _is_wildcard(expr):  # every real instant whose wall time matches
        hits = set(matches)
        return [t for t in instants if _wall(t, tz) in hits]
    highest, found = max(walls[: len(lookback)]), []
    for t in instants:  # fixed: the first instant whose wall time reaches a matching time
        wall = _wall(t, tz)
        if wall > highest:
            if bisect.bisect_right(matches, wall) > bisect.bisect_right(matches, highest):
                found.append(t)
            highest = wall
    return found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=EXPRESSIONS, reference=REFERENCES)
def test_fires_equal_a_minute_by_minute_walk_of_the_dst_rules(expr, reference):
    zone, start = reference
    end = start + timedelta(hours=30)
    tz = ZoneInfo(zone)
    got = list(takewhile(lambda fire: fire <= end, iter_fires(expr, zone, start)))
    assert got == _oracle(expr, tz, start, end)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789*/,-# LWJANMONFRIx@dailyhour", max_size=24) | st.text(max_size=24))
def test_arbitrary_text_is_either_rejected_with_schedule_error_or_usable(text):
    try:
        validate_cron(text)
    except ScheduleError as error:
        assert error.field == "cron_expr"
        return
    assert next_fire(text, "Europe/Berlin", z("2026-03-28T00:00Z")) > z("2026-03-28T00:00Z")


@settings(max_examples=60, deadline=None)
@given(
    reference=REFERENCES,
    at=st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59])),
    weekdays=st.sets(st.integers(0, 6), min_size=1),
    day=st.integers(1, 28),
)
def test_daily_weekly_monthly_agree_with_the_equivalent_fixed_time_cron(reference, at, weekdays, day):
    zone, after = reference
    hour, minute = at
    clock = time(hour, minute)
    cron_days = ",".join(str((d + 1) % 7) for d in sorted(weekdays))  # cron counts from Sunday
    pairs = [
        (Timing(kind="daily", timezone=zone, time_of_day=clock), f"{minute} {hour} * * *"),
        (
            Timing(kind="weekly", timezone=zone, time_of_day=clock, weekdays=tuple(weekdays)),
            f"{minute} {hour} * * {cron_days}",
        ),
        (
            Timing(kind="monthly", timezone=zone, time_of_day=clock, day_of_month=day),
            f"{minute} {hour} {day} * *",
        ),
    ]
    for timing, expr in pairs:
        assert timing.preview(after, 4) == list(islice(iter_fires(expr, zone, after), 4)), expr


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    interval=st.integers(1, 366 * 86400),
    offset=st.integers(-(10**9), 10**9),
)
def test_interval_fires_stay_on_the_grid_from_start_at(start, interval, offset):
    after = start + timedelta(seconds=offset, microseconds=offset % 1000)
    fire = Timing(kind="interval", interval_seconds=interval, start_at=start).next_after(after)
    assert fire is not None and fire > after and fire >= start
    assert (fire - start) % timedelta(seconds=interval) == timedelta(0)
    assert fire == start or fire - timedelta(seconds=interval) <= after


def test_bounds_outside_the_supported_years_are_rejected_naming_the_field():
    timing = Timing(kind="once", run_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC))
    with pytest.raises(ScheduleError) as error:
        timing.validate()
    assert error.value.field == "run_at"


def test_a_fire_past_the_end_of_the_calendar_exhausts_the_schedule_instead_of_crashing():
    assert Timing(kind="cron", cron_expr="0 0 1 1 *").next_after(datetime(9999, 6, 1, tzinfo=UTC)) is None
