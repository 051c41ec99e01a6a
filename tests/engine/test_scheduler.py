from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError

from netcron.jobs import scheduler
from netcron.jobs.models import JobRun, JobSchedule
from tests.engine.conftest import make_run, make_schedule, make_template, utc

pytestmark = pytest.mark.django_db
NOW = utc(2026, 6, 1, 12, 0, 30)


def tick(now=NOW, **kwargs):
    with time_machine.travel(now, tick=False):
        return scheduler.tick(now=now, **kwargs)


def test_a_due_schedule_gets_one_run_for_its_slot_and_advances():
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 12, 0))
    runs = tick()
    assert [(r.schedule_id, r.scheduled_for, r.triggered_by) for r in runs] == [
        (schedule.pk, utc(2026, 6, 1, 12, 0), "schedule")]
    schedule.refresh_from_db()
    assert schedule.next_fire_at == utc(2026, 6, 1, 12, 1)
    assert schedule.last_fire_at == utc(2026, 6, 1, 12, 0)
    assert runs[0].published_at is not None or JobRun.objects.get(pk=runs[0].pk).published_at is not None


def test_a_second_tick_at_the_same_time_creates_nothing():
    make_schedule(make_template(), utc(2026, 6, 1, 12, 0))
    assert len(tick()) == 1
    assert tick() == []
    assert JobRun.objects.count() == 1


def test_a_schedule_not_yet_due_is_left_alone():
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 12, 1))
    assert tick() == []
    schedule.refresh_from_db()
    assert schedule.next_fire_at == utc(2026, 6, 1, 12, 1)


def test_paused_schedules_never_fire():
    make_schedule(make_template(), utc(2026, 6, 1, 12, 0), is_active=False)
    assert tick() == []


def test_the_database_refuses_a_second_run_for_the_same_slot():
    template = make_template()
    schedule = make_schedule(template, utc(2026, 6, 1, 12, 0))
    make_run(template, schedule=schedule, scheduled_for=utc(2026, 6, 1, 12, 0))
    with pytest.raises(IntegrityError):
        make_run(template, schedule=schedule, scheduled_for=utc(2026, 6, 1, 12, 0))


def test_a_slot_that_already_has_a_run_is_not_duplicated_by_a_stale_scheduler():
    template = make_template()
    schedule = make_schedule(template, utc(2026, 6, 1, 12, 0), overlap_policy="allow")
    make_run(template, schedule=schedule, scheduled_for=utc(2026, 6, 1, 12, 0))
    assert tick() == []
    schedule.refresh_from_db()
    assert schedule.next_fire_at == utc(2026, 6, 1, 12, 1)
    assert JobRun.objects.filter(schedule=schedule).count() == 1


def test_run_once_policy_makes_one_catch_up_run_after_an_outage():
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 11, 0), misfire_policy="run_once",
                             misfire_grace_seconds=60)
    runs = tick()
    assert [r.scheduled_for for r in runs] == [utc(2026, 6, 1, 12, 0)]
    schedule.refresh_from_db()
    assert schedule.next_fire_at == utc(2026, 6, 1, 12, 1)
    assert schedule.skipped_count == 60


def test_skip_policy_drops_late_slots_and_counts_them():
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 11, 0), misfire_policy="skip",
                             misfire_grace_seconds=10)
    assert tick() == []
    schedule.refresh_from_db()
    assert schedule.next_fire_at == utc(2026, 6, 1, 12, 1)
    assert schedule.skipped_count == 61


def test_skip_policy_still_runs_a_slot_within_the_grace_period():
    make_schedule(make_template(), utc(2026, 6, 1, 12, 0), misfire_policy="skip", misfire_grace_seconds=60)
    assert len(tick()) == 1


def test_run_all_policy_runs_every_missed_slot():
    make_schedule(make_template(), utc(2026, 6, 1, 11, 55), misfire_policy="run_all", overlap_policy="allow",
                  misfire_grace_seconds=0)
    runs = tick()
    assert [r.scheduled_for.minute for r in runs] == [55, 56, 57, 58, 59, 0]


