"""The fault matrix of issue #11: real scheduler, worker and lab processes, one fault at a time.

Every case ends with the same two checks: each scheduled slot produced exactly one run, and no run is
left pending or running. On PostgreSQL the processes use Redis (the production shape); on SQLite they
use the netcron-fs broker (embedded mode). docs/operations.md, "What happens when...", tells operators
what each outcome looks like.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import time
from datetime import datetime, timedelta

import pygit2
import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from netcron.celery import use_broker
from netcron.inventory.models import Credential, Device, Location
from netcron.jobs import dispatch, scheduler
from netcron.jobs.choices import RunStatus
from netcron.jobs.models import JobRun, JobSchedule, JobTemplate
from netcron.lab import generate
from netcron.lab.testing import free_port, running_lab
from netcron.lib.gitstore import Change, GitStore
from tests.e2e.conftest import REDIS_URL, Schedulers, Workers, redis_available, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Short lease and republish delay so recovery takes seconds; the processes and this test's settings agree.
FAST = {"NETCRON_LEASE_SECONDS": "4", "NETCRON_REPUBLISH_AFTER_SECONDS": "3"}
LAB_BASE = "127.0.11.1"


class Stack:
    """One deployment's processes: schedulers and workers sharing the test database and a broker."""

    def __init__(self, tmp_path, broker_url: str):
        self.workers = Workers(tmp_path, broker_url)
        self.schedulers = Schedulers(tmp_path, broker_url)
        self.replaced: list[subprocess.Popen] = []  # workers that exited and were started again

    @staticmethod
    def env(**extra) -> dict:
        from django.conf import settings

        # The test process's key: credentials it stored must decrypt in the workers.
        return {**FAST, "NETCRON_SECRET_KEY": settings.SECRET_KEY, **extra}

    def start_worker(self, concurrency: int = 1) -> subprocess.Popen:
        return self.workers.start(concurrency=concurrency, extra_env=self.env())

    def start_scheduler(self, **extra_env) -> subprocess.Popen:
        return self.schedulers.start(extra_env=self.env(**extra_env))

    def alive(self) -> bool:
        processes = self.workers.processes + self.schedulers.processes
        return all(p.poll() is None for p in processes if p not in self.replaced)

    def restart_dead_workers(self, concurrency: int = 1) -> int:
        """Start a new worker for each one that exited, as systemd's Restart=always or `netcron up` would."""
        dead = [p for p in self.workers.processes if p.poll() is not None and p not in self.replaced]
        for _ in dead:
            self.start_worker(concurrency)
        self.replaced.extend(dead)
        return len(dead)

    def logs(self) -> str:
        return f"{self.schedulers.logs()}\n{self.workers.logs()}"

    def stop(self) -> None:
        self.schedulers.stop()
        self.workers.stop()


@pytest.fixture
def stack(tmp_path, settings):
    """PostgreSQL + Redis, or SQLite + the netcron-fs broker (embedded mode), per the test database."""
    settings.NETCRON_LEASE_SECONDS = int(FAST["NETCRON_LEASE_SECONDS"])
    settings.NETCRON_REPUBLISH_AFTER_SECONDS = int(FAST["NETCRON_REPUBLISH_AFTER_SECONDS"])
    if connection.vendor == "postgresql":
        if not redis_available():
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        import redis

        url = REDIS_URL
        redis.Redis.from_url(url).flushdb()
    else:
        url = f"netcron-fs://{tmp_path / 'broker'}"
    previous = use_broker(url)  # for what this process publishes itself (in-process ticks, launches)
    processes = Stack(tmp_path, url)
    yield processes
    processes.stop()
    use_broker(previous)
    if url == REDIS_URL:
        redis.Redis.from_url(url).flushdb()


def every(seconds: int, template: JobTemplate, slots: int, name: str = "every") -> JobSchedule:
    """An interval schedule with exactly `slots` slots, the first one second from now.

    Overlap "allow", so that every slot must produce a run, even while an earlier one is still going.
    """
    first = (timezone.now() + timedelta(seconds=1)).replace(microsecond=0)
    return JobSchedule.objects.create(name=name, template=template, kind="interval", interval_seconds=seconds,
                                      start_at=first, end_at=first + timedelta(seconds=seconds * (slots - 1)),
                                      next_fire_at=first, overlap_policy="allow")


