from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netcron.jobs import runner
from netcron.jobs.models import DeviceResult, JobRun
from tests.engine.conftest import make_run, make_template

pytestmark = pytest.mark.django_db


def execute(run: JobRun) -> str:
    outcome = runner.execute_run(run.pk, worker="test@host-1", task_id="task-1")
    run.refresh_from_db()
    return outcome


def test_a_pending_run_is_claimed_run_and_completed_with_device_results(devices):
    run = make_run(make_template())
    assert execute(run) == "completed"
    assert run.status == "completed"
    assert run.executed_by == "test@host-1"
    assert run.started_at and run.finished_at and run.started_at <= run.finished_at
    assert (run.count_ok, run.count_failed, run.count_skipped) == (3, 0, 0)
    assert (run.progress_done, run.progress_total) == (3, 3)
    assert sorted(run.target_device_ids) == sorted(d.pk for d in devices)
    assert set(DeviceResult.objects.filter(run=run).values_list("device_name", "status")) == {
        ("r1", "ok"), ("r2", "ok"), ("r3", "ok")}
    assert run.logs.filter(message__startswith="started on test@host-1").exists()


def test_a_duplicate_delivery_does_not_run_the_job_twice(devices):
    run = make_run(make_template())
    assert execute(run) == "completed"
    assert execute(run) == "duplicate"
    assert DeviceResult.objects.filter(run=run).count() == 3
    assert run.logs.filter(message__startswith="started on").count() == 1


def test_a_delivery_for_a_deleted_run_is_dropped(db):
    assert runner.execute_run(424242, worker="w") == "missing"


def test_targets_matching_no_device_touch_nothing_and_say_so(devices):
    run = make_run(make_template(targets={"tags": ["no-such-tag"]}))
    assert execute(run) == "completed"
    assert run.target_device_ids == []
    assert DeviceResult.objects.filter(run=run).count() == 0
    assert run.result == {"message": "targets matched no devices"}


def test_empty_targets_select_no_device_rather_than_all(devices):
    run = make_run(make_template(targets={}))
    execute(run)
    assert run.target_device_ids == []


def test_target_filters_combine_with_and_across_fields_and_or_within(devices):
    run = make_run(make_template(targets={"locations": ["Berlin"], "platforms": ["cisco_ios", "juniper_junos"]}))
    execute(run)
    assert run.target_device_ids == [devices[0].pk]


def test_explicit_devices_are_selected_by_name_or_id(devices):
    run = make_run(make_template(targets={"devices": ["r3", str(devices[1].pk)]}))
    execute(run)
    assert sorted(run.target_device_ids) == sorted([devices[1].pk, devices[2].pk])


def test_inactive_devices_are_never_targeted(devices):
    devices[0].is_active = False
    devices[0].save()
    run = make_run(make_template())
    execute(run)
    assert devices[0].pk not in run.target_device_ids


def test_some_failed_devices_complete_the_run_with_a_failed_count(devices):
    run = make_run(make_template(params={"fail_devices": ["r2"]}))
    assert execute(run) == "completed"
    assert (run.count_ok, run.count_failed) == (2, 1)
    assert run.logs.filter(level="error", message__contains="r2").exists()


def test_a_run_where_every_device_failed_is_failed(devices):
    run = make_run(make_template(params={"fail_devices": ["r1", "r2", "r3"]}))
    assert execute(run) == "failed"
    assert run.error == "all devices failed"


def test_a_job_that_raises_job_failed_ends_failed_with_its_message(db):
    run = make_run(make_template(job_type="sleep", params={"seconds": 0, "steps": 1, "fail": True}))
    assert execute(run) == "failed"
    assert run.error == "failed on request (fail=true)"
    assert run.logs.filter(level="error", message="failed on request (fail=true)").exists()


def test_stored_params_that_no_longer_validate_fail_the_run_clearly(db):
    run = make_run(make_template(job_type="sleep"), params={"seconds": -5})
    assert execute(run) == "failed"
    assert run.error.startswith("invalid parameters: ('seconds',)")


def test_an_unknown_job_type_fails_the_run_naming_the_type(db):
    template = make_template()
    run = make_run(template, job_type="vanished")
    assert execute(run) == "failed"
    assert "unknown job type 'vanished'" in run.error


