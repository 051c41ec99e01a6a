"""``netcron-fs://``: a serverless kombu transport on a local folder that does not lose messages.

Celery settings::

    broker_url = "netcron-fs:///var/lib/netcron/broker"
    broker_transport_options = {
        "polling_interval": 0.05,     # seconds between polls of empty queues
        "visibility_timeout": 3600,   # requeue a consumer's unacked messages after this much heartbeat
                                      # silence, when its liveness cannot be checked (another host)
        "fsync": False,               # True survives power loss, at ~1-10 ms per message
    }

Why not kombu's ``filesystem://``: see EMBEDDED.md (reads half-written files, deletes at fetch, ...).
Here a message is written to ``tmp/`` and renamed into ``queues/<queue>/``; a consumer claims it by
renaming it into its own ``claimed/<consumer>/<queue>/`` folder; ack deletes it; reject/restore
renames it back under its original name. Consumers heartbeat, and any consumer periodically returns
the claimed messages of dead ones to their queues (``kill -9`` of a worker loses nothing).
File layout and the reaper are in :mod:`netcron.lib.fsbroker_store`.

Bindings of every exchange type are kept on disk (``exchanges/*.json``), so fanout (Celery remote
control: ``inspect ping``/``active_queues``) and replies to queues declared by other processes work.
POSIX only (flock, atomic rename). No Django imports.
"""

from __future__ import annotations

import bisect
import itertools
import os
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.log import get_logger
from kombu.transport import TRANSPORT_ALIASES, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

from netcron.lib.fsbroker_store import Owner, Store

__all__ = ["ALIAS", "Channel", "Transport", "register"]

ALIAS = "netcron-fs"
VERSION = "1.0"

logger = get_logger(__name__)


def register() -> None:
    """Make ``netcron-fs://`` URLs resolve to this transport (idempotent)."""
    TRANSPORT_ALIASES[ALIAS] = f"{__name__}:Transport"


