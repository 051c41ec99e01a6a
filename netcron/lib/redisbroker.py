"""kombu's Redis transport, with one fix: a worker survives Redis going away under an unacked task.

kombu 5.7.0: when the broker connection drops while a task is unacknowledged, closing the channel
restores the unacked messages, and the task's late ack arrives, through ``Channel._connparams()``, which
dereferences the transport's ``connection`` after it was dropped (None). The AttributeError is not a
connection error, so Celery reports "Unrecoverable error" and the worker process exits. Both need
Redis, which is gone at that moment: the messages stay in kombu's unacked hash and come back after the
visibility timeout (a redelivered finished run is a no-op), and netcron's reaper republishes whatever
is still pending.

``register()`` makes ``redis://`` (and ``rediss://``) URLs use this transport; it depends on kombu's
``kombu.transport.redis`` QoS/Channel/Transport classes (kombu is pinned).
"""

from __future__ import annotations

import logging

from kombu.transport import TRANSPORT_ALIASES, redis, virtual

logger = logging.getLogger(__name__)


def register() -> None:
    """Make redis:// and rediss:// URLs resolve to this transport (idempotent)."""
    for alias in ("redis", "rediss"):
        TRANSPORT_ALIASES[alias] = f"{__name__}:Transport"


class QoS(redis.QoS):
    """Acks, rejects and restores that need a Redis the transport already dropped are left to Redis itself."""

    def _transport_gone(self) -> bool:
        return getattr(self.channel.connection, "client", None) is None

    def restore_unacked(self, client=None):
        if client is None and self._transport_gone():
            logger.warning("broker connection lost with %d unacknowledged message(s); Redis redelivers them after "
                           "the visibility timeout", len(self._delivered))
            return None
        return super().restore_unacked(client)

    def ack(self, delivery_tag):
        if self._transport_gone():  # the run row already holds the outcome; a redelivery is a no-op
            logger.warning("broker connection lost: message %s not acknowledged; Redis redelivers it", delivery_tag)
            return virtual.QoS.ack(self, delivery_tag)  # forget it locally
        return super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if self._transport_gone():
            logger.warning("broker connection lost: message %s not rejected; Redis redelivers it later", delivery_tag)
            return virtual.QoS.ack(self, delivery_tag)
        return super().reject(delivery_tag, requeue=requeue)


class Channel(redis.Channel):
    """Also reuses one client for the channel's synchronous commands.

    kombu builds a new ``redis.Redis`` for every command it sends outside the event loop (each ack,
    each message taken into the unacked hash, each publish): some 0.2 ms of CPU apiece, mostly the
    client's table of response callbacks, about a fifth of a worker's main process per task. The
    client only wraps the channel's connection pool, which is what holds the connections, so one is
    kept per pool (a new pool, after a reconnect, gets a new client).
    """

    QoS = QoS
    _sync_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        if client is None or client.connection_pool is not self.pool:
            client = self._sync_client = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
