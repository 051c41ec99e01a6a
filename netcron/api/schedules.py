from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, model_validator

from netcron.api.auth import JOBS_READ, JOBS_WRITE, require, user_of
from netcron.api.common import aware, checked_id, iso, paginate, split_values
from netcron.api.seed_compat import SeedScheduleFields, translate
from netcron.api.templates import credential_or_422, validated_params
from netcron.api.visibility import visible, writable
from netcron.jobs import dispatch
from netcron.jobs.choices import MisfirePolicy, OverlapPolicy, ScheduleKind, SolarEvent, TriggeredBy
from netcron.jobs.models import JobSchedule, JobTemplate
from netcron.lib.cron import Timing, describe_offset
from netcron.system.models import current as current_settings

router = Router(tags=["job schedules"])
MAX_PREVIEW = 100


class TimingIn(Schema):
    kind: ScheduleKind = ScheduleKind.CRON
    cron_expr: str = Field("", max_length=256)
    interval_seconds: int | None = Field(None, ge=1)
    time_of_day: time | None = Field(None, description="HH:MM for daily schedules, in the schedule's time zone")
    run_at: datetime | None = Field(None, description="For one-off schedules")
    minute: int | None = Field(None, description="hourly: minute of the hour (0-59)")
    weekdays: list[int] = Field(default_factory=list, description="weekly: 0=Monday ... 6=Sunday")
    day_of_month: int | None = Field(None, description="monthly: 1-31, clamped to the month's last day")
    solar_event: SolarEvent | None = Field(None, description="solar: the sun event that fires the schedule; a day "
                                                             "without it (polar day or night) has no fire")
    latitude: float | None = Field(None, ge=-90, le=90, description="solar: degrees, north positive")
    longitude: float | None = Field(None, ge=-180, le=180, description="solar: degrees, east positive")
    timezone: str = Field("UTC", max_length=64)
    start_at: datetime | None = None
    end_at: datetime | None = None

    def timing(self) -> Timing:
        timing = Timing(kind=self.kind, timezone=self.timezone, cron_expr=self.cron_expr,
                        interval_seconds=self.interval_seconds, time_of_day=self.time_of_day,
                        start_at=aware(self.start_at), end_at=aware(self.end_at), run_at=aware(self.run_at),
                        minute=self.minute, weekdays=tuple(self.weekdays), day_of_month=self.day_of_month,
                        solar_event=str(self.solar_event or ""), latitude=self.latitude, longitude=self.longitude)
        timing.validate()
        return timing


class ScheduleIn(TimingIn, SeedScheduleFields):
    """A schedule; the field names of the API netcron replaces are accepted too (see seed_compat)."""

    name: str = Field(min_length=1, max_length=100)
    template_id: int
    is_active: bool = True
    is_global: bool = True
    credential_id: int | None = None
    param_overrides: dict = Field(default_factory=dict)
    misfire_policy: MisfirePolicy = MisfirePolicy.RUN_ONCE
    misfire_grace_seconds: int = Field(300, ge=0, le=7 * 86400)
    overlap_policy: OverlapPolicy = OverlapPolicy.SKIP

    @model_validator(mode="before")
    @classmethod
    def _seed_names(cls, data):
        # Ninja hands validators its DjangoGetter wrapper; the request body is the dict inside.
        return translate(getattr(data, "_obj", data))


class PreviewIn(TimingIn):
    after: datetime | None = None
    count: int = Field(10, ge=1, le=MAX_PREVIEW)


class FireOut(Schema):
    at: str
    local: str


class ScheduleOut(Schema):
    id: int
    name: str
    template_id: int
    template: str
    job_type: str
    kind: str
    cron_expr: str
    interval_seconds: int | None
    time_of_day: str | None
    run_at: str | None
    minute: int | None
    weekdays: list[int]
    day_of_month: int | None
    solar_event: str | None
    latitude: float | None
    longitude: float | None
    timezone: str
    start_at: str | None
    end_at: str | None
    is_active: bool
    is_global: bool
    owner: str | None
    credential_id: int | None
    param_overrides: dict
    misfire_policy: str
    misfire_grace_seconds: int
    overlap_policy: str
    next_fire_at: str | None
    last_fire_at: str | None
    skipped_count: int
    is_system: bool


def schedule_out(schedule: JobSchedule) -> dict:
    return {
        "id": schedule.pk, "name": schedule.name, "template_id": schedule.template_id,
        "template": schedule.template.name, "job_type": schedule.template.job_type, "kind": schedule.kind,
        "cron_expr": schedule.cron_expr, "interval_seconds": schedule.interval_seconds,
        "time_of_day": schedule.time_of_day.strftime("%H:%M:%S") if schedule.time_of_day else None,
        "run_at": iso(schedule.run_at), "minute": schedule.minute, "weekdays": schedule.weekdays,
        "day_of_month": schedule.day_of_month, "solar_event": schedule.solar_event or None,
        "latitude": schedule.latitude, "longitude": schedule.longitude, "timezone": schedule.timezone,
        "start_at": iso(schedule.start_at), "end_at": iso(schedule.end_at), "is_active": schedule.is_active,
        "is_global": schedule.is_global,
        "owner": schedule.owner.username if schedule.owner else None, "credential_id": schedule.credential_id,
        "param_overrides": schedule.param_overrides, "misfire_policy": schedule.misfire_policy,
        "misfire_grace_seconds": schedule.misfire_grace_seconds, "overlap_policy": schedule.overlap_policy,
        "next_fire_at": iso(schedule.next_fire_at), "last_fire_at": iso(schedule.last_fire_at),
        "skipped_count": schedule.skipped_count, "is_system": schedule.is_system,
    }