def test_run_all_policy_is_capped():
    schedule = make_schedule(make_template(), NOW - timedelta(days=1), misfire_policy="run_all",
                             overlap_policy="allow", misfire_grace_seconds=0)
    runs = tick()
    assert len(runs) == scheduler.RUN_ALL_CAP
    schedule.refresh_from_db()
    assert schedule.skipped_count == 24 * 60 + 1 - scheduler.RUN_ALL_CAP


def test_overlap_skip_creates_no_run_while_one_is_active():
    template = make_template()
    schedule = make_schedule(template, utc(2026, 6, 1, 12, 0), overlap_policy="skip")
    make_run(template, schedule=schedule, scheduled_for=utc(2026, 6, 1, 11, 59), status="running")
    assert tick() == []
    schedule.refresh_from_db()
    assert schedule.skipped_count == 1
    assert schedule.next_fire_at == utc(2026, 6, 1, 12, 1)


def test_overlap_queue_one_lets_one_run_wait_behind_a_running_one():
    template = make_template()
    schedule = make_schedule(template, utc(2026, 6, 1, 12, 0), overlap_policy="queue_one")
    make_run(template, schedule=schedule, scheduled_for=utc(2026, 6, 1, 11, 59), status="running")
    assert len(tick()) == 1
    assert tick(now=utc(2026, 6, 1, 12, 1, 5)) == []  # the queued one is still pending


def test_a_one_off_schedule_fires_once_and_deactivates():
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 12, 0), kind="once", cron_expr="",
                             run_at=utc(2026, 6, 1, 12, 0))
    assert len(tick()) == 1
    schedule.refresh_from_db()
    assert (schedule.is_active, schedule.next_fire_at) == (False, None)


def test_the_schedule_params_and_credential_override_the_template():
    template = make_template(job_type="sleep", params={"seconds": 5}, targets={})
    make_schedule(template, utc(2026, 6, 1, 12, 0), param_overrides={"seconds": 1})
    run = tick()[0]
    assert run.params == {"seconds": 1}


def test_the_run_goes_to_the_templates_queue_or_its_override():
    make_schedule(make_template(name="a"), utc(2026, 6, 1, 12, 0), name="a")
    make_schedule(make_template(name="b", queue="heavy"), utc(2026, 6, 1, 12, 0), name="b")
    assert sorted(r.queue for r in tick()) == ["default", "heavy"]


def test_a_tick_only_reads_due_schedules(django_assert_max_num_queries):
    template = make_template()
    JobSchedule.objects.bulk_create([
        JobSchedule(name=f"later{i}", template=template, cron_expr="* * * * *", next_fire_at=utc(2026, 6, 2))
        for i in range(300)
    ])
    make_schedule(template, utc(2026, 6, 1, 12, 0))
    with django_assert_max_num_queries(12):
        assert len(tick()) == 1


def test_the_scheduler_loop_survives_a_failing_tick(monkeypatch):
    loop = scheduler.SchedulerLoop(interval=0.01, name="test-scheduler")

    def broken(**_):
        raise RuntimeError("db went away")

    monkeypatch.setattr(scheduler, "tick", broken)
    loop.run_once()  # logs and carries on


def test_runs_of_a_private_schedule_are_private_to_its_owner(alice):
    make_schedule(make_template(), utc(2026, 6, 1, 12, 0), is_global=False, owner=alice)
    [run] = tick()
    assert (run.is_global, run.owner_id) == (False, alice.pk)


TROMSO_SUNSET = {"kind": "solar", "cron_expr": "", "solar_event": "sunset", "latitude": 69.65, "longitude": 18.96}
BERLIN_SUNSET = {"kind": "solar", "cron_expr": "", "solar_event": "sunset", "latitude": 52.52, "longitude": 13.405}


