"""Device and credential forms: Django fields for the page, then the API's schema and apply() for the
rules (so the UI validates, saves and audits exactly as the API does)."""

from __future__ import annotations

import json

from django import forms
from django.db import IntegrityError, transaction
from ninja.errors import HttpError
from pydantic import ValidationError

from netcron.api import credentials as api_credentials
from netcron.api import devices as api_devices
from netcron.inventory.models import PLATFORM_CHOICES, Credential, Device, Location, Tag
from netcron.ui.forms.errors import add_errors

DEVICE_ALIASES = {"location_id": "location", "credential_id": "credential"}
SECRET_LABELS = {
    "password": "Password", "enable_secret": "Enable secret", "private_key": "SSH private key",
    "snmp_community": "SNMP community", "snmp_auth_key": "SNMPv3 auth key", "snmp_priv_key": "SNMPv3 privacy key",
    "token": "API token",
}


class DeviceForm(forms.Form):
    name = forms.CharField(max_length=100)
    host = forms.CharField(max_length=255, help_text="IP address or DNS name used to connect")
    port = forms.IntegerField(min_value=1, max_value=65535, initial=22)
    platform = forms.ChoiceField(choices=PLATFORM_CHOICES)
    role = forms.CharField(max_length=50, required=False)
    location = forms.ModelChoiceField(Location.objects.all(), required=False, empty_label="— none —")
    tags = forms.ModelMultipleChoiceField(Tag.objects.all(), required=False, to_field_name="name",
                                          widget=forms.SelectMultiple(attrs={"size": 5}))
    credential = forms.ModelChoiceField(Credential.objects.all(), required=False, empty_label="— none —")
    serial = forms.CharField(max_length=100, required=False)
    description = forms.CharField(max_length=200, required=False)
    is_active = forms.BooleanField(required=False, initial=True, label="Active (jobs include it)")
    custom_fields = forms.CharField(required=False, label="Custom fields (JSON object)",
                                    widget=forms.Textarea(attrs={"rows": 3}), help_text='e.g. {"uplink": "Gi1/0/1"}')

    def __init__(self, *args, instance: Device | None = None, **kwargs):
        self.instance = instance or Device()
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{f: getattr(instance, f) for f in ("name", "host", "port", "platform", "role", "serial",
                                                     "description", "is_active")},
                "location": instance.location_id, "credential": instance.credential_id,
                "tags": [t.name for t in instance.tags.all()],
                "custom_fields": json.dumps(instance.custom_fields, indent=1) if instance.custom_fields else "",
            }
        super().__init__(*args, **kwargs)

    def clean_custom_fields(self) -> dict:
        raw = self.cleaned_data["custom_fields"].strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a JSON object, e.g. {\"key\": \"value\"}")
        return value

    def save(self) -> Device | None:
        """Validate with the API's DeviceIn and save through its apply(); None when there are errors."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        try:
            payload = api_devices.DeviceIn(
                **{f: data[f] for f in ("name", "host", "port", "platform", "role", "serial", "description",
                                        "is_active", "custom_fields")},
                location_id=data["location"].pk if data["location"] else None,
                credential_id=data["credential"].pk if data["credential"] else None,
                tags=[t.name for t in data["tags"]])
            with transaction.atomic():
                return api_devices.apply(self.instance, payload)
        except (HttpError, ValidationError) as exc:
            add_errors(self, exc, DEVICE_ALIASES)
        except IntegrityError:
            self.add_error("name", "a device with this name already exists")
        return None


class SecretInput(forms.PasswordInput):
    """Never renders a value back (PasswordInput's default), and says so to password managers."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "new-password", **(attrs or {})}, render_value=False)


class SecretTextarea(forms.Textarea):
    """A multi-line secret (SSH key): like SecretInput, the submitted value is never rendered back."""

    def format_value(self, value):
        return None


class CredentialForm(forms.Form):
    name = forms.CharField(max_length=100)
    username = forms.CharField(max_length=100, required=False)
    description = forms.CharField(max_length=200, required=False)
    host_key_policy = forms.ChoiceField(choices=Credential.HOST_KEY_POLICIES, initial="tofu",
                                        label="SSH host keys")
    snmp_version = forms.ChoiceField(choices=[("2c", "v2c"), ("3", "v3")], initial="2c", label="SNMP version")
    snmp_auth_protocol = forms.ChoiceField(required=False, label="SNMPv3 auth protocol", choices=[
        ("", "—")] + [(p, p) for p in ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")])
    snmp_priv_protocol = forms.ChoiceField(required=False, label="SNMPv3 privacy protocol", choices=[
        ("", "—")] + [(p, p) for p in ("DES", "3DES", "AES", "AES128", "AES192", "AES256")])

    def __init__(self, *args, instance: Credential | None = None, **kwargs):
        self.instance = instance or Credential()
        self.flags = instance.secret_flags() if instance is not None else {}
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(instance, f) for f in api_credentials.PLAIN_FIELDS}
        super().__init__(*args, **kwargs)
        for name in Credential.SECRET_FIELDS:
            stored = self.flags.get(f"has_{name}", False)
            widget = SecretTextarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}) \
                if name == "private_key" else SecretInput()
            self.fields[name] = forms.CharField(
                required=False, strip=False, label=SECRET_LABELS[name], widget=widget,
                help_text="Stored — leave empty to keep it" if stored else "Not set")
            if stored:
                self.fields[f"clear_{name}"] = forms.BooleanField(required=False,
                                                                  label=f"Remove the stored {SECRET_LABELS[name]}")

    def secret_fields(self):
        """(secret field, its remove checkbox or None) pairs, in the model's order."""
        return [(self[name], self[f"clear_{name}"] if f"clear_{name}" in self.fields else None)
                for name in Credential.SECRET_FIELDS]

    def secret_values(self) -> dict[str, str | None]:
        """The API's write-only convention: None keeps the stored secret, "" clears it, text replaces it."""
        values = {}
        for name in Credential.SECRET_FIELDS:
            given = self.cleaned_data.get(name) or ""
            values[name] = given if given else ("" if self.cleaned_data.get(f"clear_{name}") else None)
        return values

    def save(self, user) -> Credential | None:
        if not self.is_valid():
            return None
        if self.instance.pk is None:
            self.instance.owner = user
        try:
            payload = api_credentials.CredentialIn(
                **{f: self.cleaned_data[f] for f in api_credentials.PLAIN_FIELDS}, **self.secret_values())
            with transaction.atomic():
                return api_credentials.apply(self.instance, payload)
        except (HttpError, ValidationError) as exc:
            add_errors(self, exc)
        except IntegrityError:
            self.add_error("name", "a credential with this name already exists")
        return None
