"""The run list filters: all in the query string, so a filtered view is a link you can share."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django import forms

from netcron.executors import job_types
from netcron.jobs.choices import RunStatus, TriggeredBy

MAX_ID = 2**63 - 1


class RunFilterForm(forms.Form):
    status = forms.MultipleChoiceField(choices=[(s, s) for s in RunStatus.values], required=False,
                                       widget=forms.CheckboxSelectMultiple)
    job_type = forms.ChoiceField(required=False, label="Type")
    triggered_by = forms.ChoiceField(choices=[("", "any")] + [(t, t) for t in TriggeredBy.values], required=False,
                                     label="Trigger")
    template = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    schedule = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    since = forms.DateField(required=False, label="From (UTC)", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To (UTC)", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, template_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job_type"].choices = [("", "any")] + [(t, t) for t in sorted(job_types())]
        if template_choices:
            self.fields["template"] = forms.TypedChoiceField(
                choices=[("", "any")] + [(str(pk), name) for pk, name in template_choices], coerce=int,
                empty_value=None, required=False, label="Template")

    def apply(self, queryset):
        """Filter by the valid fields; an invalid one is reported by the form and ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("status"):
            queryset = queryset.filter(status__in=data["status"])
        for name, lookup in (("job_type", "job_type"), ("triggered_by", "triggered_by"), ("template", "template_id"),
                             ("schedule", "schedule_id")):
            if data.get(name):
                queryset = queryset.filter(**{lookup: data[name]})
        if data.get("since"):
            queryset = queryset.filter(queued_at__gte=datetime.combine(data["since"], time(), UTC))
        if data.get("until"):
            queryset = queryset.filter(queued_at__lt=datetime.combine(data["until"], time(), UTC) + timedelta(days=1))
        return queryset

    @property
    def active(self) -> bool:
        return any(v for v in getattr(self, "cleaned_data", {}).values())
