"""Queue lengths straight from the broker (Redis LLEN, or the embedded transport's file count)."""

from __future__ import annotations

import logging

from netcron.conf import ALL_QUEUES

logger = logging.getLogger(__name__)


def queue_lengths() -> dict[str, int | None]:
    """Ready messages per queue; None for a queue the broker could not be asked about."""
    from netcron.celery import app

    lengths: dict[str, int | None] = dict.fromkeys(ALL_QUEUES)
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            for name in ALL_QUEUES:
                try:
                    lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except Exception:  # queue not declared yet: nothing was ever sent there
                    lengths[name] = 0
    except Exception as exc:
        logger.warning("cannot read queue lengths from the broker: %s", exc)
    return lengths
