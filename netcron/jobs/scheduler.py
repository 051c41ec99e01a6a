"""The scheduler tick: claim due schedules, insert their runs exactly once, advance, then publish."""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.constants import OnConflict
from django.db.models.functions import Cast
from django.db.models.sql import InsertQuery
from django.utils import timezone

from netcron.executors import job_types
from netcron.jobs import dispatch
from netcron.jobs.choices import MisfirePolicy, OverlapPolicy, RunStatus, TriggeredBy
from netcron.jobs.models import JobRun, JobSchedule, SchedulerTick

logger = logging.getLogger(__name__)

RUN_ALL_CAP = 100  # most catch-up runs one schedule may create for one outage
MAX_SLOT_WALK = 10_000  # beyond this many missed slots we jump over the middle of the outage
TICK_AFTER_BOUNDARY = 0.002  # seconds: clocks of the scheduler host and of the slots may differ a little
STATEMENT_ROWS = 500  # rows per multi-row statement: well inside SQLite's and PostgreSQL's parameter limits


class ClaimLost(Exception):
    """A claimed schedule changed under the tick: the locks should make this impossible, so roll back."""


@dataclass
class SlotPlan:
    """What one due schedule gets this tick."""

    fire: list[datetime] = field(default_factory=list)
    skipped: int = 0
    next_fire_at: datetime | None = None


def _walk(schedule: JobSchedule, slot: datetime | None, now: datetime) -> tuple[list[datetime], datetime | None]:
    """The slots from `slot` up to `now` (at most MAX_SLOT_WALK), and the first slot not taken."""
    due: list[datetime] = []
    while slot is not None and slot <= now and len(due) < MAX_SLOT_WALK:
        due.append(slot)
        slot = schedule.next_fire_after(slot)
    return due, slot


def _recent_start(schedule: JobSchedule, walked: list[datetime], cut: datetime) -> datetime | None:
    """A slot late enough to walk from cheaply, early enough to leave RUN_ALL_CAP late slots before `cut`."""
    spacing = (walked[-1] - walked[0]) / max(1, len(walked) - 1)
    back = max(spacing, timedelta(seconds=1)) * (RUN_ALL_CAP + 1)
    while True:
        if cut - back <= walked[-1]:
            return schedule.next_fire_after(walked[-1])
        start = schedule.next_fire_after(cut - back)
        if start is None or start < cut:
            return start
        back *= 4  # a gap in the schedule (nights, weekends): look further back for a late slot


def plan_slots(schedule: JobSchedule, now: datetime) -> SlotPlan:
    """Apply the misfire policy to the slots from next_fire_at up to now."""
    plan = SlotPlan()
    cut = now - timedelta(seconds=schedule.misfire_grace_seconds)  # slots before it are late
    due, slot = _walk(schedule, schedule.next_fire_at, now)
    if slot is not None and slot <= now:
        # An enormous outage: rather than walk every missed slot, jump to the last stretch before now,
        # so the policy still sees the most recent late slots (run_once's catch-up is the latest one).
        plan.skipped += len(due) + 1  # the walked ones, and at least one jumped over
        due, slot = _walk(schedule, _recent_start(schedule, due, cut), now)
    if slot is not None and slot <= now:  # still too many, all within the grace period
        plan.skipped += 1
        slot = schedule.next_fire_after(now)
    plan.next_fire_at = slot
    on_time = [s for s in due if s >= cut]
    late = [s for s in due if s < cut]
    if schedule.misfire_policy == MisfirePolicy.RUN_ALL:
        plan.fire = (late + on_time)[-RUN_ALL_CAP:]
    elif schedule.misfire_policy == MisfirePolicy.RUN_ONCE:
        plan.fire = on_time or late[-1:]
    else:
        plan.fire = on_time
    plan.skipped += len(due) - len(plan.fire)
    return plan


def claim_due(now: datetime, batch: int) -> list[JobSchedule]:
    due = (
        JobSchedule.objects.filter(is_active=True, next_fire_at__lte=now)
        .select_related("template")
        .order_by("next_fire_at")
    )
    if connection.vendor == "postgresql":
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due[:batch])


def active_runs(schedules: list[JobSchedule]) -> dict[int, list[str]]:
    """Statuses of the pending/running runs of the given schedules (for their overlap policies)."""
    ids = [s.pk for s in schedules if s.overlap_policy != OverlapPolicy.ALLOW]
    active: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), STATEMENT_ROWS):
        for schedule_id, status in JobRun.objects.filter(
            schedule_id__in=ids[start:start + STATEMENT_ROWS], status__in=RunStatus.active()
        ).values_list("schedule_id", "status"):
            active[schedule_id].append(status)
    return active


def overlap_blocks(schedule: JobSchedule, active: list[str]) -> bool:
    """True when the overlap policy forbids a new run, given the statuses of the schedule's active runs."""
    if schedule.overlap_policy == OverlapPolicy.ALLOW:
        return False
    if schedule.overlap_policy == OverlapPolicy.SKIP:
        return bool(active)
    # queue_one: one run may wait behind the running one, no more
    return RunStatus.PENDING in active


def tick(now: datetime | None = None, batch: int | None = None, name: str = "") -> list[JobRun]:
    """One pass: returns the runs created (already committed and published)."""
    now = now or timezone.now()
    batch = batch or settings.NETCRON_SCHEDULER_BATCH
    try:
        with transaction.atomic():
            schedules = claim_due(now, batch)
            plans = [(schedule, plan_slots(schedule, now)) for schedule in schedules]
            runs = new_runs(plans, active_runs(schedules))
            advance(plans)
            created = insert_runs(runs)
    except ClaimLost as exc:
        logger.warning("tick rolled back: %s", exc)
        created = []
    dispatch.publish_runs(created)
    if name:
        record_tick(name, len(created), now)
    return created


