from __future__ import annotations

from django.db.models import OuterRef, Subquery
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from netcron.api.auth import JOBS_READ, JOBS_WRITE, require, user_of
from netcron.api.common import MAX_ID, iso, paginate, split_values
from netcron.api.visibility import visible, writable
from netcron.conf import ALL_QUEUES
from netcron.executors import job_types
from netcron.inventory.models import Credential
from netcron.jobs import dispatch
from netcron.jobs.choices import TriggeredBy
from netcron.jobs.models import JobRun, JobTemplate
from netcron.jobs.targets import TARGET_KEYS, resolve_targets

router = Router(tags=["job templates"])


class Targets(Schema):
    all: bool = False
    devices: list[str] = Field(default_factory=list, description="Device ids or names")
    tags: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)

    model_config = {"extra": "forbid"}

    @field_validator("devices", mode="before")
    @classmethod
    def ids_as_strings(cls, values):
        # Ids may be sent as numbers; they are stored as strings like names.
        if isinstance(values, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values]
        return values

    @field_validator("devices")
    @classmethod
    def usable_ids(cls, values: list[str]) -> list[str]:
        # resolve_targets treats str.isdigit() entries as ids: "²" or a 25-digit number would crash it.
        for value in values:
            if value.isdigit() and not (value.isdecimal() and int(value) <= MAX_ID):
                raise ValueError(f"{value!r} is not a usable device id")
        return values


class TemplateIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=500)
    job_type: str
    params: dict = Field(default_factory=dict)
    targets: Targets = Field(default_factory=Targets)
    is_global: bool = True
    credential_id: int | None = None
    queue: str = Field("", description="Empty: the job type's default queue")
    timeout_seconds: int = Field(3600, ge=1, le=7 * 86400)
    max_retries: int = Field(0, ge=0, le=10)
    max_concurrent_runs: int = Field(0, ge=0, le=1000)


class TemplateOut(Schema):
    id: int
    name: str
    description: str
    job_type: str
    params: dict
    targets: dict
    is_global: bool
    owner: str | None
    credential_id: int | None
    queue: str
    effective_queue: str
    timeout_seconds: int
    max_retries: int
    max_concurrent_runs: int
    last_run_status: str | None
    created_at: str | None
    updated_at: str | None


class JobTypeOut(Schema):
    name: str
    label: str
    description: str
    queue: str
    uses_devices: bool
    system: bool
    params_schema: dict


class RunNowIn(BaseModel):
    """A plain pydantic model, not a ninja Schema (which reads any object by attribute): every field is
    optional, so a typo ("params": {...}) or a body that is not an object must be an error rather than
    silently running the job with the template's own parameters."""

    model_config = ConfigDict(extra="forbid")

    param_overrides: dict = Field(default_factory=dict)
    credential_id: int | None = None


def template_out(template: JobTemplate) -> dict:
    return {
        "id": template.pk, "name": template.name, "description": template.description,
        "job_type": template.job_type, "params": template.params, "targets": template.targets,
        "is_global": template.is_global, "owner": template.owner.username if template.owner else None,
        "credential_id": template.credential_id, "queue": template.queue,
        "effective_queue": template.effective_queue(), "timeout_seconds": template.timeout_seconds,
        "max_retries": template.max_retries, "max_concurrent_runs": template.max_concurrent_runs,
        "last_run_status": getattr(template, "last_run_status", None),
        "created_at": iso(template.created_at), "updated_at": iso(template.updated_at),
    }


