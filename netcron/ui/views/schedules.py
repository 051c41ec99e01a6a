"""Schedules: list with next fires, create/edit with a live preview, toggle, delete, run now."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from netcron.jobs import dispatch
from netcron.jobs.choices import ScheduleKind, TriggeredBy
from netcron.jobs.models import JobSchedule
from netcron.lib.cron import Timing, describe_offset, dst_transition_between
from netcron.system.models import current as current_settings
from netcron.ui.forms.schedules import ScheduleForm, TimingForm
from netcron.ui.views.common import (
    JOBS_READ,
    JOBS_WRITE,
    can_write,
    delete_with_confirmation,
    needs,
    visible_or_404,
    writable_or_404,
)

PAGE_SIZE = 50
PREVIEW_COUNT = 10


def schedules_of(user):
    return JobSchedule.objects.visible_to(user).select_related("template", "owner")


def zone_names() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def preview_rows(timing: Timing, after: datetime, count: int = PREVIEW_COUNT) -> list[dict]:
    """The next fires with their wall time, flagging a DST change since the previous fire."""
    zone = ZoneInfo(timing.timezone)
    rows, previous = [], None
    for at in timing.preview(after, count):
        row = {"at": at, "local": describe_offset(at, zone), "dst": None}
        if previous is not None and dst_transition_between(previous, at, zone):
            row["dst"] = f"{previous.astimezone(zone).tzname()} → {at.astimezone(zone).tzname()}"
        rows.append(row)
        previous = at
    return rows


@needs(JOBS_READ)
def schedule_list(request):
    qs = schedules_of(request.user)
    q, kind, active = request.GET.get("q", "").strip(), request.GET.get("kind", ""), request.GET.get("active", "")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(template__name__icontains=q))
    if kind in ScheduleKind.values:
        qs = qs.filter(kind=kind)
    if active in ("yes", "no"):
        qs = qs.filter(is_active=active == "yes")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ui/schedules/list.html", {
        "page": page, "q": q, "kind": kind, "active": active, "kinds": ScheduleKind.values,
        "can_write": can_write(request.user),
    })


@needs(JOBS_READ)
def schedule_detail(request, pk: int):
    schedule = visible_or_404(schedules_of(request.user), request.user, pk)
    return render(request, "ui/schedules/detail.html", {
        "schedule": schedule, "fires": preview_rows(schedule.timing(), timezone.now()),
        "runs": schedule.runs.visible_to(request.user).select_related("requested_by")[:10],
        "can_write": can_write(request.user, schedule),
    })


def _form_page(request, form: ScheduleForm, schedule: JobSchedule | None = None):
    return render(request, "ui/schedules/form.html", {"form": form, "schedule": schedule, "zones": zone_names()},
                  status=422 if form.is_bound else 200)


@needs(JOBS_WRITE)
def schedule_new(request):
    initial = {"template": request.GET.get("template") or None, "timezone": current_settings().default_timezone}
    form = ScheduleForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and (schedule := form.save()):
        messages.success(request, f"Schedule “{schedule.name}” created.")
        return redirect("ui:schedule-detail", pk=schedule.pk)
    return _form_page(request, form)


@needs(JOBS_WRITE)
def schedule_edit(request, pk: int):
    schedule = writable_or_404(schedules_of(request.user), request.user, pk)
    form = ScheduleForm(request.POST or None, user=request.user, instance=schedule)
    if request.method == "POST" and (saved := form.save()):
        messages.success(request, f"Schedule “{saved.name}” saved.")
        return redirect("ui:schedule-detail", pk=saved.pk)
    return _form_page(request, form, schedule)


@needs(JOBS_READ)
def schedule_preview(request):
    """The next fire times of the timing fields in the query string (the editor asks as you type)."""
    form = TimingForm(request.GET)
    after = timezone.now()
    with contextlib.suppress(ValueError):  # a bad `after` previews from now
        after = datetime.fromisoformat(request.GET.get("after") or "x")
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    context = {"form": form, "fires": None}
    if form.is_valid() and form.timing is not None:
        context.update(fires=preview_rows(form.timing, after), zone=form.timing.timezone)
    return render(request, "ui/schedules/_preview.html", context)


@require_POST
@needs(JOBS_WRITE)
def schedule_toggle(request, pk: int):
    schedule = writable_or_404(schedules_of(request.user), request.user, pk)
    if not schedule.set_active(not schedule.is_active):
        messages.error(request, f"“{schedule.name}” has no future fire time (a past one-off, or end passed).")
    if request.headers.get("HX-Request"):
        schedule.refresh_from_db()
        return render(request, "ui/schedules/_row.html", {"s": schedule, "can_write": True})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("ui:schedule-detail", args=[schedule.pk])
    return redirect(target)


@needs(JOBS_WRITE)
def schedule_delete(request, pk: int):
    schedule = writable_or_404(schedules_of(request.user), request.user, pk)
    return delete_with_confirmation(
        request, schedule, kind="schedule", done_url="ui:schedule-list", kept="its runs are kept",
        cancel_url=reverse("ui:schedule-detail", args=[schedule.pk]), consequence="Past runs are kept.")


@require_POST
@needs(JOBS_WRITE)
def schedule_run(request, pk: int):
    schedule = writable_or_404(schedules_of(request.user), request.user, pk)
    try:
        run = dispatch.launch(schedule.template, TriggeredBy.MANUAL, user=request.user, schedule=schedule,
                              param_overrides=schedule.param_overrides, credential=schedule.credential)
    except ValidationError as exc:
        messages.error(request, f"Cannot run: the parameters are invalid ({exc.error_count()} error(s)).")
        return redirect("ui:schedule-detail", pk=schedule.pk)
    messages.success(request, f"Run #{run.pk} queued on {run.queue}.")
    return redirect("ui:run-detail", pk=run.pk)