def once_now(template: JobTemplate, name: str) -> JobSchedule:
    """A one-off schedule due right now."""
    now = timezone.now()
    return JobSchedule.objects.create(name=name, template=template, kind="once", run_at=now, next_fire_at=now)


def slots_of(schedule: JobSchedule) -> list[datetime]:
    """Every slot of the schedule from its first one up to (not including) its next fire."""
    schedule.refresh_from_db()
    slot, slots = schedule.start_at or schedule.run_at, []
    while slot is not None and (schedule.next_fire_at is None or slot < schedule.next_fire_at):
        slots.append(slot)
        slot = schedule.next_fire_after(slot)
    return slots


def fired(schedule: JobSchedule) -> list[datetime]:
    return list(schedule.runs.order_by("scheduled_for").values_list("scheduled_for", flat=True))


def assert_each_slot_ran_once(schedule: JobSchedule) -> None:
    slots = slots_of(schedule)
    assert slots, f"schedule {schedule.name} has no slot yet"
    assert fired(schedule) == slots
    assert schedule.skipped_count == 0
    for run in schedule.runs.all():
        assert run.logs.filter(message__startswith="started on").count() <= 1, f"run {run.pk} started twice"


def settle(stack: Stack, *schedules: JobSchedule, timeout: float = 180) -> None:
    """Wait until the schedules have fired their last slot and no run is pending or running."""
    def settled() -> bool:
        ended = not JobSchedule.objects.filter(pk__in=[s.pk for s in schedules], is_active=True).exists()
        return ended and not JobRun.objects.filter(status__in=RunStatus.active()).exists()

    wait_until(settled, timeout, "every slot to fire and every run to finish", stack.logs)


def running_run(schedule: JobSchedule) -> JobRun | None:
    return schedule.runs.filter(status=RunStatus.RUNNING).first()


def finished(schedule: JobSchedule) -> JobRun | None:
    return schedule.runs.exclude(status__in=RunStatus.active()).first()


# 1. kill -9 a worker mid-run ---------------------------------------------------------------------------------

def test_it_fails_a_run_whose_worker_is_killed_retries_it_and_runs_the_later_slots_once(stack):
    template = JobTemplate.objects.create(name="slow", job_type="sleep", params={"seconds": 3, "steps": 6},
                                          max_retries=1)
    schedule = every(4, template, slots=3)
    victim_worker = stack.start_worker()
    stack.start_scheduler()
    victim = wait_until(lambda: running_run(schedule), 60, "the first run to start", stack.logs)
    os.killpg(victim_worker.pid, signal.SIGKILL)
    victim_worker.wait()
    stack.start_worker()
    settle(stack, schedule)
    assert_each_slot_ran_once(schedule)
    lost = JobRun.objects.get(pk=victim.pk)
    assert lost.status == "failed" and lost.error.startswith("lost worker all@"), lost.error
    retry = JobRun.objects.get(retry_of=lost)
    assert (retry.status, retry.attempt, retry.triggered_by) == ("completed", 2, "retry")
    assert set(schedule.runs.exclude(pk=lost.pk).values_list("status", flat=True)) == {"completed"}


# 2. kill -9 the scheduler mid-tick -----------------------------------------------------------------------

def test_it_gives_every_slot_exactly_one_run_when_the_scheduler_is_killed_mid_tick_again_and_again(stack):
    template = JobTemplate.objects.create(name="quick", job_type="noop", targets={})
    schedules = [every(1, template, slots=12, name=f"s{i}") for i in range(8)]
    stack.start_worker(concurrency=2)
    kills = 0
    for _ in range(3):
        before = JobRun.objects.count()
        # Two schedules per tick: with 8 due every second the scheduler is almost always inside a tick.
        process = stack.start_scheduler(NETCRON_SCHEDULER_BATCH="2")
        wait_until(lambda b=before: JobRun.objects.count() >= b + 4, 120, "the scheduler to create runs",
                   stack.logs)
        if JobSchedule.objects.filter(is_active=True).exists():
            kills += 1
        stack.schedulers.kill(process)
    assert kills == 3, "the schedules ended before the scheduler was killed three times"
    survivor = stack.start_scheduler(NETCRON_SCHEDULER_BATCH="2")
    settle(stack, *schedules)
    assert survivor.poll() is None
    for schedule in schedules:
        assert_each_slot_ran_once(schedule)
    assert set(JobRun.objects.values_list("status", flat=True)) == {"completed"}
    assert JobRun.objects.count() == 8 * 12


