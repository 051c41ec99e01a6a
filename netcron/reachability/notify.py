"""Webhook notifications of state changes: a few deliveries in parallel, all within one time budget.

HTTP happens in worker threads; every database write stays in the calling thread.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from netcron.lib.webhook import Delivery, Destinations, post_json
from netcron.reachability.models import StateChange

PARALLEL_DELIVERIES = 8


@dataclass(frozen=True)
class Hook:
    url: str
    key: str = field(repr=False)
    timeout: float = 5.0
    retries: int = 3
    backoff: float = 1.0
    budget: float = 60.0  # seconds for all deliveries of one run
    include_initial: bool = False  # notify first sightings (unknown -> x) too
    destinations: Destinations | None = None  # checked on every attempt (notifications/destinations.py)


def wanted(change: StateChange, hook: Hook) -> bool:
    return hook.include_initial or change.old_state != "unknown"


def deliver(changes: list[StateChange], hook: Hook) -> dict[str, int]:
    """Send one signed POST per change that ``hook`` wants; record each outcome on its row."""
    todo = [c for c in changes if wanted(c, hook)]
    if not todo:
        return {"sent": 0, "failed": 0}
    ends = time.monotonic() + hook.budget

    def one(change: StateChange) -> Delivery:
        left = ends - time.monotonic()
        if left <= 0:
            return Delivery(False, 0, None, "not attempted: the run's webhook time budget was used up")
        return post_json(hook.url, change.payload(), hook.key, timeout=min(hook.timeout, left),
                         retries=hook.retries, backoff=hook.backoff, deadline=left,
                         extra_headers={"X-Netcron-Event": "device.state_changed",
                                        "X-Netcron-Delivery": str(change.pk)}, destinations=hook.destinations)

    with ThreadPoolExecutor(max_workers=min(PARALLEL_DELIVERIES, len(todo)),
                            thread_name_prefix="netcron-webhook") as pool:
        deliveries = list(pool.map(one, todo))
    counts = {"sent": 0, "failed": 0}
    for change, result in zip(todo, deliveries, strict=True):
        status = "sent" if result.ok else "failed"
        counts[status] += 1
        change.mark_notified(status, result.attempts, result.error)
    return counts
