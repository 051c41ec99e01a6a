"""Job templates: list, detail, create/edit with a form generated from the type's schema, delete, run now."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from netcron.executors import job_types
from netcron.inventory.models import Device
from netcron.jobs import dispatch
from netcron.jobs.choices import TriggeredBy
from netcron.jobs.models import JobRun, JobTemplate
from netcron.jobs.targets import TARGET_KEYS, resolve_targets
from netcron.ui.forms.params import ParamsForm
from netcron.ui.forms.templates import TemplateForm
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


def with_last_run(queryset):
    last = JobRun.objects.filter(template=OuterRef("pk")).order_by("-id")
    return queryset.annotate(last_run_status=Subquery(last.values("status")[:1]),
                             last_run_id=Subquery(last.values("id")[:1]))


@needs(JOBS_READ)
def template_list(request):
    qs = with_last_run(JobTemplate.objects.visible_to(request.user).select_related("owner"))
    q, job_type, scope = request.GET.get("q", "").strip(), request.GET.get("job_type", ""), request.GET.get("scope")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if job_type in job_types():
        qs = qs.filter(job_type=job_type)
    if scope in ("global", "private"):
        qs = qs.filter(is_global=scope == "global")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ui/templates/list.html", {
        "page": page, "types": job_types(), "q": q, "job_type": job_type, "scope": scope,
        "can_write": can_write(request.user),
    })


@needs(JOBS_WRITE)
def template_new(request):
    form = TemplateForm(request.POST or None, initial={"job_type": request.GET.get("job_type", "")})
    if request.method == "POST" and (template := form.save(request.user)):
        messages.success(request, f"Template “{template.name}” created.")
        return redirect("ui:template-detail", pk=template.pk)
    return render(request, "ui/templates/form.html", {"form": form}, status=422 if form.is_bound else 200)


@needs(JOBS_WRITE)
def template_edit(request, pk: int):
    template = writable_or_404(JobTemplate.objects.all(), request.user, pk)
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and (saved := form.save(request.user)):
        messages.success(request, f"Template “{saved.name}” saved.")
        return redirect("ui:template-detail", pk=saved.pk)
    return render(request, "ui/templates/form.html", {"form": form, "template": template},
                  status=422 if form.is_bound else 200)


@needs(JOBS_WRITE)
def template_params(request):
    """The parameter fields of a job type (htmx swaps them in when the type select changes)."""
    spec = job_types().get(request.GET.get("job_type", ""))
    if spec is None:
        return render(request, "ui/templates/_params.html", {"params_form": None})
    return render(request, "ui/templates/_params.html", {"params_form": ParamsForm(spec)})


@needs(JOBS_READ)
def template_detail(request, pk: int):
    template = visible_or_404(with_last_run(JobTemplate.objects.select_related("owner", "credential")),
                              request.user, pk)
    spec = job_types().get(template.job_type)
    params_form = ParamsForm(spec, initial=template.params) if spec else None
    return render(request, "ui/templates/detail.html", {
        "template": template, "spec": spec, "params_form": params_form,
        "targets": described_targets(template.targets),
        "target_count": resolve_targets(template.targets).count() if not spec or spec.uses_devices else None,
        "schedules": template.schedules.visible_to(request.user).order_by("name"),
        "runs": template.runs.visible_to(request.user).select_related("requested_by")[:10],
        "can_write": can_write(request.user, template),
    })


def described_targets(targets: dict) -> list[tuple[str, list[str]]]:
    """The target selection for display, with device ids shown as device names."""
    shown = []
    for key in TARGET_KEYS[1:]:
        values = [str(v) for v in targets.get(key) or []]
        if key == "devices" and values:
            names = dict(Device.objects.filter(pk__in=[int(v) for v in values if v.isdecimal() and len(v) < 19])
                         .values_list("pk", "name"))
            values = [names.get(int(v), f"#{v} (deleted)") if v.isdecimal() and len(v) < 19 else v for v in values]
        if values:
            shown.append((key, values))
    return shown


@needs(JOBS_WRITE)
def template_delete(request, pk: int):
    template = writable_or_404(JobTemplate.objects.all(), request.user, pk)
    return delete_with_confirmation(
        request, template, kind="template", done_url="ui:template-list", kept="its runs are kept",
        cancel_url=reverse("ui:template-detail", args=[template.pk]),
        consequence=f"Its {template.schedules.count()} schedule(s) are deleted too; past runs are kept.")


@require_POST
@needs(JOBS_WRITE)
def template_run(request, pk: int):
    template = writable_or_404(JobTemplate.objects.all(), request.user, pk)
    try:
        run = dispatch.launch(template, TriggeredBy.MANUAL, user=request.user)
    except ValidationError as exc:
        messages.error(request, f"Cannot run: the parameters are invalid ({exc.error_count()} error(s)); edit the "
                                "template first.")
        return redirect("ui:template-detail", pk=template.pk)
    messages.success(request, f"Run #{run.pk} queued on {run.queue}.")
    return redirect("ui:run-detail", pk=run.pk)

