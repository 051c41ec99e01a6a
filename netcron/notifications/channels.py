"""Sending one delivery: email through Django's backend, webhooks as signed JSON (lib/webhook).

Both retry with exponential backoff and record attempts and the last error on the row. The webhook
key is read from the credential's token secret at send time; it is never stored elsewhere or logged.
"""

from __future__ import annotations

import logging
import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMessage

from netcron.lib.webhook import WebhookUrlError, post_json
from netcron.notifications.destinations import webhook_destinations
from netcron.notifications.models import Channel, DeliveryStatus, NotificationDelivery

logger = logging.getLogger(__name__)

BACKOFF_SECONDS = 1.0  # first pause between attempts; doubles each time
MAX_BACKOFF_SECONDS = 30.0


class DeliveryRefused(Exception):
    """The delivery cannot be attempted (no key, a refused address); not retried."""


def deliver(delivery_id: int) -> str:
    """Send one pending delivery; returns its final status ("skipped" when another worker has it)."""
    from netcron.system.models import current

    # Claim first: a redelivered task message must not send the same notification twice.
    claimed = NotificationDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING)
    if not claimed:
        return "skipped"
    delivery = NotificationDelivery.objects.select_related("credential").get(pk=delivery_id)
    defaults = current()
    try:
        if delivery.channel == Channel.EMAIL:
            ok, attempts, error = send_email(delivery, retries=defaults.notify_retries)
        else:
            ok, attempts, error = send_webhook(delivery, defaults)
    except DeliveryRefused as exc:
        ok, attempts, error = False, 0, str(exc)
    except Exception as exc:  # never leave a row in "sending" because of a bug
        logger.exception("notification %s crashed", delivery_id)
        ok, attempts, error = False, delivery.attempts, f"internal error: {type(exc).__name__}"
    delivery.finish(ok, attempts, error)
    if not ok:
        logger.warning("notification %s (%s to %s) failed after %s attempt(s): %s", delivery.pk, delivery.channel,
                       delivery.target[:100], attempts, error)
    return delivery.status


def _pause(attempt: int) -> float:
    return min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2 ** attempt)


def send_email(delivery: NotificationDelivery, retries: int) -> tuple[bool, int, str]:
    recipients = [a.strip() for a in delivery.target.split(",") if a.strip()]
    message = EmailMessage(delivery.subject, delivery.body, settings.DEFAULT_FROM_EMAIL, recipients)
    error = ""
    for attempt in range(retries + 1):
        try:
            message.send()
            return True, attempt + 1, ""
        except smtplib.SMTPRecipientsRefused as exc:
            return False, attempt + 1, f"recipients refused: {', '.join(exc.recipients)[:300]}"
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
        if attempt < retries:
            time.sleep(_pause(attempt))
    return False, retries + 1, error


def send_webhook(delivery: NotificationDelivery, defaults) -> tuple[bool, int, str]:
    key = delivery.credential.get_secret("token") if delivery.credential else ""
    if not key:
        raise DeliveryRefused("the webhook needs a credential with a token secret to sign the body")
    try:
        result = post_json(delivery.target, delivery.payload, key, timeout=defaults.webhook_timeout_seconds,
                           retries=defaults.notify_retries, backoff=BACKOFF_SECONDS, max_backoff=MAX_BACKOFF_SECONDS,
                           extra_headers={"X-Netcron-Event": str(delivery.payload.get("event", "")),
                                          "X-Netcron-Delivery": str(delivery.pk)},
                           destinations=webhook_destinations())
    except WebhookUrlError as exc:
        raise DeliveryRefused(f"webhook URL: {exc}") from None
    return result.ok, result.attempts, result.error