def validated_params(job_type: str, params: dict, field: str = "params") -> dict:
    """The params as the type's model accepts them, or a 422 whose loc names `field` and the parameter."""
    spec = job_types().get(job_type)
    if spec is None:
        raise HttpError(422, f"job_type: unknown job type {job_type!r}; known: {', '.join(sorted(job_types()))}")
    try:
        return spec.validate_params(params).model_dump(mode="json")
    except ValidationError as exc:
        errors = [{"loc": ["body", field, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        raise HttpError(422, errors) from None


def credential_or_422(credential_id: int | None, field: str = "credential_id") -> Credential | None:
    if credential_id is None:
        return None
    credential = Credential.objects.filter(pk=credential_id).first()
    if credential is None:
        raise HttpError(422, f"{field}: credential {credential_id} does not exist")
    return credential


def apply(template: JobTemplate, payload: TemplateIn, user) -> JobTemplate:
    if payload.queue and payload.queue not in ALL_QUEUES:
        raise HttpError(422, f"queue: unknown queue {payload.queue!r}; choose from {', '.join(ALL_QUEUES)}")
    template.params = validated_params(payload.job_type, payload.params)
    for field in ("name", "description", "job_type", "is_global", "queue", "timeout_seconds", "max_retries",
                  "max_concurrent_runs"):
        setattr(template, field, getattr(payload, field))
    template.targets = {k: v for k, v in payload.targets.model_dump().items() if v}
    template.credential = credential_or_422(payload.credential_id)
    if template.owner_id is None:
        template.owner = user
    if template.pk and not template.is_global and template.schedules.filter(is_global=True).exists():
        raise HttpError(422, "is_global: the template has global schedules; make them private first")
    if template.pk:  # a new job type or params must still accept the overrides of the template's schedules
        for schedule in template.schedules.exclude(param_overrides={}).only("name", "param_overrides"):
            try:
                job_types()[template.job_type].validate_params({**template.params, **schedule.param_overrides})
            except ValidationError:
                raise HttpError(422, f"params: the param_overrides of schedule {schedule.name!r} do not fit "
                                     f"job type {template.job_type!r}; change the schedule first") from None
    template.save()
    return template


def with_last_status(qs):
    last = JobRun.objects.filter(template=OuterRef("pk")).order_by("-id").values("status")[:1]
    return qs.annotate(last_run_status=Subquery(last))


@router.get("/types", response=list[JobTypeOut], summary="Job types with their parameter JSON schema and queue")
def list_types(request):
    require(request, JOBS_READ)
    return [
        {"name": t.name, "label": t.label, "description": t.description, "queue": t.queue,
         "uses_devices": t.uses_devices, "system": t.system, "params_schema": t.params_schema()}
        for t in job_types().values()
    ]


@router.get("", summary="List templates (your private ones and all global ones)")
def list_templates(request, job_type: str | None = None, q: str = "", page: int = 1, page_size: int = 100):
    require(request, JOBS_READ)
    qs = with_last_status(JobTemplate.objects.visible_to(user_of(request)).select_related("owner"))
    if values := split_values("job_type", job_type, sorted(job_types())):
        qs = qs.filter(job_type__in=values)
    if q:
        qs = qs.filter(name__icontains=q)
    return paginate(qs, page, page_size, template_out)


@router.post("", response={201: TemplateOut})
def create_template(request, payload: TemplateIn):
    require(request, JOBS_WRITE)
    template = apply(JobTemplate(), payload, user_of(request))
    return Status(201, template_out(template))


@router.get("/{template_id}", response=TemplateOut)
def get_template(request, template_id: int):
    return template_out(visible(request, with_last_status(JobTemplate.objects), template_id, "template"))


@router.put("/{template_id}", response=TemplateOut)
def update_template(request, template_id: int, payload: TemplateIn):
    template = writable(request, JobTemplate, template_id, "template")
    return template_out(apply(template, payload, user_of(request)))


@router.delete("/{template_id}", response={204: None})
def delete_template(request, template_id: int):
    template = writable(request, JobTemplate, template_id, "template")
    schedules = template.schedules.count()
    if schedules:
        raise HttpError(409, f"the template is used by {schedules} schedule(s); delete them first")
    template.delete()
    return Status(204, None)


@router.get("/{template_id}/targets", summary="Preview which devices the template's targets select now")
def preview_targets(request, template_id: int):
    template = visible(request, JobTemplate, template_id, "template")
    devices = list(resolve_targets(template.targets).values("id", "name", "host", "platform"))
    return {"count": len(devices), "devices": devices,
            "targets": {k: template.targets.get(k) for k in TARGET_KEYS if template.targets.get(k)}}


@router.post("/{template_id}/run", response={201: dict}, summary="Run the template now")
def run_template(request, template_id: int, payload: RunNowIn | None = None):
    template = writable(request, JobTemplate, template_id, "template")
    payload = payload or RunNowIn()
    validated_params(template.job_type, {**template.params, **payload.param_overrides}, "param_overrides")
    run = dispatch.launch(template, TriggeredBy.API, user=user_of(request),
                          param_overrides=payload.param_overrides,
                          credential=credential_or_422(payload.credential_id))
    return Status(201, {"run_id": run.pk, "status": run.status, "queue": run.queue})