def test_a_cancel_requested_before_the_first_device_cancels_and_keeps_outcomes(devices):
    run = make_run(make_template())
    JobRun.objects.filter(pk=run.pk).update(cancel_requested=True)  # asked after the worker's claim
    assert execute(run) == "cancelled"
    assert set(run.device_results.values_list("status", flat=True)) == {"cancelled"}


def test_cancelling_a_pending_run_cancels_it_at_once(devices):
    run = make_run(make_template())
    assert run.request_cancel()
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert execute(run) == "duplicate"


def test_an_unexpected_crash_fails_the_run_without_a_traceback_in_the_error(devices, monkeypatch):
    import dataclasses

    from netcron import executors

    def explode(ctx, params):
        raise RuntimeError("boom")

    broken = dataclasses.replace(executors.get_job_type("noop"), execute=explode)
    monkeypatch.setitem(executors.job_types(), "noop", broken)
    run = make_run(make_template())
    assert execute(run) == "failed"
    assert run.error == "internal error: RuntimeError: boom"
    assert "Traceback" not in run.error


def test_a_crash_is_retried_when_the_template_allows_retries(devices, monkeypatch):
    import dataclasses

    from netcron import executors

    def explode(ctx, params):
        raise RuntimeError("flaky")

    monkeypatch.setitem(executors.job_types(), "noop", dataclasses.replace(executors.get_job_type("noop"),
                                                                          execute=explode))
    run = make_run(make_template(max_retries=1))
    execute(run)
    retry = JobRun.objects.get(retry_of=run)
    assert (retry.status, retry.triggered_by, retry.attempt) == ("pending", "retry", 2)
    assert retry.queued_at > run.finished_at  # backoff: the reaper publishes it when due
    execute(retry)
    assert not JobRun.objects.filter(retry_of=retry).exists()  # attempts exhausted


def test_a_template_at_its_concurrency_limit_defers_the_new_run(devices):
    template = make_template(max_concurrent_runs=1)
    make_run(template, status="running")
    waiting = make_run(template, published_at=None)
    assert execute(waiting) == "deferred"
    assert waiting.status == "pending"
    assert waiting.published_at is None
    assert waiting.queued_at > timezone.now()


def test_a_template_below_its_concurrency_limit_starts_the_run(devices):
    template = make_template(max_concurrent_runs=2)
    make_run(template, status="running")
    assert execute(make_run(template)) == "completed"


def test_a_device_busy_with_the_same_job_type_is_skipped_with_the_reason(devices):
    from netcron.jobs.models import DeviceLock

    other = make_run(make_template(name="other"), status="running")
    DeviceLock.objects.create(device=devices[0], job_type="noop", run=other)
    run = make_run(make_template())
    execute(run)
    result = run.device_results.get(device=devices[0])
    assert (result.status, result.message) == ("skipped", f"busy: run #{other.pk} of the same job type is working "
                                                          "on this device")
    assert run.count_ok == 2


def test_a_lock_left_by_a_finished_run_is_taken_over(devices):
    from netcron.jobs.models import DeviceLock

    dead = make_run(make_template(name="other"), status="failed")
    DeviceLock.objects.create(device=devices[0], job_type="noop", run=dead)
    run = make_run(make_template())
    execute(run)
    assert run.count_ok == 3


def test_device_locks_are_released_when_the_run_ends(devices):
    from netcron.jobs.models import DeviceLock

    run = make_run(make_template())
    execute(run)
    assert not DeviceLock.objects.exists()


def test_odd_digit_strings_in_device_targets_do_not_crash_resolution(devices):
    run = make_run(make_template(targets={"devices": ["²", "9" * 30, "r1"]}))
    execute(run)
    assert run.target_device_ids == [devices[0].pk]


@pytest.mark.django_db(transaction=True)
def test_a_trivial_run_costs_the_worker_two_statements_on_postgresql_and_five_on_sqlite():
    run = make_run(make_template(job_type="sleep", params={"seconds": 0, "steps": 1}, targets={}))
    with CaptureQueriesContext(connection) as captured:
        assert runner.execute_run(run.pk, worker="test@host-1", task_id="task-1") == "completed"
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("BEGIN", "COMMIT"))]
    # PostgreSQL: claim with its "started on" log line, finish with its "finished" line and whether any
    # notification rule is active (each one statement, no transaction around it). SQLite: claim, log line,
    # finish, log line, rules.
    expected = 2 if connection.vendor == "postgresql" else 5
    assert len(statements) == expected, "\n".join(sql[:120] for sql in statements)
    run.refresh_from_db()
    assert (run.status, run.progress_done, run.progress_total) == ("completed", 1, 1)
    assert list(run.logs.values_list("message", flat=True)) == [
        "started on test@host-1", "finished: completed (0 ok, 0 failed, 0 skipped)"]


