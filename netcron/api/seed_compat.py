"""Accept the field names of the job-schedule API netcron replaces, so its clients can migrate unchanged.

Seed body: job_identifier, job_template_id, schedule_type (now | interval | hourly | daily | weekly |
monthly | custom | cron | time | once), cron_expression, interval_minutes, start_time ("HH:MM"),
start_date ("YYYY-MM-DD"), job_parameters — mapped onto netcron's own fields before validation.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from pydantic import BaseModel, Field

SEED_KINDS = {"custom": "cron", "cron": "cron", "interval": "interval", "hourly": "hourly", "daily": "daily",
              "time": "daily", "weekly": "weekly", "monthly": "monthly", "once": "once", "now": "once"}
RENAMED = {"job_identifier": "name", "job_template_id": "template_id", "cron_expression": "cron_expr",
           "job_parameters": "param_overrides"}


class SeedScheduleFields(BaseModel):
    """Documented aliases; each is translated to the netcron field named in its description."""

    job_identifier: str | None = Field(None, description="Alias of `name`")
    job_template_id: int | None = Field(None, description="Alias of `template_id`")
    schedule_type: str | None = Field(None, description="Alias of `kind`: " + ", ".join(sorted(SEED_KINDS)))
    cron_expression: str | None = Field(None, description="Alias of `cron_expr`")
    interval_minutes: int | None = Field(None, ge=1, description="Alias of `interval_seconds` / 60")
    start_time: str | None = Field(None, description="HH:MM: `time_of_day` (daily, weekly, monthly) or the "
                                                     "minute of hourly schedules")
    start_date: str | None = Field(None, description="YYYY-MM-DD: `start_at` (midnight in the time zone); also "
                                                     "the weekday of weekly and day of monthly schedules")
    job_parameters: dict | None = Field(None, description="Alias of `param_overrides`")


def translate(data):
    """Map seed-named keys onto netcron's; netcron's own keys win when both are given."""
    if not isinstance(data, dict) or not any(key in data for key in SeedScheduleFields.model_fields):
        return data
    data = dict(data)
    for seed, ours in RENAMED.items():
        value = data.pop(seed, None)
        if value is not None:
            data.setdefault(ours, value)
    seed_kind = data.pop("schedule_type", None)
    if seed_kind is not None:
        data.setdefault("kind", SEED_KINDS.get(str(seed_kind), str(seed_kind)))  # unknown: 422 on `kind`
    minutes = data.pop("interval_minutes", None)
    if minutes is not None:
        data.setdefault("interval_seconds", int(minutes) * 60 if str(minutes).isdigit() else minutes)
    start_time, start_date = data.pop("start_time", None), data.pop("start_date", None)
    kind = data.get("kind")
    if start_time is not None:
        parsed = _time(start_time)
        if kind == "hourly":
            data.setdefault("minute", parsed.minute if parsed else start_time)
        else:
            data.setdefault("time_of_day", start_time)
    if start_date is not None:
        day = _date(start_date)
        if day is None:
            data.setdefault("start_at", start_date)  # let validation name the field
        else:
            zone = _zone(data.get("timezone"))
            data.setdefault("start_at", datetime.combine(day, time(), tzinfo=zone).isoformat())
            if kind == "weekly":
                data.setdefault("weekdays", [day.weekday()])
            if kind == "monthly":
                data.setdefault("day_of_month", day.day)
    if seed_kind == "now":
        # A one-off a second from now: the next scheduler tick runs it (a past one-off never fires).
        data.setdefault("run_at", (timezone.now() + timedelta(seconds=1)).isoformat())
    return data


def _time(value) -> time | None:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        return None


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _zone(name) -> ZoneInfo:
    try:
        return ZoneInfo(str(name or "UTC"))
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