class Channel(virtual.Channel):
    """A kombu virtual channel whose queues are folders; one claimed/ folder per channel."""

    supports_fanout = True
    from_transport_options = (
        *virtual.Channel.from_transport_options,
        "visibility_timeout",
        "heartbeat_interval",
        "reap_interval",
        "batch_size",
    )
    visibility_timeout = 3600.0
    heartbeat_interval = 2.0
    reap_interval = 5.0
    # How many of the oldest names one listing hands out; bounds the O(n) listing cost per delivery.
    batch_size = 128

    def __init__(self, connection, **kwargs):
        super().__init__(connection, **kwargs)
        self._store: Store = connection.store
        self._owner: Owner | None = None
        # Shared by the connection's channels: kombu may reject a message on another channel than the
        # one that delivered it (Transport._reject_inbound_message).
        self._claims: dict[str, tuple[str, str, int]] = connection.claims
        self._batches: dict[str, list[str]] = {}  # queue -> oldest ready names, ascending
        self._no_ack: set[str] = set()
        self._tags = itertools.count(1)
        self._next_beat = self._next_reap = 0.0

    # --- consumer identity, heartbeat, reaping ---------------------------------------------------

    def _mine(self) -> bool:
        # A forked child (e.g. a prefork pool process) inherits this object but none of its claims.
        return self._owner is not None and self._owner.pid == os.getpid()

    def _consumer(self) -> Owner:
        if not self._mine():
            self._batches.clear()
            self._owner = self._store.create_owner()
            self._next_beat = monotonic() + self.heartbeat_interval
            self._next_reap = 0.0
            self._housekeep()  # recover a crashed predecessor's messages before taking new ones
        return self._owner

    def _housekeep(self) -> None:
        if not self._mine():
            return
        now = monotonic()
        try:
            if now >= self._next_beat:
                self._next_beat = now + self.heartbeat_interval
                if not self._store.heartbeat(self._owner):
                    logger.warning(
                        "netcron-fs: consumer %s was taken for dead; its unacked messages "
                        "were requeued and may run twice",
                        self._owner.id,
                    )
            if now >= self._next_reap:
                self._next_reap = now + self.reap_interval
                if self._store.reap({self._owner.id}, float(self.visibility_timeout)):
                    self._batches.clear()  # requeued names sort before our cached batch
        except OSError:
            # Housekeeping must not take the worker down; the next round retries.
            logger.exception("netcron-fs: housekeeping failed")

    def drain_events(self, timeout=None, callback=None):
        self._housekeep()
        return super().drain_events(timeout=timeout, callback=callback)

    # --- getting, acking, requeueing -------------------------------------------------------------

    def _claim_next(self, queue: str, no_ack: bool) -> dict:
        owner, store = self._consumer(), self._store
        batch = self._batches.get(queue)
        while True:
            if not batch:
                batch = self._batches[queue] = store.smallest(queue, int(self.batch_size))
                if not batch:
                    raise Empty()
            path = store.claim(queue, batch.pop(0), owner)
            if path is None:
                continue  # another consumer won that one
            # Fanout copies share the publisher's tag; ours must be unique to find the claimed file.
            tag = f"{owner.id}.{next(self._tags)}"
            try:
                payload = loads(bytes_to_str(store.read(path)))
                payload["properties"]["delivery_tag"] = tag
            except (ValueError, KeyError, TypeError):
                logger.error("netcron-fs: undecodable message %s moved to corrupt/", path)
                store.quarantine(path)
                continue
            if no_ack:
                store.discard(path)
            else:
                self._claims[tag] = (queue, path, owner.pid)
            return payload

    def _get(self, queue, timeout=None):
        return self._claim_next(queue, queue in self._no_ack)

    def basic_get(self, queue, no_ack=False, **kwargs):
        try:
            payload = self._claim_next(queue, no_ack)
        except Empty:
            return None
        message = self.Message(payload, channel=self)
        if not no_ack:
            self.qos.append(message, message.delivery_tag)
        return message

    def basic_consume(self, queue, no_ack, callback, consumer_tag, **kwargs):
        self._consumer()  # an idle consumer must heartbeat and reap too
        if no_ack:
            self._no_ack.add(queue)
        return super().basic_consume(queue, no_ack, callback, consumer_tag, **kwargs)

    def basic_cancel(self, consumer_tag):
        queue = self._tag_to_queue.get(consumer_tag)
        super().basic_cancel(consumer_tag)
        if queue not in self._active_queues:
            self._no_ack.discard(queue)

    def _take_claim(self, delivery_tag) -> tuple[str, str] | None:
        claim = self._claims.pop(delivery_tag, None)
        # A forked child (prefork pool) inherits the claims dict; the files are still the parent's.
        if claim is None or claim[2] != os.getpid():
            return None
        return claim[0], claim[1]

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple)
        claim = self._take_claim(delivery_tag)
        if claim is not None:
            self._store.discard(claim[1])

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue=requeue)  # requeue goes through _restore
        claim = self._take_claim(delivery_tag)
        if claim is not None:
            self._store.discard(claim[1])

    def _restore(self, message):
        # Not super(): re-publishing a copy would duplicate a message whose file we still hold, and
        # without a claim (already acked/restored, or a forked child) there is nothing to do.
        claim = self._take_claim(message.delivery_tag)
        if claim is None:
            return
        queue, path = claim
        name = self._store.requeue(queue, path)
        if name is not None and queue in self._batches:
            bisect.insort(self._batches[queue], name)  # so this consumer sees it first again

    def close(self):
        was_open = not self.closed
        super().close()  # restores unacked deliveries through _restore
        if was_open and self._mine():
            try:
                self._store.release(self._owner)
            except OSError:
                logger.exception("netcron-fs: could not release %s; the reaper will", self._owner.id)
            self._owner = None

    # --- queues ----------------------------------------------------------------------------------

    def _put(self, queue, message, **kwargs):
        self._put_bytes(queue, str_to_bytes(dumps(message)))

    def _put_bytes(self, queue: str, data: bytes) -> None:
        try:
            self._store.put(queue, data)
        except OSError as exc:
            raise ChannelError(f"netcron-fs: cannot write to queue {queue!r}: {exc}") from exc

    def _put_fanout(self, exchange, message, routing_key, **kwargs):
        data = str_to_bytes(dumps(message))
        for queue in sorted({queue for _, _, queue in self.get_table(exchange)}):
            self._put_bytes(queue, data)

    def _size(self, queue):
        return self._store.size(queue)

    def _purge(self, queue):
        self._batches.pop(queue, None)
        return self._store.purge(queue)

    def _has_queue(self, queue, **kwargs):
        return self._store.queue_exists(queue)

    def _new_queue(self, queue, **kwargs):
        self._store.create_queue(queue)
        arguments = kwargs.get("arguments") or {}
        if kwargs.get("auto_delete") or kwargs.get("exclusive") or "x-expires" in arguments:
            # Pidbox and reply queues: without a broker to auto-delete them they would pile up (and
            # keep receiving broadcasts) after their worker is gone. The reaper drops them instead.
            self._store.register_ephemeral(self._consumer(), queue)

    def _delete(self, queue, *args, **kwargs):
        self._batches.pop(queue, None)
        self._store.delete_queue(queue, self._owner if self._mine() else None)

    def queue_delete(self, queue, if_unused=False, if_empty=False, **kwargs):
        if if_empty and self._size(queue):
            return
        self.state.queue_bindings_delete(queue)
        self._delete(queue)

    # --- exchanges: bindings live on disk so every process routes the same way ---------------------

    def get_table(self, exchange):
        return self._store.table(exchange)[1]

    def typeof(self, exchange, default="direct"):
        declared = self.state.exchanges.get(exchange)
        type_ = declared["type"] if declared else (self._store.table(exchange)[0] or default)
        return self.exchange_types[type_]

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = (routing_key or "", pattern or "", queue or "")
        self._store.bind(exchange, self.typeof(exchange).type, binding)

    def queue_bind(self, queue, exchange=None, routing_key="", arguments=None, **kwargs):
        exchange = exchange or "amq.direct"
        if self.state.has_binding(queue, exchange, routing_key):
            # Re-assert on disk: a reaper may have removed it if we were taken for dead.
            self._queue_bind(exchange, *self.typeof(exchange).prepare_bind(queue, exchange, routing_key, arguments))
            return
        super().queue_bind(queue, exchange, routing_key, arguments, **kwargs)

    def queue_unbind(self, queue, exchange=None, routing_key="", arguments=None, **kwargs):
        # Not super(): it edits the table in place, and ours is the store's cached copy.
        self.state.binding_delete(queue, exchange, routing_key)
        rkey, pattern, queue = self.typeof(exchange).prepare_bind(queue, exchange, routing_key, arguments)
        self._store.unbind(exchange, (rkey or "", pattern or "", queue))

    def _lookup(self, exchange, routing_key, default=None):
        queues = super()._lookup(exchange, routing_key, default)
        # Unrouted events (topic "celeryev" with no monitor) are normal; an unrouted task is not.
        if not queues and self.typeof(exchange).type == "direct":
            logger.warning(
                "netcron-fs: dropped a message: no queue bound to exchange %r with key %r", exchange, routing_key
            )
        return queues


class Transport(virtual.Transport):
    """kombu transport for ``netcron-fs:///abs/path`` (or transport option ``data_folder``)."""

    Channel = Channel
    polling_interval = 0.05
    default_port = 0
    driver_type = driver_name = ALIAS
    implements = virtual.Transport.implements.extend(
        asynchronous=False,
        exchange_type=frozenset(["direct", "topic", "fanout"]),
    )

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        options = client.transport_options
        self.store = Store(self._data_folder(client), fsync=bool(options.get("fsync", False)))
        self.claims: dict[str, tuple[str, str, int]] = {}  # delivery tag -> (queue, claimed path, pid)

    @staticmethod
    def _data_folder(client) -> str:
        folder = client.transport_options.get("data_folder")
        if not folder:
            vhost = (client.virtual_host or "").strip("/")
            if not vhost:
                raise ValueError("netcron-fs needs a folder: netcron-fs:///abs/path/to/broker-dir")
            folder = "/" + vhost
        return folder

    @property
    def default_connection_params(self):
        # No "localhost" default: there is no host, and kombu warns when it has to make one up.
        return {"port": self.default_port}

    def driver_version(self):
        return VERSION


register()
