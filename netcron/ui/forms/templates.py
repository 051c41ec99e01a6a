"""The job template form: plain fields as Django fields, parameters generated from the type's schema."""

from __future__ import annotations

from django import forms
from django.db import IntegrityError, transaction
from ninja.errors import HttpError
from pydantic import ValidationError

from netcron.api import templates as api_templates
from netcron.conf import ALL_QUEUES
from netcron.executors import job_types
from netcron.inventory.models import PLATFORM_CHOICES, Credential, Device, Location, Tag
from netcron.jobs.models import JobTemplate
from netcron.ui.forms.errors import add_errors
from netcron.ui.forms.params import ParamsForm

SCOPES = [("global", "Global — everyone with jobs:read sees it"), ("private", "Private — only you")]
TARGET_FIELDS = ("devices", "tags", "locations", "roles", "platforms")
ALIASES = {"targets": "target_all", "is_global": "scope", "credential_id": "credential"}


def job_type_choices() -> list[tuple[str, str]]:
    return [(t.name, f"{t.label} ({t.name})" + (" — system" if t.system else ""))
            for t in sorted(job_types().values(), key=lambda t: (t.system, t.label))]


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    job_type = forms.ChoiceField()
    scope = forms.ChoiceField(choices=SCOPES, initial="global", widget=forms.RadioSelect)
    credential = forms.ModelChoiceField(Credential.objects.all(), required=False,
                                        empty_label="— each device's own credential —",
                                        help_text="Overrides the devices' credentials for this job")
    queue = forms.ChoiceField(required=False, help_text="Empty: the job type's queue")
    timeout_seconds = forms.IntegerField(min_value=1, max_value=7 * 86400, initial=3600, label="Timeout (seconds)")
    max_retries = forms.IntegerField(min_value=0, max_value=10, initial=0, label="Retries of a failed run")
    max_concurrent_runs = forms.IntegerField(min_value=0, max_value=1000, initial=0,
                                             label="Concurrent runs", help_text="0 means no limit")
    target_all = forms.BooleanField(required=False, label="All active devices")
    target_devices = forms.MultipleChoiceField(required=False, label="Devices")
    target_tags = forms.MultipleChoiceField(required=False, label="Tags")
    target_locations = forms.MultipleChoiceField(required=False, label="Locations")
    target_roles = forms.MultipleChoiceField(required=False, label="Roles")
    target_platforms = forms.MultipleChoiceField(required=False, label="Platforms", choices=PLATFORM_CHOICES)

    def __init__(self, *args, instance: JobTemplate | None = None, **kwargs):
        self.instance = instance or JobTemplate()
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from(instance)
        super().__init__(*args, **kwargs)
        self.fields["job_type"].choices = job_type_choices()
        self.fields["queue"].choices = [("", "— the type's queue —")] + [(q, q) for q in ALL_QUEUES]
        self.fields["target_devices"].choices = [(str(pk), name) for pk, name in
                                                 Device.objects.order_by("name").values_list("pk", "name")]
        self.fields["target_tags"].choices = [(n, n) for n in Tag.objects.values_list("name", flat=True)]
        self.fields["target_locations"].choices = [(n, n) for n in Location.objects.values_list("name", flat=True)]
        roles = Device.objects.exclude(role="").order_by("role").values_list("role", flat=True).distinct()
        self.fields["target_roles"].choices = [(r, r) for r in roles]
        for name in TARGET_FIELDS:
            self.fields[f"target_{name}"].widget.attrs["size"] = 6
        self.params_form = ParamsForm(job_types()[self.selected_job_type()],
                                      initial=self.instance.params if self.instance.pk else None,
                                      data=self.data if self.is_bound else None)

    def selected_job_type(self) -> str:
        wanted = (self.data.get("job_type") if self.is_bound else None) or self.initial.get("job_type")
        return wanted if wanted in job_types() else "noop" if "noop" in job_types() else next(iter(job_types()))

    def payload(self) -> dict:
        data = self.cleaned_data
        targets = {"all": data["target_all"], **{k: data[f"target_{k}"] for k in TARGET_FIELDS}}
        return {
            "name": data["name"], "description": data["description"], "job_type": data["job_type"],
            "params": self.params_form.cleaned, "targets": targets, "is_global": data["scope"] == "global",
            "credential_id": data["credential"].pk if data["credential"] else None, "queue": data["queue"],
            "timeout_seconds": data["timeout_seconds"], "max_retries": data["max_retries"],
            "max_concurrent_runs": data["max_concurrent_runs"],
        }

    def save(self, user) -> JobTemplate | None:
        """Validate (form, params, then the API's own rules) and save; None when there are errors."""
        params_ok = self.params_form.is_valid()
        if not self.is_valid() or not params_ok:
            return None
        try:
            payload = api_templates.TemplateIn(**self.payload())
            with transaction.atomic():
                return api_templates.apply(self.instance, payload, user)
        except (HttpError, ValidationError) as exc:
            add_errors(self, exc, ALIASES)
        except IntegrityError:
            self.add_error("name", "a template with this name already exists")
        return None


def initial_from(template: JobTemplate) -> dict:
    targets = template.targets or {}
    names = {str(v) for v in targets.get("devices", [])}
    device_ids = [str(pk) for pk, name in Device.objects.values_list("pk", "name")
                  if str(pk) in names or name in names] if names else []
    return {
        "name": template.name, "description": template.description, "job_type": template.job_type,
        "scope": "global" if template.is_global else "private", "credential": template.credential_id,
        "queue": template.queue, "timeout_seconds": template.timeout_seconds, "max_retries": template.max_retries,
        "max_concurrent_runs": template.max_concurrent_runs, "target_all": bool(targets.get("all")),
        "target_devices": device_ids, **{f"target_{k}": targets.get(k, []) for k in TARGET_FIELDS[1:]},
    }
