"""Turning events into deliveries: matching rules, one row per message, published after commit.

The worker that ran the job only writes rows and publishes ids; sending happens in the
deliver_notification task on the default queue, so a slow mail server never holds a run.
"""

from __future__ import annotations

import logging

from django.db import transaction

from netcron.notifications import messages
from netcron.notifications.models import Channel, Event, NotificationDelivery, NotificationRule

logger = logging.getLogger(__name__)


def run_finished(run) -> list[NotificationDelivery]:
    """Queue the notifications a finished run's rules ask for; never raises (the run is already over)."""
    try:
        event = messages.run_event(run)
        if event is None:
            return []
        if event == Event.FAILURE and run.retries.filter(triggered_by="retry", status="pending").exists():
            return []  # an automatic retry is queued: its outcome is the one worth telling
        active = getattr(run, "notification_rules_active", None)  # the runner's final UPDATE may have looked
        if active is None:
            active = NotificationRule.any_active()
        if not active:
            return []
        rules = list(NotificationRule.objects.matching(event, run.template_id, run.schedule_id))
        if not rules:
            return []
        return queue(rules, event, messages.for_run(run, event), run=run)
    except Exception:
        logger.exception("could not queue notifications of run %s", getattr(run, "pk", "?"))
        return []


def notify_state_change(device, old: str, new: str, run=None) -> list[NotificationDelivery]:
    """Queue state-change notifications for `device` to the rules of `run`'s template or schedule
    (and the rules for everything). Never raises."""
    try:
        if not NotificationRule.any_active():
            return []
        rules = list(NotificationRule.objects.matching(
            Event.STATE_CHANGE, getattr(run, "template_id", None), getattr(run, "schedule_id", None)))
        if not rules:
            return []
        return queue(rules, Event.STATE_CHANGE, messages.for_state_change(device, old, new, run), run=run)
    except Exception:
        logger.exception("could not queue state-change notifications of device %s", getattr(device, "pk", "?"))
        return []


def queue(rules, event: str, message: messages.Message, run=None) -> list[NotificationDelivery]:
    from netcron.system.models import current

    defaults = current()
    deliveries = []
    for rule in rules:
        credential_id = None
        if rule.channel == Channel.EMAIL:
            target = ", ".join(rule.recipients(defaults))
        else:
            target, credential_id = rule.url(defaults), rule.credential_id_for_webhook(defaults)
        delivery = NotificationDelivery.objects.create(
            rule=rule, run=run, event=event, channel=rule.channel, target=target, credential_id=credential_id,
            subject=message.subject, body=message.body, payload=message.payload,
        )
        if not target:
            delivery.finish(False, 0, "no recipient: set the rule's target or the default in the system settings")
            continue
        deliveries.append(delivery)
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: publish(pk))
    return deliveries


def publish(delivery_id: int) -> bool:
    from netcron.notifications.tasks import deliver_notification

    try:
        deliver_notification.apply_async(args=[delivery_id], queue="default")
    except Exception as exc:  # broker down: the row stays pending, visible on the run
        logger.warning("could not publish notification %s: %s", delivery_id, exc)
        return False
    return True