def test_a_finish_does_not_resurrect_a_run_the_reaper_failed_meanwhile(db):
    run = make_run(make_template(job_type="sleep", params={"seconds": 0}, targets={}))
    outcome, claimed = runner.claim(run.pk, worker="w@h-1")
    assert outcome == "claimed"
    JobRun.objects.filter(pk=run.pk).update(status="failed", error="lost worker w@h-1")
    assert not runner.finish(claimed, "completed", result={"late": True})
    run.refresh_from_db()
    assert (run.status, run.error, run.result) == ("failed", "lost worker w@h-1", {})
    assert claimed.status == "failed"


def test_progress_the_throttle_held_back_is_written_by_the_next_heartbeat(devices):
    run = make_run(make_template())
    _, claimed = runner.claim(run.pk, worker="w@h-1")
    context = runner.Context(claimed, devices)
    heartbeat = runner.Heartbeat(claimed, interval=60)
    heartbeat.context = context
    context._last_progress_at -= 1  # the throttle period after the claim is over
    context.progress(1, 3)  # written at once
    context.progress(2, 3)  # within the throttle period: held back
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total) == (1, 3)
    heartbeat.beat()
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total) == (2, 3)


def test_progress_in_the_first_half_second_waits_for_the_heartbeat_the_claim_has_just_written(devices):
    run = make_run(make_template())
    _, claimed = runner.claim(run.pk, worker="w@h-1")
    context = runner.Context(claimed, devices)
    with CaptureQueriesContext(connection) as queries:
        context.progress(1, 3)
    assert len(queries) == 0  # a run that is over within half a second never writes its progress
    run.refresh_from_db()
    assert run.progress_done == 0
    assert runner.finish(claimed, "completed", context=context)
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total) == (3, 3)


def test_the_started_log_line_is_written_with_the_claim_and_only_then(db):
    run = make_run(make_template(job_type="sleep", params={"seconds": 0}, targets={}))
    assert runner.claim(run.pk, worker="w@h-1")[0] == "claimed"
    assert runner.claim(run.pk, worker="w@h-2")[0] == "duplicate"
    assert list(run.logs.values_list("message", flat=True)) == ["started on w@h-1"]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_each_running_run_until_it_is_stopped_and_then_never_again():
    template = make_template(job_type="sleep", params={"seconds": 0}, targets={})
    first, second = make_run(template), make_run(template)
    claimed = [runner.claim(run.pk, worker="w@h-1")[1] for run in (first, second)]
    JobRun.objects.update(heartbeat_at=timezone.now() - timezone.timedelta(hours=1))
    beats = [runner.Heartbeat(run, interval=0.05) for run in claimed]
    for heartbeat in beats:
        heartbeat.start()
    deadline = time.monotonic() + 10
    while JobRun.objects.filter(heartbeat_at__lt=timezone.now() - timezone.timedelta(minutes=1)).exists():
        assert time.monotonic() < deadline, "no heartbeat written"
        time.sleep(0.02)
    thread = runner._Beater.for_this_process()
    for heartbeat in beats:
        heartbeat.stop()
    stopped_at = {r.pk: r.heartbeat_at for r in JobRun.objects.all()}
    time.sleep(0.2)
    assert {r.pk: r.heartbeat_at for r in JobRun.objects.all()} == stopped_at
    assert thread.is_alive() and runner._Beater.for_this_process() is thread  # one thread, kept for the next run


