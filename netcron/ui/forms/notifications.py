"""The notification rule form: page fields, then the API's RuleIn schema and apply() for every rule
(scope and ownership, email addresses, webhook URL and signing credential)."""

from __future__ import annotations

from types import SimpleNamespace

from django import forms
from django.db import transaction
from ninja.errors import HttpError
from pydantic import ValidationError

from netcron.api import notifications as api_notifications
from netcron.inventory.models import Credential
from netcron.jobs.models import JobSchedule, JobTemplate
from netcron.notifications.models import Channel, Event, NotificationRule
from netcron.ui.forms.errors import add_errors

ALIASES = {"template_id": "template", "schedule_id": "schedule", "credential_id": "credential"}


class RuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    template = forms.ModelChoiceField(JobTemplate.objects.none(), required=False, empty_label="— any —",
                                      help_text="Runs of this template (all its schedules and manual runs)")
    schedule = forms.ModelChoiceField(JobSchedule.objects.none(), required=False, empty_label="— any —",
                                      help_text="Only runs fired by this schedule")
    events = forms.MultipleChoiceField(choices=Event.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[Event.FAILURE], label="When")
    channel = forms.ChoiceField(choices=Channel.choices, widget=forms.RadioSelect, initial=Channel.EMAIL)
    target = forms.CharField(max_length=2000, required=False, label="Send to",
                             help_text="Email: comma-separated addresses. Webhook: an http(s) URL. "
                                       "Empty: the default from the system settings.")
    credential = forms.ModelChoiceField(Credential.objects.all(), required=False,
                                        empty_label="— the system default —", label="Signing credential",
                                        help_text="Webhook only: its API token secret signs the body (HMAC)")
    is_active = forms.BooleanField(required=False, initial=True, label="Enabled")

    def __init__(self, *args, user, instance: NotificationRule | None = None, **kwargs):
        self.user = user
        self.instance = instance or NotificationRule()
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": instance.name, "template": instance.template_id,
                                 "schedule": instance.schedule_id, "events": instance.events,
                                 "channel": instance.channel, "target": instance.target,
                                 "credential": instance.credential_id, "is_active": instance.is_active}
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = JobTemplate.objects.visible_to(user).order_by("name")
        self.fields["schedule"].queryset = (JobSchedule.objects.visible_to(user).select_related("template")
                                            .order_by("name"))
        self.fields["schedule"].label_from_instance = lambda s: f"{s.name} ({s.template.name})"
        if user.is_superuser:
            self.fields["template"].help_text += "; neither template nor schedule: every run"

    def save(self) -> NotificationRule | None:
        if not self.is_valid():
            return None
        data = self.cleaned_data
        try:
            payload = api_notifications.RuleIn(
                name=data["name"], events=data["events"], channel=data["channel"], target=data["target"],
                template_id=data["template"].pk if data["template"] else None,
                schedule_id=data["schedule"].pk if data["schedule"] else None,
                credential_id=data["credential"].pk if data["credential"] else None, is_active=data["is_active"])
            with transaction.atomic():
                # The API's rules read the acting user from request.auth.
                return api_notifications.apply(self.instance, SimpleNamespace(auth=self.user), payload)
        except (HttpError, ValidationError) as exc:
            add_errors(self, exc, ALIASES)
        return None