# 3. Redis stopped for 30 s and restarted -------------------------------------------------------------------

def test_it_runs_every_slot_of_a_30_second_redis_outage_once_after_redis_returns(tmp_path, private_redis):
    if connection.vendor != "postgresql":
        pytest.skip("Redis is the PostgreSQL deployment's broker; embedded mode (SQLite) has no Redis to stop")
    stack = Stack(tmp_path, private_redis.url)
    try:
        template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 1.5, "steps": 3})
        schedule = every(3, template, slots=14)
        stack.start_worker(concurrency=2)
        scheduler_process = stack.start_scheduler()
        in_flight = wait_until(lambda: running_run(schedule), 60, "a run to start", stack.logs)
        private_redis.kill()  # Redis keeps nothing on disk here: every queued message is gone with it
        stopped_at = timezone.now()
        time.sleep(30)
        assert scheduler_process.poll() is None, stack.logs()
        # Redis answers as soon as its process listens; with a 0.1 s scheduler a run can start before the
        # ping loop in start() returns, so "back" is the moment Redis was started.
        back_at = timezone.now()
        private_redis.start()
        # A worker that loses Redis under a run exits (see the xfail below); its service manager restarts it.
        stack.restart_dead_workers(concurrency=2)
        settle(stack, schedule)
        assert stack.alive(), stack.logs()
    finally:
        stack.stop()
    assert_each_slot_ran_once(schedule)
    assert set(schedule.runs.values_list("status", flat=True)) == {"completed"}
    assert JobRun.objects.get(pk=in_flight.pk).finished_at is not None
    during = schedule.runs.filter(scheduled_for__gt=stopped_at, scheduled_for__lt=back_at)
    assert during.count() >= 8
    assert all(run.started_at >= back_at for run in during)


def test_a_worker_keeps_running_when_redis_goes_away_under_a_run(tmp_path, private_redis):
    if connection.vendor != "postgresql":
        pytest.skip("Redis is the PostgreSQL deployment's broker; embedded mode (SQLite) has no Redis to stop")
    stack = Stack(tmp_path, private_redis.url)
    previous = use_broker(private_redis.url)
    try:
        worker = stack.start_worker(concurrency=2)
        template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 2, "steps": 4})
        first = dispatch.launch(template)
        wait_until(lambda: JobRun.objects.get(pk=first.pk).status == RunStatus.RUNNING, 60, "the run to start",
                   stack.logs)
        private_redis.kill()
        wait_until(lambda: JobRun.objects.get(pk=first.pk).is_finished, 60, "the run to finish", stack.logs)
        private_redis.start()
        use_broker(private_redis.url)
        second = dispatch.launch(template)
        wait_until(lambda: JobRun.objects.get(pk=second.pk).is_finished or worker.poll() is not None, 90,
                   "the next run to finish or the worker to exit", stack.logs)
        assert worker.poll() is None, stack.workers.logs()
        assert JobRun.objects.get(pk=second.pk).status == RunStatus.COMPLETED
    finally:
        stack.stop()
        use_broker(previous)


# 4. PostgreSQL connections dropped during a run ----------------------------------------------------------

