"""The system settings page: everyone with jobs:read sees them, system:change_settings changes them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from pydantic import ValidationError

from netcron.system import spec
from netcron.system.models import SystemSettings
from netcron.ui.forms.params import ParamsForm
from netcron.ui.views.common import login_only

CHANGE_SETTINGS = "system.change_settings"


class SettingsSchema:
    """Lets the generated parameter form (ui/forms/params.py) edit the settings model."""

    label = "this installation"
    description = ("Defaults for runs, history retention, the engine's timings and notifications. "
                   "Changes apply within a few seconds in every process, without a restart. "
                   "A value equal to its default follows the default (e.g. NETCRON_LEASE_SECONDS).")

    def params_schema(self) -> dict:
        return spec.SettingsSpec.model_json_schema()

    def validate_params(self, raw: dict) -> spec.SettingsSpec:
        return spec.build(raw)


@login_only
def settings_page(request):
    user = request.user
    may_change = user.has_perm(CHANGE_SETTINGS)
    if not (may_change or user.has_perm("jobs.read")):
        raise PermissionDenied("permission jobs:read required")
    row = SystemSettings.load()
    effective = row.effective().model_dump(mode="json")
    form = None
    if may_change:
        form = ParamsForm(SettingsSchema(), initial=effective, data=request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            defaults = spec.defaults()
            changes = {name: None if value == defaults[name] else value for name, value in form.cleaned.items()}
            try:
                row.change(changes, user=user)
            except ValidationError as exc:
                form.add_errors(exc.errors())
            else:
                messages.success(request, "Settings saved.")
                return redirect("ui:settings")
    elif request.method == "POST":
        raise PermissionDenied("permission system:change_settings required")
    schema = spec.SettingsSpec.model_json_schema()["properties"]
    rows = [{"name": name, "value": value, "set": name in row.values, "help": schema[name].get("description", "")}
            for name, value in effective.items()]
    return render(request, "ui/settings/page.html", {
        "params_form": form, "rows": rows, "may_change": may_change, "row": row,
    }, status=422 if form is not None and form.has_errors else 200)
