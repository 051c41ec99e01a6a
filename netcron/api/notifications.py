"""Notification rules: who hears about a template's or schedule's runs, and how.

A rule is visible with its template or schedule (private ones only to their owner) and changed with
jobs:write by whoever may change that template or schedule. Rules for every run: superusers only.
"""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from netcron.api.auth import JOBS_READ, JOBS_WRITE, require, require_owner_or_global, user_of
from netcron.api.common import checked_id, get_or_404, iso, paginate
from netcron.api.templates import credential_or_422
from netcron.jobs.models import JobSchedule, JobTemplate
from netcron.lib.webhook import WebhookUrlError
from netcron.notifications.destinations import checked_webhook_url
from netcron.notifications.models import EVENT_FIELDS, Channel, NotificationRule
from netcron.system.models import current

router = Router(tags=["notifications"])

EventName = Literal["failure", "success", "state_change"]


class RuleIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    template_id: int | None = None
    schedule_id: int | None = None
    events: list[EventName] = Field(min_length=1, description="failure, success and/or state_change")
    channel: Literal["email", "webhook"]
    target: str = Field("", max_length=2000,
                        description="Comma-separated addresses or an http(s) URL; empty: the system default")
    credential_id: int | None = Field(None, description="Webhook: the credential whose token secret signs the body")
    is_active: bool = True


class RuleOut(Schema):
    id: int
    name: str
    template_id: int | None
    template: str | None
    schedule_id: int | None
    schedule: str | None
    events: list[str]
    channel: str
    target: str
    credential_id: int | None
    is_active: bool
    owner: str | None
    created_at: str | None
    updated_at: str | None


def rule_out(rule: NotificationRule) -> dict:
    return {
        "id": rule.pk, "name": rule.name, "template_id": rule.template_id,
        "template": rule.template.name if rule.template else None, "schedule_id": rule.schedule_id,
        "schedule": rule.schedule.name if rule.schedule else None, "events": rule.events, "channel": rule.channel,
        "target": rule.target, "credential_id": rule.credential_id, "is_active": rule.is_active,
        "owner": rule.owner.username if rule.owner else None, "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
    }


def rules_for(request):
    require(request, JOBS_READ)
    return NotificationRule.objects.visible_to(user_of(request)).select_related("template", "schedule", "owner")


def _scope(request, payload: RuleIn) -> tuple[JobTemplate | None, JobSchedule | None]:
    """The template and schedule the rule is for, each visible and changeable by the user."""
    user = user_of(request)
    found = []
    for field, model, value in (("template_id", JobTemplate, payload.template_id),
                                ("schedule_id", JobSchedule, payload.schedule_id)):
        obj = None
        if value is not None:
            obj = model.objects.visible_to(user).filter(pk=checked_id(field, value)).first()
            if obj is None:
                raise HttpError(422, f"{field}: {model._meta.verbose_name} {value} does not exist")
            require_owner_or_global(request, obj)
        found.append(obj)
    template, schedule = found
    if template is None and schedule is None and not user.is_superuser:
        raise HttpError(422, "template_id: give a template or a schedule (rules for every run: superusers only)")
    if template is not None and schedule is not None and schedule.template_id != template.pk:
        raise HttpError(422, "schedule_id: the schedule runs another template")
    return template, schedule


def _checked_target(payload: RuleIn) -> str:
    target = payload.target.strip()
    if payload.channel == Channel.EMAIL:
        for address in [a.strip() for a in target.split(",") if a.strip()]:
            try:
                validate_email(address)
            except DjangoValidationError:
                raise HttpError(422, f"target: {address[:100]!r} is not an email address") from None
    elif target:
        try:
            checked_webhook_url(target)
        except WebhookUrlError as exc:
            raise HttpError(422, f"target: {exc}") from None
    return target


def apply(rule: NotificationRule, request, payload: RuleIn) -> NotificationRule:
    rule.template, rule.schedule = _scope(request, payload)
    rule.target = _checked_target(payload)
    rule.credential = credential_or_422(payload.credential_id)
    if rule.credential is not None and not rule.credential.get_secret("token"):
        raise HttpError(422, "credential_id: the credential has no token secret to sign webhooks with")
    if payload.channel == Channel.WEBHOOK and rule.credential is None and not current().notify_webhook_credential_id:
        raise HttpError(422, "credential_id: a webhook needs a credential with a token secret (none is set "
                             "as the default in the system settings)")
    rule.name, rule.channel, rule.is_active = payload.name, payload.channel, payload.is_active
    for event, field in EVENT_FIELDS.items():
        setattr(rule, field, event in payload.events)
    if rule.owner_id is None:
        rule.owner = user_of(request)
    rule.save()
    return rule


def writable_rule(request, rule_id: int) -> NotificationRule:
    require(request, JOBS_WRITE)
    rule = get_or_404(rules_for(request), rule_id, "notification rule")
    for obj in (rule.template, rule.schedule):
        if obj is not None:
            require_owner_or_global(request, obj)
    return rule


@router.get("", summary="List notification rules (of templates and schedules you can see)")
def list_rules(request, template_id: int | None = None, schedule_id: int | None = None, page: int = 1,
               page_size: int = 100):
    qs = rules_for(request)
    if template_id is not None:
        qs = qs.filter(template_id=checked_id("template_id", template_id))
    if schedule_id is not None:
        qs = qs.filter(schedule_id=checked_id("schedule_id", schedule_id))
    return paginate(qs, page, page_size, rule_out)


@router.post("", response={201: RuleOut})
def create_rule(request, payload: RuleIn):
    require(request, JOBS_WRITE)
    return Status(201, rule_out(apply(NotificationRule(), request, payload)))


@router.get("/{rule_id}", response=RuleOut)
def get_rule(request, rule_id: int):
    return rule_out(get_or_404(rules_for(request), rule_id, "notification rule"))


@router.put("/{rule_id}", response=RuleOut)
def update_rule(request, rule_id: int, payload: RuleIn):
    return rule_out(apply(writable_rule(request, rule_id), request, payload))


@router.delete("/{rule_id}", response={204: None})
def delete_rule(request, rule_id: int):
    writable_rule(request, rule_id).delete()
    return Status(204, None)