def terminate_backends() -> int:
    """pg_terminate_backend on every other session of this test database (never another database's)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def test_it_ends_the_runs_in_flight_and_fires_the_next_slots_when_postgresql_connections_are_dropped(stack):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server connections to drop")
    template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 4, "steps": 8})
    schedule = every(3, template, slots=4)
    stack.start_worker(concurrency=2)
    stack.start_scheduler()
    wait_until(lambda: schedule.runs.filter(status=RunStatus.RUNNING, progress_done__gte=2).exists(), 60,
               "a run to be under way", stack.logs)
    in_flight = set(schedule.runs.filter(status=RunStatus.RUNNING).values_list("pk", flat=True))
    assert terminate_backends() >= 2  # the worker's and the scheduler's sessions at least
    settle(stack, schedule)
    assert stack.alive(), stack.logs()
    assert_each_slot_ran_once(schedule)
    for run in schedule.runs.filter(pk__in=in_flight):
        assert run.status == "completed" or (run.status == "failed" and run.error), (run.status, run.error)
    assert set(schedule.runs.exclude(pk__in=in_flight).values_list("status", flat=True)) == {"completed"}


def test_a_run_whose_database_session_is_terminated_fails_with_the_database_error_not_as_a_lost_worker(stack):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server connections to drop")
    template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 4, "steps": 8})
    stack.start_worker()
    stack.start_scheduler()
    run = dispatch.launch(template)
    wait_until(lambda: JobRun.objects.filter(pk=run.pk, progress_done__gte=2).exists(), 60, "the run to be under way",
               stack.logs)
    terminate_backends()
    wait_until(lambda: JobRun.objects.get(pk=run.pk).is_finished, 60, "the run to end", stack.logs)
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "internal error: OperationalError: terminating connection due "
                                                 "to administrator command")


# 5 and 6. A full disk under the backup repository, a device that hangs --------------------------------------

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    devices = generate(3, ["cisco_ios"], port=free_port(LAB_BASE), base_address=LAB_BASE, config_lines=120)
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


@pytest.fixture
def fleet(lab):
    credential = Credential(name="lab", username="admin", host_key_policy="tofu")
    credential.set_secrets(password="admin", enable_secret="enable")
    credential.save()
    location = Location.objects.create(name="dc1")
    yield {spec.name: Device.objects.create(name=spec.name, host=spec.host, port=spec.port, platform=spec.platform,
                                            location=location, credential=credential) for spec in lab.specs}
    for spec in lab.specs:
        lab.clear_faults(spec.name)


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs mounted where the workers keep the backup repository (their DATA_DIR/configs)."""
    mount_point = tmp_path / "worker-data" / "configs"
    mount_point.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def fill(path, leave: int = 0) -> None:
    """Write zeros until the file system has only `leave` bytes free (or says it is full)."""
    fd = os.open(path / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while (free := shutil.disk_usage(path).free) > leave:
            os.write(fd, b"\0" * min(65536, free - leave))
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def test_it_fails_the_backup_with_no_space_left_on_a_full_disk_and_commits_after_space_is_freed(
        small_disk, lab, fleet, stack):
    template = JobTemplate.objects.create(name="backup", job_type="backup", targets={"all": True},
                                          params={"device_timeout": 30, "connect_timeout": 10})
    stack.start_worker()
    stack.start_scheduler()
    before = once_now(template, "before")
    first = wait_until(lambda: finished(before), 90, "the first backup", stack.logs)
    assert (first.status, first.count_ok) == ("completed", 3), first.error

    for name in fleet:
        lab.configure(name, ["interface GigabitEthernet1/0/2", f"description changed-on-a-full-disk-{name}"])
    fill(small_disk)
    full = once_now(template, "full")
    failed = wait_until(lambda: finished(full), 90, "the backup on the full disk", stack.logs)
    assert (failed.status, failed.error, failed.count_failed) == ("failed", "all devices failed", 3)
    for result in failed.device_results.all():
        assert result.status == "failed"
        assert result.message.startswith("fetched, but the commit failed: cannot write to repository")
        assert "no space left on device" in result.message

    (small_disk / "filler").unlink()
    after = once_now(template, "after")
    done = wait_until(lambda: finished(after), 90, "the backup after freeing space", stack.logs)
    assert (done.status, done.count_ok, done.result["changed"]) == ("completed", 3, 3), done.error
    settle(stack, before, full, after)
    for schedule in (before, full, after):
        assert_each_slot_ran_once(schedule)

    repo = pygit2.Repository(str(small_disk))
    newest, oldest = list(repo.walk(repo.head.target))
    assert (str(oldest.id), str(newest.id)) == (first.result["commit"], done.result["commit"])
    assert not repo.status(), "the checked-out files match the last commit"
    if shutil.which("git"):
        fsck = subprocess.run(["git", "-C", str(small_disk), "fsck", "--full", "--strict"], capture_output=True,
                              text=True)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_it_keeps_a_commit_whose_checked_out_files_did_not_fit_and_brings_them_in_step_later(small_disk):
    store = GitStore(small_disk / "repo")
    with store.locked():
        store.commit([Change("r1.cfg", b"hostname r1\n")], "first")
    big = b"interface x\n description compressible\n" * 6000  # 228 KB checked out, about 1 KB as a git object
    fill(small_disk, leave=40 * 1024)
    with store.locked():
        result = store.commit([Change("r2.cfg", big)], "second")
    assert result.commit is not None
    assert result.worktree_error == ("committed, but the checked-out files could not be updated: cannot write to "
                                     f"repository {small_disk / 'repo'}: no space left on device")
    (small_disk / "filler").unlink()
    with store.locked():
        store.commit([Change("r1.cfg", b"hostname r1-renamed\n")], "third")
    repo = pygit2.Repository(str(small_disk / "repo"))
    assert [c.message for c in repo.walk(repo.head.target)] == ["third", "second", "first"]
    assert not repo.status()
    assert (small_disk / "repo" / "r2.cfg").read_bytes() == big


def test_it_fails_only_the_hanging_device_with_a_timeout_and_finishes_the_run(lab, fleet, stack):
    lab.set_fault("ios-0002", "hang")
    # The device accepts the login and then never answers: only the per-device timeout can end its session.
    timeouts = {"device_timeout": 3, "connect_timeout": 60, "command_timeout": 60}
    backup = JobTemplate.objects.create(name="backup", job_type="backup", targets={"all": True}, params=timeouts)
    commands = JobTemplate.objects.create(name="commands", job_type="run_commands", targets={"all": True},
                                          params={"commands": ["show version"], **timeouts})
    stack.start_worker(concurrency=2)
    stack.start_scheduler()
    schedules = [once_now(backup, "backup"), once_now(commands, "commands")]  # in parallel, one per process
    settle(stack, *schedules)
    for schedule in schedules:
        assert_each_slot_ran_once(schedule)
        [run] = schedule.runs.all()
        assert (run.status, run.count_ok, run.count_failed) == ("completed", 2, 1), run.error
        results = {r.device_name: r for r in run.device_results.all()}
        assert results["ios-0002"].status == "failed"
        assert results["ios-0002"].message.startswith("timed out after 3"), results["ios-0002"].message
        assert results["ios-0001"].status == results["ios-0003"].status == "ok"


# 7. The scheduler's clock jumps forward one hour -----------------------------------------------------------

def test_it_lets_each_misfire_policy_decide_once_when_the_schedulers_clock_jumps_an_hour(stack):
    template = JobTemplate.objects.create(name="quick", job_type="noop", targets={})
    first = (timezone.now() + timedelta(minutes=1)).replace(second=0, microsecond=0)
    schedules = {
        policy: JobSchedule.objects.create(name=policy, template=template, cron_expr="* * * * *", next_fire_at=first,
                                           misfire_policy=policy, misfire_grace_seconds=5, overlap_policy="allow")
        for policy in ("run_once", "skip", "run_all")
    }
    stack.start_worker(concurrency=2)
    with time_machine.travel(first, tick=True):
        assert len(scheduler.tick()) == 3  # each fires its slot on time
    with time_machine.travel(first + timedelta(hours=1, seconds=30), tick=True):
        caught_up = scheduler.tick()
        assert scheduler.tick() == []  # the next tick finds nothing more: no duplicates
    settle(stack)
    assert len(caught_up) == 1 + 60
    minutes = [first + timedelta(minutes=m) for m in range(61)]
    expected = {"run_once": ([first, minutes[-1]], 59), "skip": ([first], 60), "run_all": (minutes, 0)}
    for policy, schedule in schedules.items():
        schedule.refresh_from_db()
        assert (fired(schedule), schedule.skipped_count) == expected[policy], policy
        assert schedule.next_fire_at == first + timedelta(minutes=61)
    assert set(JobRun.objects.values_list("status", flat=True)) == {"completed"}

    # Back on the right time the next slots are an hour ahead; pausing and resuming recomputes them from now.
    assert scheduler.tick() == []
    schedule = schedules["run_once"]
    schedule.set_active(False)
    schedule.set_active(True)
    assert schedule.next_fire_at <= timezone.now() + timedelta(minutes=1)


def test_it_does_not_fail_a_healthy_run_when_the_schedulers_clock_jumps_forward(stack):
    template = JobTemplate.objects.create(name="slow", job_type="sleep", params={"seconds": 3, "steps": 6},
                                          max_retries=1)
    stack.start_worker()
    run = dispatch.launch(template)
    wait_until(lambda: JobRun.objects.get(pk=run.pk).status == RunStatus.RUNNING, 60, "the run to start",
               stack.logs)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
        scheduler.SchedulerLoop(name="scheduler@jumped").run_once()  # a tick and a reaper pass
    run.refresh_from_db()
    assert (run.status, run.error) == ("running", "")
    assert not JobRun.objects.filter(retry_of=run).exists()
    wait_until(lambda: JobRun.objects.get(pk=run.pk).status == RunStatus.COMPLETED, 60, "the run to finish",
               stack.logs)
