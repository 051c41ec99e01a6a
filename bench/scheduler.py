"""Scheduler cost and fire lag, netcron vs django-celery-beat's DatabaseScheduler; pipeline throughput.

    .venv/bin/python bench/scheduler.py [--sizes 1000,10000,100000] [--due 1000] [--workers 2]
                                        [--concurrency 2] [--runs 1000] [--repeat 3] [--spread 60]
                                        [--beat-cap 60]
                                        [--skip-beat] [--skip-lag] [--skip-throughput] [--keep]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379; db 14 (or
the one in NETCRON_BENCH_REDIS_URL, e.g. redis://127.0.0.1:6379/3) is flushed. The databases
netcron_bench and beat_bench are dropped and created (dropped again at the end unless --keep).
django-celery-beat (the `bench` extra) is imported only in a helper process with its own minimal
Django settings.

Both systems get the same schedules, all in UTC: `--due` of them `* * * * *` (due every minute)
and the rest twice a day, `M H1,H2 * * *`, at hours ~8 h away from now (so they are not due during
the run, and beat's +-2 h hour filter, which only skips single-number hours, does not apply).
Sizes grow in place: 1k, then 9k more, then 90k more.

Per size:
* netcron, in-process (`tick()` publishing to Redis, no workers): wall time of the ticks that turn
  the D due schedules into runs (default batch 500 per tick; best of 2) and of a tick with nothing
  due (median of 20).
* netcron, live: one `netcron scheduler` (default 1 s interval) and --workers `netcron worker`
  processes; the D due schedules get next_fire_at = T0 (a whole second a few seconds ahead).
  queued = JobRun.queued_at - T0 (row inserted), start = started_at - T0 (worker claimed it).
* netcron, spread (--spread S, default 60; 0 skips it): the same D schedules turned into interval
  schedules an hour apart that fall due one after another over S seconds, i.e. D due per S seconds
  as a steady rate rather than all in the same second; lag after each one's own instant.
* beat, in a helper process: DatabaseScheduler's full load (its initial read; beat repeats it every
  5 min and after any schedule change), a tick() with nothing due (median of 5), then a fresh
  scheduler whose every-minute tasks last ran a minute before a boundary B, run in the loop of
  `celery beat` over B. queued = publish time - B, start = time a bare Celery worker (same worker
  count and concurrency) began the no-op task - B; `due tick` is the sum of tick() durations in the
  burst (beat sends one task per tick). A burst that has not finished --beat-cap s after B is cut
  off: the missing tasks count as lag > cap.

Takes about 10-13 minutes with the defaults (most of it waiting for beat and for minute boundaries).
The machine's load average is printed: on a shared machine, compare rows of one run, not runs.

Throughput: --runs manual runs of a `sleep` job (seconds=0) through launch() -> Redis ->
`netcron worker` -> DB, vs the same number of no-op tasks on a bare Celery app with the same
settings (acks_late, prefetch 1, json, prefork, Redis), both measured from the first publish to the
last completion with workers already running and warmed up. launch() creates and commits one run at a
time (one WAL flush each); the row "netcron scheduled" is the live burst of the first size seen the
same way, from the first run row the scheduler inserted to the last run finished, plus --repeat - 1
more such bursts at the last size. Each row is the best of --repeat measurements (a 2-core VM's
speed swings by a third between two measurements a few seconds apart, for bare Celery as for netcron).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"
REDIS = os.environ.get("NETCRON_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
NETCRON_DB, BEAT_DB = "netcron_bench", "beat_bench"
PARK = timedelta(days=1)  # due schedules wait this far in the future between measurements


# --- small helpers --------------------------------------------------------------------------------

def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *map(line, rows)])


def secs(value: float | None, cap: float | None = None) -> str:
    if value is None or value != value:
        return "-"
    if cap is not None and value > cap:
        return f">{cap:.0f} s"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS)


def idle_hours(now: datetime) -> str:
    return f"{(now.hour + 8) % 24},{(now.hour + 16) % 24}"


class Processes:
    """Child processes in their own sessions, stopped with SIGTERM (then SIGKILL) by process group."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.running: list[subprocess.Popen] = []
        self.count = 0

    def start(self, argv: list[str], env: dict, label: str) -> subprocess.Popen:
        self.count += 1
        out = (self.logdir / f"{self.count:02d}-{label}.log").open("w")
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.running.append(process)
        return process

    def stop(self, processes: list[subprocess.Popen] | None = None) -> None:
        targets = list(self.running if processes is None else processes)
        for process in targets:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in targets:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            self.running.remove(process)


