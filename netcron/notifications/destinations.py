"""Where webhooks may go: NETCRON_WEBHOOK_ALLOW_LOCAL (deployment) plus the webhook_deny_private setting.

Used by notification rules and reachability webhooks, on save (422) and on every delivery attempt.
"""

from __future__ import annotations

from django.conf import settings

from netcron.lib.webhook import Destinations, WebhookUrlError, check_destination


def webhook_destinations() -> Destinations:
    from netcron.system.models import current

    return Destinations(
        allow_local=settings.NETCRON_WEBHOOK_ALLOW_LOCAL,
        allow_private=not current().webhook_deny_private,
        local_hint="loopback and link-local destinations need NETCRON_WEBHOOK_ALLOW_LOCAL=true",
        private_hint="private addresses are denied in the system settings (webhook_deny_private)",
    )


def checked_webhook_url(url: str, resolve_names: bool = True) -> str:
    """The URL if it is usable and its destination allowed now; WebhookUrlError (with the reason) if not."""
    return check_destination(url, webhook_destinations(), resolve_names=resolve_names)


__all__ = ["WebhookUrlError", "checked_webhook_url", "webhook_destinations"]