def test_a_solar_schedule_fires_its_slot_and_advances_past_the_midnight_sun():
    last_sunset = utc(2026, 5, 17, 22, 21, 2)
    schedule = make_schedule(make_template(), last_sunset, **TROMSO_SUNSET)
    runs = tick(now=last_sunset + timedelta(seconds=5))
    assert [r.scheduled_for for r in runs] == [last_sunset]
    schedule.refresh_from_db()
    assert (schedule.is_active, schedule.next_fire_at) == (True, utc(2026, 7, 26, 22, 10, 16))


def test_a_solar_schedule_catches_up_once_after_an_outage_under_run_once():
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 19, 19, 7), misfire_policy="run_once",
                             misfire_grace_seconds=60, **BERLIN_SUNSET)
    runs = tick(now=utc(2026, 6, 4, 12))  # down for the sunsets of 1, 2 and 3 June
    assert [r.scheduled_for for r in runs] == [utc(2026, 6, 3, 19, 21, 18)]
    schedule.refresh_from_db()
    assert (schedule.next_fire_at, schedule.skipped_count) == (utc(2026, 6, 4, 19, 22, 19), 2)


def test_a_solar_schedule_drops_missed_sunsets_under_skip():
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 19, 19, 7), misfire_policy="skip",
                             misfire_grace_seconds=60, **BERLIN_SUNSET)
    assert tick(now=utc(2026, 6, 4, 12)) == []
    schedule.refresh_from_db()
    assert (schedule.next_fire_at, schedule.skipped_count) == (utc(2026, 6, 4, 19, 22, 19), 3)


def test_a_solar_schedule_skips_its_slot_while_its_previous_run_is_still_running():
    template = make_template()
    schedule = make_schedule(template, utc(2026, 6, 2, 19, 20, 13), overlap_policy="skip", **BERLIN_SUNSET)
    make_run(template, schedule=schedule, scheduled_for=utc(2026, 6, 1, 19, 19, 7), status="running")
    assert tick(now=utc(2026, 6, 2, 19, 20, 30)) == []
    schedule.refresh_from_db()
    assert (schedule.next_fire_at, schedule.skipped_count) == (utc(2026, 6, 3, 19, 21, 18), 1)


def test_run_once_after_an_outage_of_a_month_catches_up_with_the_latest_missed_slot():
    schedule = make_schedule(make_template(), NOW - timedelta(days=30), misfire_policy="run_once",
                             misfire_grace_seconds=10)
    assert [r.scheduled_for for r in tick()] == [utc(2026, 6, 1, 12, 0)]
    schedule.refresh_from_db()
    assert schedule.next_fire_at == utc(2026, 6, 1, 12, 1)
    assert schedule.skipped_count > scheduler.MAX_SLOT_WALK  # a lower bound: the middle is jumped over


def test_run_all_after_an_outage_of_a_month_runs_the_most_recent_slots():
    make_schedule(make_template(), NOW - timedelta(days=30), misfire_policy="run_all", overlap_policy="allow",
                  misfire_grace_seconds=0)
    slots = [r.scheduled_for for r in tick()]
    assert len(slots) == scheduler.RUN_ALL_CAP
    assert (slots[0], slots[-1]) == (utc(2026, 6, 1, 10, 21), utc(2026, 6, 1, 12, 0))


def test_run_once_after_a_long_outage_of_a_weekday_schedule_finds_the_last_slot_before_a_weekend():
    # Every minute 9-17 on weekdays; down for two months until Sunday noon: the last slot is Friday 17:59.
    sunday = utc(2026, 5, 31, 12, 0, 30)
    schedule = make_schedule(make_template(), sunday - timedelta(days=60), cron_expr="* 9-17 * * 1-5",
                             misfire_policy="run_once", misfire_grace_seconds=60)
    assert [r.scheduled_for for r in tick(now=sunday)] == [utc(2026, 5, 29, 17, 59)]
    schedule.refresh_from_db()
    assert schedule.next_fire_at == utc(2026, 6, 1, 9, 0)