def new_runs(plans: list[tuple[JobSchedule, SlotPlan]], active: dict[int, list[str]]) -> list[JobRun]:
    """Unsaved runs for the planned slots the overlap policies allow; blocked slots count as skipped."""
    runs = []
    for schedule, plan in plans:
        for slot in plan.fire:
            if overlap_blocks(schedule, active[schedule.pk]):
                plan.skipped += 1
                logger.info("schedule %s: slot %s skipped (overlap policy %s)", schedule.pk, slot,
                            schedule.overlap_policy)
                continue
            run = dispatch.new_run(schedule.template, TriggeredBy.SCHEDULE, schedule=schedule, scheduled_for=slot,
                                   param_overrides=schedule.param_overrides,
                                   credential_id=schedule.credential_id)
            run.queued_at = timezone.now()
            active[schedule.pk].append(RunStatus.PENDING)
            runs.append(run)
    return runs


def _case(field_name: str, values: dict[int, object], default) -> Case | Cast:
    """CASE WHEN id IN (...) THEN value ... END for one column, one branch per distinct value (a burst of
    due schedules mostly shares its slots), cast as bulk_update does where the database needs it."""
    model_field = JobSchedule._meta.get_field(field_name)
    ids_by_value: dict[object, list[int]] = defaultdict(list)
    for pk, value in values.items():
        ids_by_value[value].append(pk)
    case = Case(*[When(pk__in=ids, then=Value(value, output_field=model_field)) for value, ids in ids_by_value.items()],
                default=default, output_field=model_field)
    return Cast(case, output_field=model_field) if connection.features.requires_casted_case_in_updates else case


def advance(plans: list[tuple[JobSchedule, SlotPlan]]) -> None:
    """Move the claimed schedules past their slots: one conditional UPDATE per STATEMENT_ROWS schedules.

    The WHERE on (id, next_fire_at) is the claim on SQLite and a guard on PostgreSQL (the rows are
    locked): if any row changed since it was read, the whole tick is rolled back.
    """
    for start in range(0, len(plans), STATEMENT_ROWS):
        chunk = plans[start:start + STATEMENT_ROWS]
        read: dict[datetime, list[int]] = defaultdict(list)
        for schedule, _ in chunk:
            read[schedule.next_fire_at].append(schedule.pk)
        claimed = Q()
        for next_fire_at, ids in read.items():
            claimed |= Q(pk__in=ids, next_fire_at=next_fire_at)
        values = {"next_fire_at": _case("next_fire_at", {s.pk: p.next_fire_at for s, p in chunk}, None)}
        if ended := [s.pk for s, p in chunk if p.next_fire_at is None]:
            values["is_active"] = Case(When(pk__in=ended, then=Value(False)), default=F("is_active"))
        if fired := {s.pk: p.fire[-1] for s, p in chunk if p.fire}:
            values["last_fire_at"] = _case("last_fire_at", fired, F("last_fire_at"))
        if skipped := {s.pk: p.skipped for s, p in chunk if p.skipped}:
            values["skipped_count"] = F("skipped_count") + _case("skipped_count", skipped, Value(0))
        advanced = JobSchedule.objects.filter(claimed).update(**values)
        if advanced != len(chunk):
            raise ClaimLost(f"{len(chunk) - advanced} of {len(chunk)} claimed schedules changed meanwhile")


def insert_runs(runs: list[JobRun]) -> list[JobRun]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: the runs that got a row, with their ids.

    A slot that already has its run (UNIQUE(schedule, scheduled_for)) is silently left out.
    """
    opts = JobRun._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]
    returning = [opts.pk, opts.get_field("schedule"), opts.get_field("scheduled_for")]
    by_slot = {(run.schedule_id, run.scheduled_for): run for run in runs}
    created = []
    for start in range(0, len(runs), STATEMENT_ROWS):
        query = InsertQuery(JobRun, on_conflict=OnConflict.IGNORE)
        query.insert_values(fields, runs[start:start + STATEMENT_ROWS])
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = returning
        [(sql, params)] = compiler.as_sql()  # one multi-row statement: PostgreSQL, SQLite >= 3.35
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        converters = compiler.get_converters([f.get_col(opts.db_table) for f in returning])
        for pk, schedule_id, slot in compiler.apply_converters(rows, converters) if converters else rows:
            run = by_slot[(schedule_id, slot)]
            run.pk = pk
            run._state.adding, run._state.db = False, connection.alias
            created.append(run)
    created.sort(key=lambda run: run.pk)
    return created


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
        job_types()  # load every job type now, not inside the first tick that has runs to create
        logger.info("%s started (tick every %.2f s)", self.name, self.interval)
        while not self.stopping:
            created = self.run_once()
            if created < settings.NETCRON_SCHEDULER_BATCH:  # a full batch: more may be due, tick again now
                time.sleep(self.until_next_tick())
        logger.info("%s stopped", self.name)

    def until_next_tick(self) -> float:
        """Seconds to the next multiple of the interval: slots fall on whole seconds, so ticking just
        after the boundary (rather than at a random phase) saves up to one interval of fire lag."""
        now = time.time()
        return (math.floor(now / self.interval) + 1) * self.interval - now + TICK_AFTER_BOUNDARY

    def run_once(self) -> int:
        """One tick (and a reap when it is time); returns the number of runs created."""
        close_old_connections()
        created: list[JobRun] = []
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
        return len(created)