def test_runs_that_start_and_end_between_two_beats_do_not_wake_the_heartbeat_thread(db):
    template = make_template(job_type="sleep", params={"seconds": 0}, targets={})
    long_running = runner.Heartbeat(make_run(template), interval=60)
    long_running.start()  # the thread now sleeps until this run's beat, a minute away
    thread = runner._Beater.for_this_process()
    deadline = time.monotonic() + 5
    while thread.wakes_at == 0.0 or thread.wakes_at == float("inf"):
        assert time.monotonic() < deadline, "the heartbeat thread never went to sleep"
        time.sleep(0.01)
    woken = []
    original = thread.changed.notify
    thread.changed.notify = lambda *a: (woken.append(a), original(*a))
    try:
        for _ in range(20):  # trivial runs: watched and unwatched long before their first beat
            short = runner.Heartbeat(make_run(template), interval=60)
            short.start()
            short.stop()
        assert woken == []
        urgent = runner.Heartbeat(make_run(template), interval=0.05)  # due before the thread wakes: woken
        urgent.start()
        assert len(woken) == 1
        urgent.stop()
    finally:
        thread.changed.notify = original
        long_running.stop()


@pytest.mark.django_db(transaction=True)
def test_the_claim_is_the_tasks_health_check_no_select_1_is_sent_before_it():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no health checks")
    from django.db import close_old_connections

    template = make_template(job_type="sleep", params={"seconds": 0}, targets={})
    runner.execute_run(make_run(template).pk, worker="w@h-1")  # the session is open
    run = make_run(template)
    close_old_connections()  # what the worker does before each task: the next query would check first
    checks = []
    usable = connection.is_usable
    connection.is_usable = lambda: checks.append(1) or usable()
    try:
        assert runner.execute_run(run.pk, worker="w@h-1") == "completed"
    finally:
        del connection.is_usable
    assert checks == []


@pytest.mark.django_db(transaction=True)
def test_a_claim_whose_database_session_died_since_the_last_task_reconnects_and_claims_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server sessions")
    import psycopg

    template = make_template(job_type="sleep", params={"seconds": 0}, targets={})
    runner.execute_run(make_run(template).pk, worker="w@h-1")
    run = make_run(template)
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
                         dbname=settings["NAME"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert runner.execute_run(run.pk, worker="w@h-1") == "completed"
    assert connection.connection.info.backend_pid != pid
    assert list(run.logs.values_list("message", flat=True)) == [
        "started on w@h-1", "finished: completed (0 ok, 0 failed, 0 skipped)"]


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_claim_and_the_finish_are_prepared_once_per_database_session_on_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL feature")
    template = make_template(job_type="sleep", params={"seconds": 0}, targets={})
    for _ in range(6):
        assert runner.execute_run(make_run(template).pk, worker="w@h-1") == "completed"
    statements = _prepared_statements()
    assert any(s.startswith("WITH claimed AS (UPDATE jobs_jobrun") for s in statements), statements
    assert any(s.startswith("WITH done AS (UPDATE jobs_jobrun") for s in statements), statements


def test_with_prepared_statements_switched_off_the_runner_prepares_nothing(db, settings):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL feature")
    settings.NETCRON_DATABASE_PREPARED_STATEMENTS = False  # e.g. behind PgBouncer in transaction mode
    template = make_template(job_type="sleep", params={"seconds": 0}, targets={})
    for _ in range(6):
        assert runner.execute_run(make_run(template).pk, worker="w@h-1") == "completed"
    assert not [s for s in _prepared_statements() if "jobs_jobrun" in s]


@pytest.mark.parametrize(("switch", "threshold"), [("", "5"), ("false", "None")])
def test_the_database_session_prepares_statements_unless_switched_off(switch, threshold, tmp_path):
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "NETCRON_DATA_DIR": str(tmp_path), "NETCRON_DATABASE_PREPARED_STATEMENTS": switch,
           "NETCRON_DATABASE_URL": "postgresql://netcron@db.invalid:5432/netcron"}
    shown = subprocess.run([sys.executable, "-c", "from netcron import settings; "
                            "print(settings.DATABASES['default']['OPTIONS'].get('prepare_threshold'))"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert shown == threshold


def test_a_worker_loads_every_job_type_before_it_forks_its_pool_processes(monkeypatch):
    from celery.signals import worker_init

    from netcron import executors
    from netcron.jobs import tasks

    assert tasks.load_job_types in [receiver for _, receiver in worker_init.receivers]
    monkeypatch.setattr(executors, "_registry", None)
    tasks.load_job_types()
    assert executors._registry is not None and "backup" in executors._registry