def fires(timing: Timing, after: datetime, count: int) -> list[dict]:
    return [{"at": at.isoformat().replace("+00:00", "Z"), "local": describe_offset(at, timing.timezone)}
            for at in timing.preview(after, count)]


def apply(schedule: JobSchedule, payload: ScheduleIn, user) -> JobSchedule:
    """Validate and save a schedule for `user`; HttpError 422 naming the field otherwise."""
    timing = payload.timing()
    template = JobTemplate.objects.visible_to(user).filter(pk=payload.template_id).first()
    if template is None:
        raise HttpError(422, f"template_id: template {payload.template_id} does not exist")
    if payload.is_global and not template.is_global:
        raise HttpError(422, "is_global: a global schedule cannot run a private template")
    validated_params(template.job_type, {**template.params, **payload.param_overrides}, "param_overrides")
    schedule.template = template
    for field in ("name", "kind", "cron_expr", "interval_seconds", "time_of_day", "minute", "weekdays",
                  "day_of_month", "latitude", "longitude", "timezone", "is_active", "is_global", "param_overrides",
                  "misfire_policy", "misfire_grace_seconds", "overlap_policy"):
        setattr(schedule, field, getattr(payload, field))
    schedule.start_at, schedule.end_at, schedule.run_at = timing.start_at, timing.end_at, timing.run_at
    schedule.solar_event = timing.solar_event
    schedule.credential = credential_or_422(payload.credential_id)
    if schedule.owner_id is None:
        schedule.owner = user
    schedule.reset_next_fire()
    schedule.save()
    return schedule


def queryset():
    return JobSchedule.objects.select_related("template", "owner")


@router.post("/preview", summary="Next fire times of an unsaved schedule")
def preview_unsaved(request, payload: PreviewIn):
    require(request, JOBS_READ)
    timing = payload.timing()
    return {"timezone": timing.timezone, "fires": fires(timing, aware(payload.after) or timezone.now(), payload.count)}


@router.get("", summary="List schedules (your private ones and all global ones)")
def list_schedules(request, is_active: bool | None = None, template_id: int | None = None,
                   kind: str | None = None, page: int = 1, page_size: int = 100):
    require(request, JOBS_READ)
    qs = queryset().visible_to(user_of(request))
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    if template_id is not None:
        qs = qs.filter(template_id=checked_id("template_id", template_id))
    if values := split_values("kind", kind, list(ScheduleKind.values)):
        qs = qs.filter(kind__in=values)
    return paginate(qs, page, page_size, schedule_out)


@router.post("", response={201: ScheduleOut})
def create_schedule(request, payload: ScheduleIn):
    require(request, JOBS_WRITE)
    if "timezone" not in payload.model_fields_set:
        payload.timezone = current_settings().default_timezone
    return Status(201, schedule_out(apply(JobSchedule(), payload, user_of(request))))


@router.get("/{schedule_id}", response=ScheduleOut)
def get_schedule(request, schedule_id: int):
    return schedule_out(visible(request, queryset(), schedule_id, "schedule"))


@router.put("/{schedule_id}", response=ScheduleOut)
def update_schedule(request, schedule_id: int, payload: ScheduleIn):
    schedule = writable(request, queryset(), schedule_id, "schedule")
    return schedule_out(apply(schedule, payload, user_of(request)))


@router.delete("/{schedule_id}", response={204: None})
def delete_schedule(request, schedule_id: int):
    writable(request, queryset(), schedule_id, "schedule").delete()
    return Status(204, None)


@router.post("/{schedule_id}/execute", response={201: dict}, summary="Run the schedule's job now")
def execute_schedule(request, schedule_id: int):
    schedule = writable(request, queryset(), schedule_id, "schedule")
    run = dispatch.launch(schedule.template, TriggeredBy.MANUAL, user=user_of(request), schedule=schedule,
                          param_overrides=schedule.param_overrides, credential=schedule.credential)
    return Status(201, {"run_id": run.pk, "status": run.status, "queue": run.queue})


@router.post("/{schedule_id}/toggle", response=ScheduleOut, summary="Pause or resume a schedule")
def toggle_schedule(request, schedule_id: int):
    schedule = writable(request, queryset(), schedule_id, "schedule")
    if not schedule.set_active(not schedule.is_active):
        raise HttpError(409, "the schedule has no future fire time (one-off in the past or end_at passed)")
    return schedule_out(schedule)


@router.get("/{schedule_id}/preview", summary="Next fire times of a saved schedule")
def preview_schedule(request, schedule_id: int, count: int = 10, after: datetime | None = None):
    schedule = visible(request, queryset(), schedule_id, "schedule")
    if not 1 <= count <= MAX_PREVIEW:
        raise HttpError(422, f"count: must be between 1 and {MAX_PREVIEW}")
    return {"timezone": schedule.timezone,
            "fires": fires(schedule.timing(), aware(after) or timezone.now(), count)}
