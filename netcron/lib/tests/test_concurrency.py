"""run_bounded: limit, order, per-item timeout, progress, cancellation."""

from __future__ import annotations

import asyncio

from netcron.lib.concurrency import Cancelled, ItemTimeout, run_bounded


def test_results_keep_input_order_and_concurrency_never_exceeds_the_limit():
    active = peak = 0

    async def work(i):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.001 * (i % 5))
        active -= 1
        return i * 2

    outcomes = asyncio.run(run_bounded(work, range(500), limit=20))
    assert [o.result for o in outcomes] == [i * 2 for i in range(500)]
    assert peak == 20


def test_a_failing_item_does_not_stop_the_others():
    async def work(i):
        if i == 3:
            raise ValueError("boom")
        return i

    outcomes = asyncio.run(run_bounded(work, range(6), limit=2))
    assert [o.ok for o in outcomes] == [True, True, True, False, True, True]
    assert isinstance(outcomes[3].error, ValueError)


def test_items_over_their_timeout_fail_with_item_timeout():
    async def work(i):
        await asyncio.sleep(5 if i == 1 else 0)
        return i

    outcomes = asyncio.run(run_bounded(work, range(3), limit=3, timeout=0.1))
    assert isinstance(outcomes[1].error, ItemTimeout)
    assert outcomes[0].result == 0 and outcomes[2].result == 2


def test_progress_is_reported_for_every_item():
    seen = []

    async def work(i):
        return i

    asyncio.run(run_bounded(work, range(10), limit=3, progress=lambda done, total: seen.append((done, total))))
    assert seen == [(n, 10) for n in range(1, 11)]


def test_cancellation_stops_new_items_and_cancels_running_ones_cleanly():
    closed = []

    class Session:
        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc):
            closed.append(True)

    async def work(i):
        async with Session():
            await asyncio.sleep(10)

    async def main():
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.1, stop.set)
        return await run_bounded(work, range(50), limit=5, cancel=stop, poll_interval=0.02)

    outcomes = asyncio.run(asyncio.wait_for(main(), 5))
    assert all(isinstance(o.error, Cancelled) for o in outcomes)
    assert len(closed) == 5


def test_cancel_callable_is_checked_between_items():
    started = []

    async def work(i):
        started.append(i)
        return i

    outcomes = asyncio.run(run_bounded(work, range(100), limit=1, cancel=lambda: len(started) >= 10))
    assert len(started) == 10
    assert sum(o.ok for o in outcomes) == 10
