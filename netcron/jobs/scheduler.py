"""The scheduler tick: claim due schedules, insert their runs exactly once, advance, then publish."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from netcron.jobs import dispatch
from netcron.jobs.choices import MisfirePolicy, OverlapPolicy, RunStatus, TriggeredBy
from netcron.jobs.models import JobRun, JobSchedule, SchedulerTick

logger = logging.getLogger(__name__)

RUN_ALL_CAP = 100  # most catch-up runs one schedule may create for one outage
MAX_SLOT_WALK = 10_000  # beyond this many missed slots we jump straight to the future


@dataclass
class SlotPlan:
    """What one due schedule gets this tick."""

    fire: list[datetime] = field(default_factory=list)
    skipped: int = 0
    next_fire_at: datetime | None = None


def plan_slots(schedule: JobSchedule, now: datetime) -> SlotPlan:
    """Apply the misfire policy to the slots from next_fire_at up to now."""
    plan = SlotPlan()
    grace = timedelta(seconds=schedule.misfire_grace_seconds)
    due: list[datetime] = []
    slot = schedule.next_fire_at
    walked = 0
    while slot is not None and slot <= now and walked < MAX_SLOT_WALK:
        due.append(slot)
        slot = schedule.next_fire_after(slot)
        walked += 1
    if slot is not None and slot <= now:  # an enormous outage: don't walk every missed minute
        plan.skipped += 1
        slot = schedule.next_fire_after(now)
    plan.next_fire_at = slot
    on_time = [s for s in due if now - s <= grace]
    late = [s for s in due if now - s > grace]
    if schedule.misfire_policy == MisfirePolicy.RUN_ALL:
        plan.fire = (late + on_time)[-RUN_ALL_CAP:]
    elif schedule.misfire_policy == MisfirePolicy.RUN_ONCE:
        plan.fire = on_time or late[-1:]
    else:
        plan.fire = on_time
    plan.skipped += len(due) - len(plan.fire)
    return plan


def overlap_blocks(schedule: JobSchedule) -> bool:
    """True when the overlap policy forbids a new run now."""
    if schedule.overlap_policy == OverlapPolicy.ALLOW:
        return False
    active = JobRun.objects.filter(schedule=schedule, status__in=RunStatus.active())
    if schedule.overlap_policy == OverlapPolicy.SKIP:
        return active.exists()
    # queue_one: one run may wait behind the running one, no more
    return active.filter(status=RunStatus.PENDING).exists()


def claim_due(now: datetime, batch: int) -> list[JobSchedule]:
    due = (
        JobSchedule.objects.filter(is_active=True, next_fire_at__lte=now)
        .select_related("template", "template__owner")
        .order_by("next_fire_at")
    )
    if connection.vendor == "postgresql":
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due[:batch])


def tick(now: datetime | None = None, batch: int | None = None, name: str = "") -> list[JobRun]:
    """One pass: returns the runs created (already committed and published)."""
    now = now or timezone.now()
    batch = batch or settings.NETCRON_SCHEDULER_BATCH
    created: list[JobRun] = []
    with transaction.atomic():
        for schedule in claim_due(now, batch):
            plan = plan_slots(schedule, now)
            # The conditional UPDATE is the claim on SQLite (no SKIP LOCKED) and harmless on PostgreSQL.
            advanced = JobSchedule.objects.filter(pk=schedule.pk, next_fire_at=schedule.next_fire_at).update(
                next_fire_at=plan.next_fire_at,
                is_active=plan.next_fire_at is not None,
                last_fire_at=plan.fire[-1] if plan.fire else schedule.last_fire_at,
                skipped_count=F("skipped_count") + plan.skipped,
            )
            if not advanced:
                continue
            for slot in plan.fire:
                run = insert_run(schedule, slot)
                if run is not None:
                    created.append(run)
    for run in created:
        dispatch.publish_run(run)
    if name:
        record_tick(name, len(created), now)
    return created


def insert_run(schedule: JobSchedule, slot: datetime) -> JobRun | None:
    if overlap_blocks(schedule):
        JobSchedule.objects.filter(pk=schedule.pk).update(skipped_count=F("skipped_count") + 1)
        logger.info("schedule %s: slot %s skipped (overlap policy %s)", schedule.pk, slot, schedule.overlap_policy)
        return None
    run = dispatch.new_run(schedule.template, TriggeredBy.SCHEDULE, schedule=schedule, scheduled_for=slot,
                           param_overrides=schedule.param_overrides, credential=schedule.credential)
    run.queued_at = timezone.now()
    try:
        with transaction.atomic():  # savepoint: a duplicate slot must not abort the whole tick
            run.save()
    except IntegrityError:
        return None  # UNIQUE(schedule, scheduled_for): this slot already has its run
    return run


def record_tick(name: str, runs: int, started: datetime) -> None:
    elapsed_ms = (timezone.now() - started).total_seconds() * 1000
    updated = SchedulerTick.objects.filter(name=name).update(
        last_tick_at=timezone.now(), ticks=F("ticks") + 1, runs_created=F("runs_created") + runs,
        last_tick_ms=elapsed_ms,
    )
    if not updated:
        SchedulerTick.objects.get_or_create(name=name, defaults={"ticks": 1, "runs_created": runs,
                                                                 "last_tick_ms": elapsed_ms})


class SchedulerLoop:
    """`netcron scheduler`: tick every interval, reap every few seconds, stop cleanly on SIGTERM/SIGINT."""

    REAP_EVERY_SECONDS = 5.0

    def __init__(self, interval: float | None = None, name: str = ""):
        self.interval = interval or settings.NETCRON_SCHEDULER_INTERVAL
        self.name = name or f"scheduler@{socket.gethostname()}-{os.getpid()}"
        self.stopping = False
        self.last_reap = 0.0

    def stop(self, *_args) -> None:
        self.stopping = True

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        logger.info("%s started (tick every %.2f s)", self.name, self.interval)
        while not self.stopping:
            started = time.monotonic()
            self.run_once()
            time.sleep(max(0.0, self.interval - (time.monotonic() - started)))
        logger.info("%s stopped", self.name)

    def run_once(self) -> None:
        close_old_connections()
        try:
            created = tick(name=self.name)
            if created:
                logger.info("created %d run(s): %s", len(created), ", ".join(f"#{r.pk}" for r in created))
            if time.monotonic() - self.last_reap >= self.REAP_EVERY_SECONDS:
                self.last_reap = time.monotonic()
                reaped = dispatch.reap()
                if any(reaped.values()):
                    logger.info("reaper: %s", reaped)
        except Exception:
            # A database hiccup must not end the scheduler; the next tick starts from the stored state.
            logger.exception("scheduler tick failed")
            connection.close()