def wait_for(predicate, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


# --- the bare Celery app (publisher, workers, and beat's target task) ------------------------------

@functools.cache
def noop_app(broker: str):
    """Celery with netcron's worker settings and one task that records when it ran."""
    from celery import Celery

    app = Celery("bench_noop", broker=broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_serializer="json", accept_content=["json"], task_ignore_result=True, result_backend=None,
        broker_connection_retry_on_startup=True, worker_send_task_events=False,
        broker_transport_options={"visibility_timeout": 12 * 3600, "polling_interval": 0.05},
        timezone="UTC", enable_utc=True,
    )
    clients: dict = {}

    @app.task(name="bench.noop")
    def noop(tag: str) -> None:
        import redis

        client = clients.get("redis") or clients.setdefault("redis", redis.Redis.from_url(broker))
        client.rpush(f"bench:{tag}", repr(time.time()))

    return app


def noop_worker_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", default=REDIS)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--name", default="noop")
    args = parser.parse_args(argv)
    app = noop_app(args.broker)
    app.worker_main(["worker", "-Q", "celery", "-n", f"{args.name}@%h", "--concurrency", str(args.concurrency),
                     "--loglevel", "INFO", "--pool", "prefork", "--without-gossip", "--without-mingle"])


def start_noop_workers(procs: Processes, workers: int, concurrency: int) -> list[subprocess.Popen]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    started = [procs.start([sys.executable, __file__, "_noop-worker", "--concurrency", str(concurrency),
                            "--name", f"noop{i}-{os.getpid()}"], env, f"noop-worker{i}")
               for i in range(workers)]
    # Ready when every pool process has run a task: 2 per pool process, wait for all of them.
    app, r = noop_app(REDIS), redis_client()
    r.delete("bench:warmup")
    warm = 2 * workers * concurrency
    for _ in range(warm):
        app.tasks["bench.noop"].apply_async(args=["warmup"])
    wait_for(lambda: r.llen("bench:warmup") >= warm, 120, "the bare Celery workers")
    return started


# --- django-celery-beat helper (own process, own settings) ----------------------------------------

