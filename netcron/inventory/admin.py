from django import forms
from django.contrib import admin

from netcron.inventory.models import Credential, Device, DeviceRuntimeStatus, Location, ReachabilityResult, Tag


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "description"]
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "color", "description"]
    search_fields = ["name"]


class CredentialForm(forms.ModelForm):
    """Secrets are write-only: the form never shows them; an empty field keeps the stored value."""

    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    enable_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    private_key = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="Write-only; leave empty to keep the stored key")
    snmp_community = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    snmp_auth_key = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    snmp_priv_key = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    token = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    clear_secrets = forms.BooleanField(required=False, help_text="Remove every stored secret")

    class Meta:
        model = Credential
        fields = ["name", "username", "description", "host_key_policy", "snmp_version", "snmp_auth_protocol",
                  "snmp_priv_protocol", "owner"]

    def save(self, commit=True):
        credential = super().save(commit=False)
        if self.cleaned_data.get("clear_secrets"):
            credential.secrets_sealed = ""
        credential.set_secrets(**{name: self.cleaned_data.get(name) or None for name in Credential.SECRET_FIELDS})
        if commit:
            credential.save()
        return credential


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    form = CredentialForm
    list_display = ["name", "username", "host_key_policy", "secrets_set"]
    search_fields = ["name", "username"]

    @admin.display(description="Secrets set")
    def secrets_set(self, obj: Credential) -> str:
        return ", ".join(k.removeprefix("has_") for k, v in obj.secret_flags().items() if v) or "—"


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "host", "port", "platform", "role", "location", "credential", "is_active"]
    list_filter = ["platform", "role", "location", "is_active", "tags"]
    search_fields = ["name", "host", "serial"]
    autocomplete_fields = ["location", "tags"]
    list_select_related = ["location", "credential"]


@admin.register(DeviceRuntimeStatus)
class DeviceRuntimeStatusAdmin(admin.ModelAdmin):
    list_display = ["device", "state", "since", "last_check_at", "last_latency_ms", "last_backup_at"]
    list_filter = ["state"]
    list_select_related = ["device"]


@admin.register(ReachabilityResult)
class ReachabilityResultAdmin(admin.ModelAdmin):
    list_display = ["device", "checked_at", "check_type", "state", "latency_avg_ms", "packet_loss", "error"]
    list_filter = ["check_type", "state"]
    list_select_related = ["device"]
    date_hierarchy = "checked_at"
