import json

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from pydantic import ValidationError

from netcron.system import spec
from netcron.system.models import SystemSettings


class SystemSettingsForm(forms.ModelForm):
    """The stored values as JSON, checked by the same pydantic model as the API (errors name the setting)."""

    class Meta:
        model = SystemSettings
        fields = ["values"]
        help_texts = {"values": "Only the settings that differ from their default, e.g. {\"lease_seconds\": 90}. "
                                "Remove a key to return to its default."}

    def clean_values(self):
        values = self.cleaned_data["values"] or {}
        if not isinstance(values, dict):
            raise forms.ValidationError("a JSON object of setting names and values")
        try:
            checked = spec.build(values).model_dump(mode="json")
        except ValidationError as exc:
            raise forms.ValidationError([f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) \
                from None
        return {name: checked[name] for name in values}


@admin.register(SystemSettings)
class SystemSettingsAdmin(admin.ModelAdmin):
    form = SystemSettingsForm
    readonly_fields = ["effective_settings", "updated_at", "updated_by"]
    fields = ["values", "effective_settings", "updated_at", "updated_by"]

    @admin.display(description="In force")
    def effective_settings(self, obj):
        values = obj.effective().model_dump(mode="json")
        return format_html_join("", "<div><code>{}</code> = {}{}</div>", (
            (name, json.dumps(value), " (set)" if name in obj.values else "") for name, value in values.items()))

    def has_add_permission(self, request):
        return self._may_change(request) and not SystemSettings.objects.exists()

    def has_change_permission(self, request, obj=None):
        return self._may_change(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def _may_change(self, request) -> bool:
        return request.user.has_perm("system.change_settings") or request.user.has_perm("system.change_systemsettings")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
