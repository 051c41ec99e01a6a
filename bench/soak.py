"""Soak: N schedules firing every minute, a mix of job types against the lab, for a set time.

    .venv/bin/python bench/soak.py [--schedules 1000] [--minutes 30] [--workers 2] [--concurrency 2]
                                   [--schedulers 1] [--devices 20] [--drain 300] [--keep]

Production shape: PostgreSQL (127.0.0.1:5432, user postgres, trust; the database netcron_soak is
dropped and created) and Redis (NETCRON_BENCH_REDIS_URL, default redis://127.0.0.1:6379/13, flushed),
real `netcron scheduler` and `netcron worker` processes, and `netcron lab` devices on 127.0.13.x.
Every schedule is `* * * * *` (overlap policy skip: a slot whose previous run is still going is
skipped and counted). The job mix, by schedule: 50 % sleep 0.2 s (no devices), 25 % noop over 2
devices, 15 % reachability (tcp) over 2 devices, 7 % run_commands `show version` on 2 devices, 3 %
backup of 2 devices; schedule i works on device pair i mod (devices / 2).

Every 15 s it samples the workers' memory (RSS of each worker with its pool processes), the database
size, the ready messages in Redis and the runs by status. After --minutes it stops the scheduler,
waits up to --drain seconds for the runs to finish, stops the workers and reports: runs started,
finished and failed (with the most common errors), fire lag (start of the run minus its slot) p50/p99
per minute, memory and database size over time, and the checks, which make the exit status non-zero
when they fail:

* no lost run: after the drain nothing is pending or running;
* no duplicate: no run was started twice (one "started on" line per run), no slot has two runs;
* every slot accounted for: per schedule, runs + skipped slots = the slots from its first to its last.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = "postgresql://postgres@127.0.0.1:5432"
DB = "netcron_soak"
REDIS = os.environ.get("NETCRON_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
LAB_BASE = "127.0.13.1"
MIX = [("sleep", 50), ("noop", 25), ("reachability", 15), ("run_commands", 7), ("backup", 3)]
PARAMS = {
    "sleep": {"seconds": 0.2, "steps": 2},
    "noop": {},
    "reachability": {"checks": ["tcp"], "timeout_s": 5},
    "run_commands": {"commands": ["show version"]},
    "backup": {},
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def psql(sql: str, db: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        conn.execute(sql)


def job_type_of(index: int) -> str:
    bucket, total = index % 100, 0
    for name, share in MIX:
        total += share
        if bucket < total:
            return name
    return MIX[-1][0]


def start(argv: list[str], env: dict, logfile: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=logfile.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def start_lab(devices: int, port: int, workdir: Path) -> subprocess.Popen:
    lab = subprocess.Popen([sys.executable, "-m", "netcron.lab", "--devices", str(devices), "--platforms",
                            "cisco_ios,arista_eos", "--port", str(port), "--base-address", LAB_BASE,
                            "--snmp-port", "0", "--data-dir", str(workdir / "lab"), "--duration", "86400"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           start_new_session=True)
    for line in lab.stdout:
        if line.strip() == "READY":
            return lab
    raise SystemExit("the lab did not start")


def setup(args, workdir: Path, port: int) -> list[int]:
    """Database, inventory, templates and schedules; returns the schedule ids."""
    os.environ.update(NETCRON_DATA_DIR=str(workdir / "data"), NETCRON_DATABASE_URL=f"{PG}/{DB}",
                      NETCRON_BROKER_URL=REDIS, NETCRON_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="netcron.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from netcron.inventory.models import Credential, Device, Location
    from netcron.jobs.models import JobSchedule, JobTemplate
    from netcron.lab import generate

    call_command("migrate", interactive=False, verbosity=0)
    JobSchedule.objects.filter(is_system=True).update(is_active=False)  # only the soak's schedules fire
    specs = generate(args.devices, ["cisco_ios", "arista_eos"], port=port, base_address=LAB_BASE)
    credential = Credential(name="soak-lab", username=specs[0].username, host_key_policy="tofu")
    credential.set_secrets(password=specs[0].password, enable_secret=specs[0].enable_secret)
    credential.save()
    location = Location.objects.create(name="soak")
    devices = [Device.objects.create(name=s.name, host=s.host, port=s.port, platform=s.platform, location=location,
                                     credential=credential) for s in specs]
    pairs = [devices[i:i + 2] for i in range(0, len(devices) - 1, 2)]
    templates: dict[tuple[str, int], JobTemplate] = {}
    first = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    if (first - timezone.now()).total_seconds() < 20:  # time to start the processes before the first slot
        first += timedelta(minutes=1)
    schedules = []
    for i in range(args.schedules):
        kind, pair = job_type_of(i), i % len(pairs)
        key = (kind, pair if kind != "sleep" else 0)
        if key not in templates:
            targets = {} if kind == "sleep" else {"devices": [d.name for d in pairs[pair]]}
            templates[key] = JobTemplate.objects.create(name=f"soak {kind} {key[1]}", job_type=kind,
                                                        params=PARAMS[kind], targets=targets, timeout_seconds=300)
        schedules.append(JobSchedule(name=f"soak {i}", template=templates[key], cron_expr="* * * * *",
                                     next_fire_at=first))
    JobSchedule.objects.bulk_create(schedules, batch_size=1000)
    log(f"{args.schedules} schedules over {len(templates)} templates, first slot {first:%H:%M:%S} UTC")
    return list(JobSchedule.objects.filter(is_system=False).values_list("pk", flat=True))


def rss_mb(process: subprocess.Popen) -> float:
    import psutil

    try:
        parent = psutil.Process(process.pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
    except psutil.NoSuchProcess:
        return float("nan")


def sample(workers: list[subprocess.Popen], began: float) -> dict:
    import redis
    from django.db import connection
    from django.db.models import Count

    from netcron.conf import ALL_QUEUES
    from netcron.jobs.models import JobRun

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        db_bytes = cursor.fetchone()[0]
    client = redis.Redis.from_url(REDIS)
    by_status = dict(JobRun.objects.values_list("status").annotate(n=Count("id")))
    return {"t": time.monotonic() - began, "rss": [rss_mb(w) for w in workers], "db_mb": db_bytes / 2**20,
            "queued": sum(client.llen(q) for q in ALL_QUEUES), "status": by_status}


def checks(schedule_ids: list[int]) -> tuple[list[str], dict]:
    """The end-of-run checks; returns the failures and the numbers behind them."""
    from django.db.models import Count, Max, Min

    from netcron.jobs.choices import RunStatus
    from netcron.jobs.models import JobRun, JobSchedule, RunLog

    failures = []
    runs = JobRun.objects.filter(schedule_id__in=schedule_ids)
    unfinished = runs.filter(status__in=RunStatus.active()).count()
    if unfinished:
        failures.append(f"{unfinished} run(s) still pending or running after the drain (lost)")
    twice = (RunLog.objects.filter(run__in=runs, message__startswith="started on").values("run")
             .annotate(n=Count("id")).filter(n__gt=1).count())
    if twice:
        failures.append(f"{twice} run(s) started more than once")
    slots = runs.values("schedule_id", "scheduled_for").annotate(n=Count("id")).filter(n__gt=1).count()
    if slots:
        failures.append(f"{slots} slot(s) with more than one run")
    per_schedule = {row["schedule_id"]: row for row in runs.values("schedule_id").annotate(
        n=Count("id"), first=Min("scheduled_for"), last=Max("scheduled_for"))}
    unaccounted = 0
    for schedule in JobSchedule.objects.filter(pk__in=schedule_ids).only("id", "skipped_count", "last_fire_at"):
        row = per_schedule.get(schedule.pk)
        if row is None or schedule.last_fire_at is None:
            unaccounted += 1
            continue
        # Slots from its first run to its last fired slot, one a minute; each either ran or was skipped.
        expected = int((schedule.last_fire_at - row["first"]).total_seconds() // 60) + 1
        if row["n"] + schedule.skipped_count != expected:
            unaccounted += 1
    if unaccounted:
        failures.append(f"{unaccounted} schedule(s) whose runs + skipped slots differ from their slots")
    return failures, {"runs": runs.count(), "unfinished": unfinished}


def report(args, samples: list[dict], schedule_ids: list[int], failures: list[str]) -> None:
    from django.db.models import Count, F

    from netcron.jobs.models import JobRun, JobSchedule

    runs = JobRun.objects.filter(schedule_id__in=schedule_ids)
    by_status = Counter(dict(runs.values_list("status").annotate(n=Count("id"))))
    started = runs.filter(started_at__isnull=False).count()
    skipped = sum(JobSchedule.objects.filter(pk__in=schedule_ids).values_list("skipped_count", flat=True))
    print(f"Soak: {args.schedules} schedules `* * * * *` for {args.minutes} min, {args.workers} workers x "
          f"{args.concurrency} processes, {args.schedulers} scheduler(s), {args.devices} lab devices; "
          "PostgreSQL + Redis")
    print(f"runs: {sum(by_status.values())} created, {started} started, "
          f"{by_status['completed'] + by_status['failed'] + by_status['cancelled']} finished "
          f"({by_status['completed']} completed, {by_status['failed']} failed, {by_status['cancelled']} cancelled), "
          f"{skipped} slots skipped by the overlap policy")
    for error, count in (runs.filter(status="failed").values_list("error").annotate(n=Count("id"))
                         .order_by("-n")[:5]):
        print(f"  failed x{count}: {error[:150]}")
    lag = runs.filter(started_at__isnull=False).annotate(lag=F("started_at") - F("scheduled_for"))
    rows = {}
    for slot, delay in lag.values_list("scheduled_for", "lag"):
        rows.setdefault(slot, []).append(delay.total_seconds())
    print("\nfire lag (start of the run minus its slot), per slot:")
    print(f"{'slot (UTC)':<10} {'runs':>6} {'p50':>8} {'p99':>8} {'max':>8}")
    for slot in sorted(rows):
        values = rows[slot]
        print(f"{slot:%H:%M:%S}   {len(values):>6} {pct(values, 50):>7.2f}s {pct(values, 99):>7.2f}s "
              f"{max(values):>7.2f}s")
    everything = [v for values in rows.values() for v in values]
    print(f"all slots: p50 {pct(everything, 50):.2f} s, p99 {pct(everything, 99):.2f} s")
    print("\nover time (workers' RSS with their pool processes):")
    print(f"{'t':>6} {'worker RSS MB':>20} {'DB MB':>8} {'in Redis':>9}  runs by status")
    for s in samples:
        status = ", ".join(f"{k} {v}" for k, v in sorted(s["status"].items()))
        rss = "/".join(f"{r:.0f}" for r in s["rss"])
        print(f"{s['t']:>5.0f}s {rss:>20} {s['db_mb']:>8.1f} {s['queued']:>9}  {status}")
    if len(samples) >= 2:
        first, last = samples[0], samples[-1]
        warm = next((s for s in samples if s["status"]), first)  # workers have run the first slot's jobs
        grown = last["db_mb"] - first["db_mb"]
        finished = sum(by_status[k] for k in ("completed", "failed", "cancelled"))
        print(f"database: {first['db_mb']:.1f} -> {last['db_mb']:.1f} MB "
              f"({grown / max(finished, 1) * 1000:.2f} MB per 1000 runs); worker RSS after the first slot "
              f"{statistics.mean(warm['rss']):.0f} MB, at the end {statistics.mean(last['rss']):.0f} MB on average")
    print("\nchecks: " + ("all passed (no lost run, no duplicate, every slot accounted for)" if not failures
                          else "FAILED\n  " + "\n  ".join(failures)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--schedulers", type=int, default=1)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--drain", type=float, default=300, help="seconds to wait for the last runs")
    parser.add_argument("--keep", action="store_true", help="keep the database and the log directory")
    args = parser.parse_args()
    if args.devices < 2:
        parser.error("--devices must be at least 2")

    import redis

    from netcron.lab.testing import free_port

    workdir = Path(tempfile.mkdtemp(prefix="netcron-soak-"))
    log(f"logs in {workdir}; {load()}")
    psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{DB}"')
    redis.Redis.from_url(REDIS).flushdb()
    port = free_port(LAB_BASE)
    lab = start_lab(args.devices, port, workdir)
    processes: list[subprocess.Popen] = []
    samples: list[dict] = []
    failures = ["not run"]
    try:
        schedule_ids = setup(args, workdir, port)
        from django.db import connection

        from netcron.jobs.choices import RunStatus
        from netcron.jobs.models import JobRun

        env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
        env.update(NETCRON_DATA_DIR=os.environ["NETCRON_DATA_DIR"], NETCRON_DATABASE_URL=f"{PG}/{DB}",
                   NETCRON_BROKER_URL=REDIS, NETCRON_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
        workers = [start([sys.executable, "-m", "netcron", "worker", "--concurrency", str(args.concurrency)], env,
                         workdir / f"worker{i}.log") for i in range(args.workers)]
        schedulers = [start([sys.executable, "-m", "netcron", "scheduler"], env, workdir / f"scheduler{i}.log")
                      for i in range(args.schedulers)]
        processes = workers + schedulers
        began = time.monotonic()
        log(f"running for {args.minutes} min")
        while time.monotonic() - began < args.minutes * 60:
            samples.append(sample(workers, began))
            time.sleep(min(15, max(0.0, args.minutes * 60 - (time.monotonic() - began))))
        stop(schedulers)
        log(f"scheduler stopped; draining (up to {args.drain:.0f} s)")
        deadline = time.monotonic() + args.drain
        active = JobRun.objects.filter(status__in=RunStatus.active())
        while active.exists() and time.monotonic() < deadline:
            time.sleep(2)
        samples.append(sample(workers, began))
        stop(workers)
        failures, _ = checks(schedule_ids)
        report(args, samples, schedule_ids, failures)
        connection.close()
    finally:
        stop(processes)
        stop([lab])
        redis.Redis.from_url(REDIS).flushdb()
        if not args.keep:
            psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    print(f"\nmachine: {os.cpu_count()} CPUs; {load()} at the end")
    if args.keep or failures:
        print(f"logs: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
