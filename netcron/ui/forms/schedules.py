"""The schedule form and the timing part it shares with the live preview."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.db import transaction
from ninja.errors import HttpError
from pydantic import ValidationError

from netcron.api import schedules as api_schedules
from netcron.inventory.models import Credential
from netcron.jobs.choices import MisfirePolicy, OverlapPolicy, ScheduleKind, SolarEvent
from netcron.jobs.models import JobSchedule, JobTemplate
from netcron.lib.cron import ScheduleError, Timing, validate_timezone
from netcron.ui.forms.errors import add_errors
from netcron.ui.forms.templates import SCOPES

KIND_LABELS = {"cron": "Cron", "interval": "Interval", "hourly": "Hourly", "daily": "Daily", "weekly": "Weekly",
               "monthly": "Monthly", "once": "Once", "solar": "Solar"}
WEEKDAYS = [(str(i), name) for i, name in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])]
TIMED_KINDS = ("daily", "weekly", "monthly")
UNITS = [("1", "seconds"), ("60", "minutes"), ("3600", "hours"), ("86400", "days")]
MISFIRE_LABELS = {"skip": "Skip missed slots", "run_once": "Run once for all missed slots",
                  "run_all": "Run every missed slot"}
OVERLAP_LABELS = {"skip": "Skip if still running", "queue_one": "Queue one run", "allow": "Allow overlapping runs"}
ALIASES = {"interval_seconds": "interval_value", "template_id": "template", "is_global": "scope",
           "credential_id": "credential", "params": "param_overrides"}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def local_input(value: datetime | None, tz: str) -> str:
    """An aware datetime as a datetime-local value in the schedule's zone."""
    if value is None:
        return ""
    try:
        return value.astimezone(ZoneInfo(tz)).strftime(LOCAL_FORMAT)
    except (KeyError, ValueError):
        return value.strftime(LOCAL_FORMAT)


def split_interval(seconds: int | None) -> tuple[int | None, str]:
    for factor, _label in reversed(UNITS):
        if seconds and seconds % int(factor) == 0:
            return seconds // int(factor), factor
    return seconds, "1"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class TimingForm(forms.Form):
    """The fields that decide when a schedule fires; `timing` is set once valid."""

    kind = forms.ChoiceField(choices=[(k, KIND_LABELS[k]) for k in ScheduleKind.values], initial="cron",
                             widget=forms.RadioSelect)
    cron_expr = forms.CharField(max_length=256, required=False, label="Cron expression",
                                help_text="minute hour day-of-month month day-of-week, e.g. 30 2 * * *; or @daily",
                                widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off",
                                                              "placeholder": "*/5 * * * *"}))
    interval_value = forms.IntegerField(required=False, min_value=1, label="Every")
    interval_unit = forms.ChoiceField(choices=UNITS, required=False, initial="60", label="Unit")
    time_of_day = forms.TimeField(required=False, label="Time of day",
                                  widget=forms.TimeInput(attrs={"type": "time", "step": 1}, format="%H:%M:%S"))
    minute = forms.IntegerField(required=False, min_value=0, max_value=59, label="Minute of the hour")
    weekdays = forms.MultipleChoiceField(choices=WEEKDAYS, required=False, label="Weekdays",
                                         widget=forms.CheckboxSelectMultiple)
    day_of_month = forms.IntegerField(required=False, min_value=1, max_value=31, label="Day of the month",
                                      help_text="A day the month lacks (e.g. 31) runs on its last day")
    run_at = forms.CharField(required=False, label="Run at", widget=LocalDateTimeInput())
    solar_event = forms.ChoiceField(choices=SolarEvent.choices, required=False,
                                    initial="sunrise", label="Sun event",
                                    help_text="Fires at the instant of the event; a day without it has no fire")
    latitude = forms.FloatField(required=False, label="Latitude", help_text="Degrees, -90 to 90 (north positive)",
                                widget=forms.NumberInput(attrs={"step": "any", "placeholder": "52.52"}))
    longitude = forms.FloatField(required=False, label="Longitude", help_text="Degrees, -180 to 180 (east positive)",
                                 widget=forms.NumberInput(attrs={"step": "any", "placeholder": "13.40"}))
    timezone = forms.CharField(max_length=64, initial="UTC", label="Time zone",
                               widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off",
                                                             "spellcheck": "false"}),
                               help_text="IANA name, e.g. Europe/Berlin; times above are in this zone")
    start_at = forms.CharField(required=False, label="Not before", widget=LocalDateTimeInput())
    end_at = forms.CharField(required=False, label="Not after", widget=LocalDateTimeInput())

    timing: Timing | None = None

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        try:
            tz = validate_timezone(data.get("timezone") or "")
        except ScheduleError as exc:
            self.add_error("timezone", exc.message)
            return data
        for name in ("run_at", "start_at", "end_at"):
            data[name] = self._local(name, data.get(name), tz)
        if kind is None or self.errors:
            return data
        interval = None
        if kind == "interval" and data.get("interval_value"):
            interval = data["interval_value"] * int(data.get("interval_unit") or 1)
        self.timing = Timing(
            kind=kind, timezone=tz.key, cron_expr=data.get("cron_expr", "").strip() if kind == "cron" else "",
            interval_seconds=interval, time_of_day=data.get("time_of_day") if kind in TIMED_KINDS else None,
            run_at=data.get("run_at") if kind == "once" else None, start_at=data.get("start_at"),
            end_at=data.get("end_at"), minute=data.get("minute") if kind == "hourly" else None,
            weekdays=tuple(int(d) for d in data.get("weekdays") or ()) if kind == "weekly" else (),
            day_of_month=data.get("day_of_month") if kind == "monthly" else None,
            solar_event=(data.get("solar_event") or "") if kind == "solar" else "",
            latitude=data.get("latitude") if kind == "solar" else None,
            longitude=data.get("longitude") if kind == "solar" else None,
        )
        try:
            self.timing.validate()
        except ScheduleError as exc:
            self.timing = None
            add_errors(self, exc, ALIASES)
        return data

    def _local(self, name: str, raw: str | None, tz: ZoneInfo) -> datetime | None:
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.add_error(name, "enter a date and time like 2026-03-29T02:30")
            return None
        return value.replace(tzinfo=tz) if value.tzinfo is None else value