def test_overlap_skip_lets_only_the_first_of_several_catch_up_slots_run():
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 11, 57), misfire_policy="run_all",
                             overlap_policy="skip", misfire_grace_seconds=0)
    assert [r.scheduled_for for r in tick()] == [utc(2026, 6, 1, 11, 57)]
    schedule.refresh_from_db()
    assert schedule.skipped_count == 3


def test_a_tick_costs_the_same_statements_for_one_due_schedule_as_for_fifty_one():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    template = make_template()
    make_schedule(template, utc(2026, 6, 1, 12, 0), name="first")
    with CaptureQueriesContext(connection) as one:
        assert len(tick()) == 1
    JobSchedule.objects.bulk_create([
        JobSchedule(name=f"s{i}", template=template, cron_expr="* * * * *", next_fire_at=utc(2026, 6, 1, 12, 1))
        for i in range(50)
    ])
    with CaptureQueriesContext(connection) as fifty_one:
        assert len(tick(now=utc(2026, 6, 1, 12, 1, 30))) == 50  # "first" still has its run pending: skipped
    assert len(fifty_one) == len(one) <= 10  # claim, overlap check, advance, insert, mark published (+ savepoints)
    assert JobRun.objects.filter(published_at__isnull=True).count() == 0
    assert len(set(JobRun.objects.values_list("celery_task_id", flat=True))) == 51


def test_a_tick_whose_claimed_schedule_changed_meanwhile_creates_nothing(monkeypatch):
    schedule = make_schedule(make_template(), utc(2026, 6, 1, 12, 0))
    planned = scheduler.plan_slots

    def edited_while_planning(claimed, now):
        # What the row locks (PostgreSQL) or the write lock (SQLite) rule out: the guard must still hold.
        JobSchedule.objects.filter(pk=claimed.pk).update(next_fire_at=utc(2026, 6, 1, 12, 0, 10))
        return planned(claimed, now)

    monkeypatch.setattr(scheduler, "plan_slots", edited_while_planning)
    assert tick() == []
    assert not JobRun.objects.exists()
    schedule.refresh_from_db()
    assert schedule.next_fire_at == utc(2026, 6, 1, 12, 0)  # rolled back: the next tick handles it


def test_the_scheduler_loop_ticks_just_after_the_next_whole_interval():
    loop = scheduler.SchedulerLoop(interval=1.0, name="test-scheduler")
    with time_machine.travel(utc(2026, 6, 1, 12, 0, 30, 250_000), tick=False):
        assert loop.until_next_tick() == pytest.approx(0.75 + scheduler.TICK_AFTER_BOUNDARY)


def test_the_scheduler_loop_ticks_again_at_once_after_a_full_batch(monkeypatch, settings):
    loop = scheduler.SchedulerLoop(interval=1.0, name="test-scheduler")
    created = iter([settings.NETCRON_SCHEDULER_BATCH, 3])
    sleeps = []

    def run_once():
        count = next(created)
        if count < settings.NETCRON_SCHEDULER_BATCH:
            loop.stop()
        return count

    monkeypatch.setattr(loop, "run_once", run_once)
    monkeypatch.setattr(scheduler.signal, "signal", lambda *_: None)
    monkeypatch.setattr(scheduler.time, "sleep", sleeps.append)
    loop.run_forever()
    assert len(sleeps) == 1  # none between the full batch and the next tick


def test_the_scheduler_loads_every_job_type_before_its_first_tick(monkeypatch):
    from netcron import executors

    loop = scheduler.SchedulerLoop(interval=1.0, name="test-scheduler")
    loaded_at_first_tick = []

    def run_once():
        loaded_at_first_tick.append(executors._registry is not None)
        loop.stop()
        return 0

    monkeypatch.setattr(executors, "_registry", None)
    monkeypatch.setattr(loop, "run_once", run_once)
    monkeypatch.setattr(scheduler.signal, "signal", lambda *_: None)
    monkeypatch.setattr(scheduler.time, "sleep", lambda _: None)
    loop.run_forever()
    assert loaded_at_first_tick == [True]  # not inside the first tick that has runs to create