def beat_main(argv: list[str]) -> None:
    """Populate beat_bench up to --total tasks, measure DatabaseScheduler, fire one minute boundary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--total", type=int, required=True)
    parser.add_argument("--due", type=int, required=True)
    parser.add_argument("--hours", required=True)
    parser.add_argument("--cap", type=float, default=60)
    parser.add_argument("--no-fire", action="store_true")
    args = parser.parse_args(argv)

    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django_celery_beat"],
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": BEAT_DB, "USER": "postgres",
                               "HOST": "127.0.0.1", "PORT": "5432", "CONN_MAX_AGE": 60}},
        USE_TZ=True, TIME_ZONE="UTC", DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        LOGGING_CONFIG=None,
    )
    django.setup()
    from django.core.management import call_command
    from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks
    from django_celery_beat.schedulers import DatabaseScheduler

    call_command("migrate", verbosity=0)
    out: dict = {}
    t = time.perf_counter()
    every, _ = CrontabSchedule.objects.get_or_create(minute="*", hour="*", day_of_month="*", month_of_year="*",
                                                     day_of_week="*", timezone="UTC")
    idle = [CrontabSchedule.objects.get_or_create(minute=str(m), hour=args.hours, day_of_month="*",
                                                  month_of_year="*", day_of_week="*", timezone="UTC")[0]
            for m in range(60)]
    have = PeriodicTask.objects.count()
    batch = []
    for i in range(have, args.total):
        due = i < args.due
        batch.append(PeriodicTask(name=f"task {i}", task="bench.noop", args=json.dumps(["beat"]),
                                  crontab=every if due else idle[i % 60], enabled=True))
        if len(batch) == 5000:
            PeriodicTask.objects.bulk_create(batch)
            batch = []
    PeriodicTask.objects.bulk_create(batch)
    PeriodicTasks.update_changed()
    out["populate_s"] = time.perf_counter() - t

    app = noop_app(REDIS)
    published: list[float] = []

    class Recording(DatabaseScheduler):
        def apply_async(self, entry, producer=None, advance=True, **kwargs):
            result = super().apply_async(entry, producer=producer, advance=advance, **kwargs)
            published.append(time.time())
            return result

    # Measure with nothing due: the every-minute tasks "last ran" a day ahead (a bulk UPDATE, which
    # beat does not notice as a change).
    every_minute = PeriodicTask.objects.filter(crontab=every)
    every_minute.update(last_run_at=datetime.now(UTC) + timedelta(days=1))
    t = time.perf_counter()
    scheduler = Recording(app=app)  # not lazy: the initial read loads every enabled task
    out["load_s"] = time.perf_counter() - t
    out["entries"] = len(scheduler.schedule)
    t = time.perf_counter()
    scheduler.tick()
    out["first_tick_s"] = time.perf_counter() - t  # builds the heap: is_due() of every entry
    idle_ticks = []
    for _ in range(5):
        t = time.perf_counter()
        scheduler.tick()
        idle_ticks.append(time.perf_counter() - t)
    out["idle_tick_s"] = statistics.median(idle_ticks)
    if args.no_fire:
        print(json.dumps(out))
        return

    # Fire: a fresh scheduler (as after a start or any schedule change) whose every-minute tasks last
    # ran a minute before a boundary B far enough ahead for its load, then celery.beat.Service.start's
    # loop over B.
    lead = 1.5 * (out["load_s"] + out["first_tick_s"]) + 5
    boundary = (int(time.time() + lead) // 60 + 1) * 60
    every_minute.update(last_run_at=datetime.fromtimestamp(boundary - 59, UTC))
    scheduler = Recording(app=app)
    published.clear()
    out["boundary"] = boundary
    burst_ticks: list[float] = []
    cleared = False
    while True:
        if not cleared and time.time() >= boundary - 1:  # count only the burst at the boundary
            published.clear()
            redis_client().delete("bench:beat")
            cleared = True
        t = time.perf_counter()
        interval = scheduler.tick()
        elapsed = time.perf_counter() - t
        if time.time() >= boundary:
            burst_ticks.append(elapsed)
        if len(published) >= args.due or time.time() > boundary + args.cap:
            break
        if interval and interval > 0:
            time.sleep(interval)
            if scheduler.should_sync():
                scheduler._do_sync()
    out["burst_tick_sum_s"] = sum(burst_ticks)
    out["burst_ticks"] = len(burst_ticks)
    out["published"] = published
    print(json.dumps(out))


# --- netcron --------------------------------------------------------------------------------------

def setup_netcron(data_dir: str) -> None:
    os.environ.update(NETCRON_DATA_DIR=data_dir, NETCRON_DATABASE_URL=f"{PG}/{NETCRON_DB}",
                      NETCRON_BROKER_URL=REDIS, NETCRON_LOG_LEVEL="WARNING",
                      DJANGO_SETTINGS_MODULE="netcron.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def netcron_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
    env.update(NETCRON_DATA_DIR=os.environ["NETCRON_DATA_DIR"], NETCRON_DATABASE_URL=f"{PG}/{NETCRON_DB}",
               NETCRON_BROKER_URL=REDIS, PYTHONUNBUFFERED="1")
    return env


class Netcron:
    def __init__(self, due: int, hours: str, procs: Processes):
        from netcron.jobs.models import JobTemplate

        self.due, self.hours, self.procs = due, hours, procs
        self.template = JobTemplate.objects.create(name="bench sleep 0", job_type="sleep",
                                                   params={"seconds": 0, "steps": 1})
        self.total = 0
        self.due_ids: list[int] = []

    def grow(self, total: int) -> float:
        from django.utils import timezone

        from netcron.jobs.models import JobSchedule
        from netcron.lib.cron import next_fire

        started = time.perf_counter()
        now = timezone.now()
        nexts = {m: next_fire(f"{m} {self.hours} * * *", "UTC", now) for m in range(60)}
        batch = []
        for i in range(self.total, total):
            if i < self.due:
                batch.append(JobSchedule(name=f"s{i}", template=self.template, cron_expr="* * * * *",
                                         next_fire_at=now + PARK))
            else:
                batch.append(JobSchedule(name=f"s{i}", template=self.template,
                                         cron_expr=f"{i % 60} {self.hours} * * *", next_fire_at=nexts[i % 60]))
            if len(batch) == 5000:
                JobSchedule.objects.bulk_create(batch)
                batch = []
        JobSchedule.objects.bulk_create(batch)
        self.total = total
        self.due_ids = list(JobSchedule.objects.filter(cron_expr="* * * * *").values_list("pk", flat=True))
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return time.perf_counter() - started

    def clear_runs(self) -> None:
        from netcron.jobs.models import JobRun

        JobRun.objects.all().delete()
        redis_client().flushdb()

    def park(self) -> None:
        from django.utils import timezone

        from netcron.jobs.models import JobSchedule

        JobSchedule.objects.filter(pk__in=self.due_ids).update(next_fire_at=timezone.now() + PARK)

    def measure_ticks(self, reps: int = 2) -> dict:
        """In-process tick(): the ticks that create D runs, then a tick with nothing due."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from netcron.jobs.models import JobSchedule
        from netcron.jobs.scheduler import tick

        def burst(count_queries: bool = False) -> tuple[float, int, int, datetime]:
            self.clear_runs()
            slot = timezone.now().replace(microsecond=0)
            JobSchedule.objects.filter(pk__in=self.due_ids).update(next_fire_at=slot)
            now = slot + timedelta(milliseconds=500)
            spent, ticks, created, queries = 0.0, 0, 0, 0
            while True:
                t = time.perf_counter()
                if count_queries:
                    connection.queries_log.clear()  # a full log (9000) would make the count 0
                    with CaptureQueriesContext(connection) as captured:
                        runs = tick(now=now)
                    queries += len(captured.captured_queries)
                else:
                    runs = tick(now=now)
                if not runs:
                    break
                spent += time.perf_counter() - t
                ticks += 1
                created += len(runs)
            assert created == self.due, (created, self.due)
            return spent, ticks, queries, now

        _, _, queries, _ = burst(count_queries=True)  # also warms caches and connections
        bursts = [burst() for _ in range(reps)]
        now = bursts[-1][3]
        idle = []
        for _ in range(20):  # the D schedules now wait for the next minute: nothing is due at `now`
            t = time.perf_counter()
            assert not tick(now=now)
            idle.append(time.perf_counter() - t)
        self.clear_runs()
        self.park()
        return {"due_tick_s": min(b[0] for b in bursts), "ticks": bursts[0][1],
                "idle_tick_s": statistics.median(idle), "queries": queries,
                "plan": self.claim_plan(now)}

    def claim_plan(self, now: datetime) -> str:
        """How PostgreSQL finds due schedules (the claim query of scheduler.claim_due)."""
        from django.db import transaction

        from netcron.jobs.models import JobSchedule

        with transaction.atomic():
            plan = (JobSchedule.objects.filter(is_active=True, next_fire_at__lte=now)
                    .select_related("template").order_by("next_fire_at")
                    .select_for_update(skip_locked=True, of=("self",))[:500].explain())
        scans = [line.strip(" ->") for line in plan.splitlines() if "Scan" in line and "jobs_jobschedule" in line]
        return scans[0].split("  (")[0] if scans else "?"


    def start_workers(self, workers: int, concurrency: int) -> list[subprocess.Popen]:
        from netcron.jobs.models import WorkerHeartbeat

        WorkerHeartbeat.objects.all().delete()
        started = [self.procs.start([sys.executable, "-m", "netcron", "worker", "--concurrency", str(concurrency)],
                                    netcron_env(), f"netcron-worker{i}") for i in range(workers)]
        wait_for(lambda: WorkerHeartbeat.objects.count() >= workers, 120, "netcron workers", 0.2)
        self.manual_runs(2 * workers * concurrency)  # warm every pool process
        return started

    def start_scheduler(self) -> subprocess.Popen:
        from netcron.jobs.models import SchedulerTick

        SchedulerTick.objects.all().delete()
        process = self.procs.start([sys.executable, "-m", "netcron", "scheduler"], netcron_env(), "netcron-scheduler")
        wait_for(lambda: SchedulerTick.objects.filter(ticks__gte=2).exists(), 120, "the netcron scheduler", 0.2)
        return process

    def manual_runs(self, count: int, timeout: float = 600) -> tuple[float, float, float]:
        """Launch `count` manual runs and wait for all; returns (start, all launched, last finished) epochs."""
        from django.db.models import Max

        from netcron.jobs import dispatch
        from netcron.jobs.choices import RunStatus
        from netcron.jobs.models import JobRun

        first = (JobRun.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        started = time.time()
        for _ in range(count):
            dispatch.launch(self.template)
        launched = time.time()
        runs = JobRun.objects.filter(pk__gte=first, schedule__isnull=True)
        wait_for(lambda: runs.filter(status__in=RunStatus.finished()).count() >= count, timeout,
                 f"{count} manual runs", 0.2)
        assert runs.filter(status=RunStatus.COMPLETED).count() == count
        last = runs.aggregate(m=Max("finished_at"))["m"].timestamp()
        return started, launched, last

    def live(self, workers: int, concurrency: int, spread: float = 0) -> dict:
        """Real scheduler + workers: the D schedules fall due at T0 (spread 0) or one after another over
        `spread` seconds, at whole seconds (D per `spread` as a steady rate: interval schedules an hour
        apart, so each fires once); lag of every run after its own slot."""
        from django.utils import timezone

        from netcron.jobs.choices import RunStatus, ScheduleKind
        from netcron.jobs.models import JobRun, JobSchedule

        self.clear_runs()
        self.park()
        pool = self.start_workers(workers, concurrency)
        scheduler = self.start_scheduler()
        due = JobSchedule.objects.filter(pk__in=self.due_ids)
        try:
            t0 = timezone.now().replace(microsecond=0) + timedelta(seconds=3)
            if not spread and t0.second > 40:  # keep the next `* * * * *` slot >= 20 s after T0: no second burst
                t0 = t0.replace(second=1) + timedelta(minutes=1)
            if spread:
                schedules = list(due.order_by("pk"))
                for i, schedule in enumerate(schedules):
                    schedule.kind, schedule.interval_seconds = ScheduleKind.INTERVAL, 3600
                    schedule.next_fire_at = t0 + timedelta(seconds=int(spread * i / len(schedules)))
                JobSchedule.objects.bulk_update(schedules, ["kind", "interval_seconds", "next_fire_at"],
                                                batch_size=500)
            else:
                due.update(next_fire_at=t0)
            runs = JobRun.objects.filter(scheduled_for__gte=t0, scheduled_for__lte=t0 + timedelta(seconds=spread))
            wait_for(lambda: runs.count() >= self.due, spread + 300, f"{self.due} runs from T0", 0.1)
            self.procs.stop([scheduler])
            wait_for(lambda: runs.filter(status__in=RunStatus.finished()).count() >= self.due, 600,
                     "the runs to finish", 0.2)
        finally:
            self.procs.stop([p for p in [scheduler, *pool] if p in self.procs.running])
            if spread:
                due.update(kind=ScheduleKind.CRON, interval_seconds=None)
        self.park()
        rows = list(runs.values_list("scheduled_for", "queued_at", "started_at", "status", "published_at",
                                     "finished_at"))
        assert len(rows) == self.due and all(r[3] == RunStatus.COMPLETED for r in rows), len(rows)
        queued = [(r[1] - r[0]).total_seconds() for r in rows]
        start = [(r[2] - r[0]).total_seconds() for r in rows]
        # As a pipeline (for the throughput table): from the first run row to the last run finished.
        first = min(r[1] for r in rows)
        wall = (max(r[5] for r in rows) - first).total_seconds()
        sent = (max(r[4] or r[2] for r in rows) - first).total_seconds()  # published_at is set after the batch
        pipeline = {"rate": self.due / wall, "publish_rate": self.due / sent if sent > 0 else float("nan"),
                    "wall": wall}
        return {"queued": queued, "start": start, "pipeline": pipeline}

    def throughput(self, runs: int, workers: int, concurrency: int, repeat: int) -> list[dict]:
        self.clear_runs()
        pool = self.start_workers(workers, concurrency)
        measured = []
        try:
            for _ in range(repeat):
                started, launched, last = self.manual_runs(runs)
                measured.append({"rate": runs / (last - started), "publish_rate": runs / (launched - started),
                                 "wall": last - started})
        finally:
            self.procs.stop(pool)
        return measured


def celery_throughput(runs: int) -> dict:
    app, r = noop_app(REDIS), redis_client()
    r.delete("bench:tp")
    task = app.tasks["bench.noop"]
    started = time.time()
    for _ in range(runs):
        task.apply_async(args=["tp"])
    launched = time.time()
    wait_for(lambda: r.llen("bench:tp") >= runs, 600, f"{runs} no-op tasks")
    last = max(float(x) for x in r.lrange("bench:tp", 0, -1))
    return {"rate": runs / (last - started), "publish_rate": runs / (launched - started), "wall": last - started}


def run_beat(total: int, due: int, hours: str, cap: float, fire: bool, workers_up: bool) -> dict:
    r = redis_client()
    r.delete("bench:beat")
    argv = [sys.executable, __file__, "_beat", "--total", str(total), "--due", str(due), "--hours", hours,
            "--cap", str(cap)]
    if not fire:
        argv.append("--no-fire")
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"beat helper failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if fire:
        boundary = out["boundary"]
        if workers_up:
            # the last published tasks may still be on their way to a worker
            wait_for(lambda: r.llen("bench:beat") >= len(out["published"]), 120, "beat's tasks to run")
        starts = [float(x) for x in r.lrange("bench:beat", 0, -1)]
        missing = due - len(out["published"])
        beyond = boundary + cap + 1e6  # not dispatched within the cap: counts as "more than cap"
        out["queued"] = [p - boundary for p in out["published"]] + [beyond - boundary] * missing
        out["start"] = [s - boundary for s in starts] + [beyond - boundary] * (due - len(starts))
    return out


# --- main -------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="total schedules, comma-separated")
    parser.add_argument("--due", type=int, default=1000, help="schedules due every minute")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (netcron and bare Celery)")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    parser.add_argument("--runs", type=int, default=1000, help="runs/tasks for the throughput rows")
    parser.add_argument("--repeat", type=int, default=3, help="throughput rows: best of this many measurements")
    parser.add_argument("--spread", type=float, default=60,
                        help="also: the --due schedules falling due one after another over this many seconds (0: not)")
    parser.add_argument("--beat-cap", type=float, default=60, help="seconds after the boundary to stop beat")
    parser.add_argument("--skip-beat", action="store_true")
    parser.add_argument("--skip-lag", action="store_true", help="only in-process tick times, no processes")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases and the log directory")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    if not sizes or sizes[0] < args.due:
        parser.error("every size must be at least --due")
    if not args.skip_beat:
        try:
            import django_celery_beat  # noqa: F401
        except ImportError:
            parser.error("django-celery-beat is not installed (pip install -e '.[bench]'), or use --skip-beat")

    workdir = Path(tempfile.mkdtemp(prefix="netcron-bench-scheduler-"))
    procs = Processes(workdir)
    began = time.monotonic()
    load_start = load()
    log(f"logs in {workdir}; {load_start}")
    recreate_database(NETCRON_DB)
    if not args.skip_beat:
        recreate_database(BEAT_DB)
    redis_client().flushdb()
    setup_netcron(str(workdir / "data"))
    from django.db import connection

    hours = idle_hours(datetime.now(UTC))
    netcron = Netcron(args.due, hours, procs)
    results: dict[int, dict] = {}
    loads: list[str] = []
    throughput: dict = {}
    failure = ""
    try:
        for size in sizes:
            row: dict = results.setdefault(size, {})
            log(f"netcron: {size} schedules")
            row["grow_s"] = netcron.grow(size)
            row["tick"] = netcron.measure_ticks()
            if not args.skip_lag:
                log(f"netcron: live lag at {size}")
                row["lag"] = netcron.live(args.workers, args.concurrency)
                if args.spread:
                    log(f"netcron: live lag at {size}, {args.due} due over {args.spread:.0f} s")
                    row["spread"] = netcron.live(args.workers, args.concurrency, args.spread)
            loads.append(f"netcron {size}: {load()}")
        if not args.skip_beat:
            noop = start_noop_workers(procs, args.workers, args.concurrency) if not args.skip_lag else []
            for size in sizes:
                log(f"beat: {size} schedules" + ("" if args.skip_lag else " (waits for the next minute)"))
                results[size]["beat"] = run_beat(size, args.due, hours, args.beat_cap, not args.skip_lag,
                                                 bool(noop))
                loads.append(f"beat {size}: {load()}")
            procs.stop(noop)
        if not args.skip_throughput:
            log(f"throughput: {args.runs} bare Celery no-op tasks, {args.repeat} times")
            noop = start_noop_workers(procs, args.workers, args.concurrency)
            try:
                throughput["celery"] = [celery_throughput(args.runs) for _ in range(args.repeat)]
            finally:
                procs.stop(noop)
            log(f"throughput: {args.runs} netcron runs, {args.repeat} times")
            throughput["netcron"] = netcron.throughput(args.runs, args.workers, args.concurrency, args.repeat)
            if "lag" in results[sizes[0]]:  # the live bursts seen as a pipeline: the first size's and more
                throughput["scheduled"] = [results[sizes[0]]["lag"]["pipeline"]]
                for _ in range(args.repeat - 1):
                    log(f"throughput: another live burst of {args.due} due schedules")
                    throughput["scheduled"].append(netcron.live(args.workers, args.concurrency)["pipeline"])
            loads.append(f"throughput: {load()}")
    except (Exception, KeyboardInterrupt) as exc:  # print what was measured so far
        failure = f"{type(exc).__name__}: {exc}"
        log(f"stopped early: {failure}")
    finally:
        procs.stop()
        connection.close()
        redis_client().flushdb()
        if not args.keep:
            drop_database(NETCRON_DB)
            if not args.skip_beat:
                drop_database(BEAT_DB)

    report(args, [size for size in sizes if "tick" in results.get(size, {})], results, throughput, hours)
    print()
    print(f"machine: {os.cpu_count()} CPUs; {load_start} at start, {load()} at the end; "
          f"total {time.monotonic() - began:.0f} s")
    for line in loads:
        print(f"  after {line}")
    if args.keep or failure:
        print(f"logs: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if failure:
        print(f"INCOMPLETE: {failure}")
        raise SystemExit(1)


def report(args, sizes: list[int], results: dict, throughput: dict, hours: str) -> None:
    import celery
    import django

    versions = f"Django {django.__version__}, Celery {celery.__version__}"
    try:
        from importlib.metadata import version

        versions += f", django-celery-beat {version('django-celery-beat')}"
    except Exception:  # noqa: S110 - only a label
        pass
    print(f"Scheduler: {args.due} schedules `* * * * *` due at once, the rest `M {hours} * * *`; PostgreSQL, "
          f"Redis; {args.workers} workers x {args.concurrency} processes; {versions}")
    headers = ["scheduler", "schedules", "due", "due tick", "idle tick", "full load", "queued p50", "queued p99",
               "start p50", "start p99", "start max"]
    rows = []
    for size in sizes:
        row = results[size]
        tick, lag = row["tick"], row.get("lag")
        rows.append(["netcron", f"{size:,}", f"{args.due}", f"{secs(tick['due_tick_s'])} ({tick['ticks']})",
                     secs(tick["idle_tick_s"]), "none",
                     *([secs(pct(lag["queued"], 50)), secs(pct(lag["queued"], 99)), secs(pct(lag["start"], 50)),
                        secs(pct(lag["start"], 99)), secs(max(lag["start"]))] if lag else ["-"] * 5)])
        spread = row.get("spread")
        if spread:
            rows.append(["netcron", f"{size:,}", f"{args.due}/{args.spread:.0f}s", "-", "-", "none",
                         secs(pct(spread["queued"], 50)), secs(pct(spread["queued"], 99)),
                         secs(pct(spread["start"], 50)), secs(pct(spread["start"], 99)), secs(max(spread["start"]))])
        beat = row.get("beat")
        if beat:
            cap = args.beat_cap
            fired = "queued" in beat
            rows.append(["beat", f"{size:,}", f"{args.due}",
                         f"{secs(beat['burst_tick_sum_s'])} ({beat['burst_ticks']})" if fired else "-",
                         secs(beat["idle_tick_s"]), secs(beat["load_s"]),
                         *([secs(pct(beat["queued"], 50), cap), secs(pct(beat["queued"], 99), cap),
                            secs(pct(beat["start"], 50), cap), secs(pct(beat["start"], 99), cap),
                            secs(max(beat["start"]), cap)] if fired else ["-"] * 5)])
    print(table(headers, rows))
    print("due tick: time spent in tick() creating/sending the due runs (number of ticks); idle tick: a tick with "
          "nothing due;\nfull load: beat reading every enabled task (at start, every 5 min, after any change); "
          "queued/start: lag after the\nscheduled instant until the run row is inserted (beat: task published) / "
          "a worker starts it.")
    if args.spread:
        print(f"due {args.due}/{args.spread:.0f}s: the same schedules falling due one after another over "
              f"{args.spread:.0f} s (as interval schedules), a steady {args.due} per {args.spread:.0f} s; "
              "lag after each one's own instant (netcron only).")
    extra = []
    for size in sizes:
        row = results[size]
        line = (f"  {size:>7,}: netcron {row['tick']['queries']} SQL statements in the ticks for {args.due} due "
                f"schedules, claim: {row['tick']['plan']}")
        if row.get("beat"):
            b = row["beat"]
            line += f"; beat: {b['entries']:,} entries loaded, heap build {secs(b['first_tick_s'])}"
            if "published" in b and len(b["published"]) < args.due:
                line += f", only {len(b['published'])}/{args.due} published within {args.beat_cap:.0f} s"
        extra.append(line)
    print("\n".join(extra))
    if "celery" in throughput and "netcron" in throughput:
        print()
        print(f"Throughput: {args.runs} runs, {args.workers} workers x {args.concurrency} processes, Redis broker; "
              f"best of {args.repeat} (done/s of every measurement in brackets)")
        best = {name: max(measured, key=lambda tp: tp["rate"]) for name, measured in throughput.items()}
        base = best["celery"]["rate"]
        rows = []
        for name, label in (("celery", "bare Celery no-op task"), ("netcron", "netcron run (sleep 0 s)"),
                            ("scheduled", f"netcron scheduled, {args.due} due")):
            if name not in best:
                continue
            tp = best[name]
            every = ", ".join(f"{m['rate']:.0f}" for m in throughput[name])
            rows.append([label, f"{tp['publish_rate']:.0f}", f"{tp['wall']:.1f} s", f"{tp['rate']:.0f} ({every})",
                         f"{tp['rate'] / base * 100:.0f} %"])
        print(table(["pipeline", "publish/s", "wall", "done/s", "vs Celery"], rows))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_beat":
        beat_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "_noop-worker":
        noop_worker_main(sys.argv[2:])
    else:
        main()