class ScheduleForm(TimingForm):
    name = forms.CharField(max_length=100)
    template = forms.ModelChoiceField(JobTemplate.objects.none(), empty_label=None)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    scope = forms.ChoiceField(choices=SCOPES, initial="global", widget=forms.RadioSelect)
    credential = forms.ModelChoiceField(Credential.objects.all(), required=False,
                                        empty_label="— the template's credential —", label="Credential override")
    param_overrides = forms.CharField(required=False, label="Parameter overrides (JSON object)",
                                      widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false",
                                                                   "placeholder": '{"seconds": 5}'}),
                                      help_text="Merged over the template's parameters; checked against its type")
    misfire_policy = forms.ChoiceField(choices=[(k, MISFIRE_LABELS[k]) for k in MisfirePolicy.values],
                                       initial="run_once", label="When slots were missed")
    misfire_grace_seconds = forms.IntegerField(min_value=0, max_value=7 * 86400, initial=300,
                                               label="Misfire grace (seconds)")
    overlap_policy = forms.ChoiceField(choices=[(k, OVERLAP_LABELS[k]) for k in OverlapPolicy.values],
                                       initial="skip", label="When the previous run is still running")

    field_order = ["name", "template", "kind"]

    def __init__(self, *args, user, instance: JobSchedule | None = None, **kwargs):
        self.instance = instance or JobSchedule()
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from(instance)
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["template"].queryset = JobTemplate.objects.visible_to(user).order_by("name")

    def clean_param_overrides(self) -> dict:
        raw = self.cleaned_data.get("param_overrides", "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") \
                from None
        if not isinstance(value, dict):
            raise forms.ValidationError('must be a JSON object, e.g. {"seconds": 5}')
        return value

    def payload(self) -> dict:
        data, timing = self.cleaned_data, self.timing
        return {
            "name": data["name"], "template_id": data["template"].pk, "kind": timing.kind,
            "cron_expr": timing.cron_expr, "interval_seconds": timing.interval_seconds,
            "time_of_day": timing.time_of_day, "run_at": timing.run_at, "timezone": timing.timezone,
            "minute": timing.minute, "weekdays": list(timing.weekdays), "day_of_month": timing.day_of_month,
            "solar_event": timing.solar_event or None, "latitude": timing.latitude, "longitude": timing.longitude,
            "start_at": timing.start_at, "end_at": timing.end_at, "is_active": data["is_active"],
            "is_global": data["scope"] == "global",
            "credential_id": data["credential"].pk if data["credential"] else None,
            "param_overrides": data["param_overrides"], "misfire_policy": data["misfire_policy"],
            "misfire_grace_seconds": data["misfire_grace_seconds"], "overlap_policy": data["overlap_policy"],
        }

    def save(self) -> JobSchedule | None:
        """Validate with the API's rules and save; None when there are errors."""
        if not self.is_valid() or self.timing is None:
            return None
        try:
            payload = api_schedules.ScheduleIn(**self.payload())
            with transaction.atomic():
                return api_schedules.apply(self.instance, payload, self.user)
        except (HttpError, ValidationError, ScheduleError) as exc:
            add_errors(self, exc, ALIASES)
        return None


def initial_from(schedule: JobSchedule) -> dict:
    value, unit = split_interval(schedule.interval_seconds)
    tz = schedule.timezone
    return {
        "name": schedule.name, "template": schedule.template_id, "kind": schedule.kind,
        "cron_expr": schedule.cron_expr, "interval_value": value, "interval_unit": unit,
        "time_of_day": schedule.time_of_day, "run_at": local_input(schedule.run_at, tz), "timezone": tz,
        "minute": schedule.minute, "weekdays": [str(d) for d in schedule.weekdays or []],
        "day_of_month": schedule.day_of_month, "solar_event": schedule.solar_event or "sunrise",
        "latitude": schedule.latitude, "longitude": schedule.longitude,
        "start_at": local_input(schedule.start_at, tz), "end_at": local_input(schedule.end_at, tz),
        "is_active": schedule.is_active, "scope": "global" if schedule.is_global else "private",
        "credential": schedule.credential_id,
        "param_overrides": json.dumps(schedule.param_overrides, indent=2) if schedule.param_overrides else "",
        "misfire_policy": schedule.misfire_policy, "misfire_grace_seconds": schedule.misfire_grace_seconds,
        "overlap_policy": schedule.overlap_policy,
    }
