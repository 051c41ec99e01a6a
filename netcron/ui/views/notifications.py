"""Notification rules: list with each rule's last delivery, create, edit (with its recent deliveries),
enable/disable, delete. Visibility and write rules are the API's: a rule goes with its template or schedule."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from netcron.jobs.models import JobRun
from netcron.notifications.models import NotificationDelivery, NotificationRule
from netcron.ui.forms.notifications import RuleForm
from netcron.ui.views.common import JOBS_READ, JOBS_WRITE, can_write, delete_with_confirmation, needs

RECENT_DELIVERIES = 25


def rules_of(user):
    last = NotificationDelivery.objects.filter(rule=OuterRef("pk")).order_by("-id")
    return (NotificationRule.objects.visible_to(user).select_related("template", "schedule", "owner", "credential")
            .annotate(last_status=Subquery(last.values("status")[:1]),
                      last_at=Subquery(last.values("created_at")[:1])))


def writable_rule(user, pk: int) -> NotificationRule:
    """As the API: jobs:write, the rule visible, and its template and schedule changeable by the user."""
    if not user.has_perm(JOBS_WRITE):
        raise PermissionDenied("permission jobs:write required")
    rule = rules_of(user).filter(pk=pk).first()
    if rule is None:
        raise Http404("not found")
    if not all(can_write(user, obj) for obj in (rule.template, rule.schedule) if obj is not None):
        raise PermissionDenied("only the owner can change a private object")
    return rule


def recent_deliveries(user, rules) -> tuple[list, set[int]]:
    """The newest deliveries of `rules` and which of their runs the user may open (two queries)."""
    deliveries = list(NotificationDelivery.objects.filter(rule__in=rules).select_related("rule")
                      .defer("body", "payload").order_by("-id")[:RECENT_DELIVERIES])
    run_ids = {d.run_id for d in deliveries if d.run_id}
    runs = set(JobRun.objects.visible_to(user).filter(pk__in=run_ids).values_list("pk", flat=True)) \
        if run_ids else set()
    return deliveries, runs


@needs(JOBS_READ)
def rule_list(request):
    rules = list(rules_of(request.user))
    deliveries, runs = recent_deliveries(request.user, NotificationRule.objects.visible_to(request.user))
    user = request.user
    return render(request, "ui/notifications/list.html", {
        "rules": [(r, can_write(user) and all(can_write(user, o) for o in (r.template, r.schedule) if o))
                  for r in rules],
        "deliveries": deliveries, "runs": runs, "can_write": can_write(user),
    })


def _form_page(request, form: RuleForm, rule: NotificationRule | None = None):
    context = {"form": form, "rule": rule}
    if rule is not None:
        context["deliveries"], context["runs"] = recent_deliveries(request.user, [rule])
    return render(request, "ui/notifications/form.html", context, status=422 if form.is_bound else 200)


@needs(JOBS_WRITE)
def rule_new(request):
    initial = {"template": request.GET.get("template") or None, "schedule": request.GET.get("schedule") or None}
    form = RuleForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and (rule := form.save()):
        messages.success(request, f"Notification rule “{rule.name}” created.")
        return redirect("ui:notification-list")
    return _form_page(request, form)


@needs(JOBS_WRITE)
def rule_edit(request, pk: int):
    rule = writable_rule(request.user, pk)
    form = RuleForm(request.POST or None, user=request.user, instance=rule)
    if request.method == "POST" and (saved := form.save()):
        messages.success(request, f"Notification rule “{saved.name}” saved.")
        return redirect("ui:notification-list")
    return _form_page(request, form, NotificationRule.objects.get(pk=rule.pk) if form.is_bound else rule)


@require_POST
@needs(JOBS_WRITE)
def rule_toggle(request, pk: int):
    rule = writable_rule(request.user, pk)
    rule.set_active(not rule.is_active)
    messages.success(request, f"Notification rule “{rule.name}” {'enabled' if rule.is_active else 'disabled'}.")
    return redirect("ui:notification-list")


@needs(JOBS_WRITE)
def rule_delete(request, pk: int):
    rule = writable_rule(request.user, pk)
    return delete_with_confirmation(
        request, rule, kind="notification rule", done_url="ui:notification-list", kept="its past deliveries are kept",
        cancel_url=reverse("ui:notification-list"),
        consequence="Nothing more is sent for it; past deliveries stay on their runs.")
