"""Devices: list with reachability (and last backup), detail with status, config history and recent job
results; create, edit and delete with the API's rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from netcron.inventory.models import PLATFORM_CHOICES, Device, DeviceRuntimeStatus, Location, Tag
from netcron.jobs.models import DeviceResult, JobRun
from netcron.ui.forms.inventory import DeviceForm
from netcron.ui.views import configs
from netcron.ui.views.common import INVENTORY_READ, INVENTORY_WRITE, JOBS_READ, delete_with_confirmation, needs

PAGE_SIZE = 100
STATES = [s for s, _ in DeviceRuntimeStatus.STATES]

# Extension point: panels shown on the device page after the status, in order. Each entry is
# (template name, function(request, device) -> context dict or None to hide the panel).
DEVICE_PANELS: list[tuple[str, object]] = [
    ("ui/configs/_panel.html", configs.config_panel),
    ("ui/devices/_commands_panel.html", configs.command_panel),
]


@needs(INVENTORY_READ)
def device_list(request):
    qs = Device.objects.select_related("location", "runtime_status").prefetch_related("tags")
    q = request.GET.get("q", "").strip()
    state, platform = request.GET.get("state", ""), request.GET.get("platform", "")
    location, tag = request.GET.get("location", ""), request.GET.get("tag", "")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(host__icontains=q) | Q(serial__icontains=q))
    if state == "unknown":
        qs = qs.filter(Q(runtime_status__isnull=True) | Q(runtime_status__state="unknown"))
    elif state in STATES:
        qs = qs.filter(runtime_status__state=state)
    if platform:
        qs = qs.filter(platform=platform)
    if location:
        qs = qs.filter(location__name=location)
    if tag:
        qs = qs.filter(tags__name=tag)
    page = Paginator(qs.order_by("name"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ui/devices/list.html", {
        "page": page, "q": q, "state": state, "platform": platform, "location": location, "tag": tag,
        "states": STATES, "platforms": PLATFORM_CHOICES,
        "locations": Location.objects.values_list("name", flat=True),
        "tags": Tag.objects.values_list("name", flat=True),
        "can_write": request.user.has_perm(INVENTORY_WRITE),
    })


@needs(INVENTORY_READ)
def device_detail(request, pk: int):
    device = get_object_or_404(Device.objects.select_related("location", "credential", "runtime_status")
                               .prefetch_related("tags"), pk=pk)
    results = None
    if request.user.has_perm(JOBS_READ):
        visible_runs = JobRun.objects.visible_to(request.user)
        results = (DeviceResult.objects.filter(device=device, run__in=visible_runs)
                   .select_related("run").defer("data", "run__params", "run__result", "run__target_device_ids")
                   .order_by("-run_id")[:25])
    reachability = device.reachability_results.order_by("-checked_at")[:10]
    panels = []
    for template_name, provider in DEVICE_PANELS:
        context = provider(request, device)
        if context is not None:
            panels.append((template_name, context))
    return render(request, "ui/devices/detail.html", {
        "device": device, "status": getattr(device, "runtime_status", None), "results": results,
        "reachability": reachability, "panels": panels, "can_write": request.user.has_perm(INVENTORY_WRITE),
    })


def _form_page(request, form: DeviceForm, device: Device | None = None):
    return render(request, "ui/devices/form.html", {"form": form, "device": device},
                  status=422 if form.is_bound else 200)


@needs(INVENTORY_WRITE)
def device_new(request):
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and (device := form.save()):
        messages.success(request, f"Device “{device.name}” created.")
        return redirect("ui:device-detail", pk=device.pk)
    return _form_page(request, form)


@needs(INVENTORY_WRITE)
def device_edit(request, pk: int):
    device = get_object_or_404(Device.objects.prefetch_related("tags"), pk=pk)
    form = DeviceForm(request.POST or None, instance=device)
    if request.method == "POST" and (saved := form.save()):
        messages.success(request, f"Device “{saved.name}” saved.")
        return redirect("ui:device-detail", pk=saved.pk)
    return _form_page(request, form, device)


@needs(INVENTORY_WRITE)
def device_delete(request, pk: int):
    device = get_object_or_404(Device, pk=pk)
    return delete_with_confirmation(
        request, device, kind="device", done_url="ui:device-list",
        kept="past run results and backed-up configs are kept",
        cancel_url=reverse("ui:device-detail", args=[device.pk]),
        consequence="Jobs stop targeting it. Past run results and its backed-up configs in git are kept.")
