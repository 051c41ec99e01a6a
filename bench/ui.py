"""Server time of the run pages with 100k runs: list (first, filtered, deep page) and run detail.

    .venv/bin/python bench/ui.py [--runs 100000] [--repeat 7] [--database-url postgresql://postgres@127.0.0.1/x]

Builds a throwaway database (SQLite in a temp dir unless --database-url names an empty PostgreSQL
database), fills it with runs spread over 30 days (10% private to another user, mixed statuses,
types and triggers), then renders each page in-process through Django's test client as a non-superuser
operator, so the visibility filter is part of every query. Prints the median and worst of --repeat
requests per page; the goal is < 200 ms each.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

GOAL_MS = 200.0


def setup(database_url: str | None, data_dir: str) -> None:
    os.environ["NETCRON_DATA_DIR"] = data_dir
    if database_url:
        os.environ["NETCRON_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcron.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def fill(runs: int) -> dict:
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from netcron.inventory.models import Device
    from netcron.jobs.models import DeviceResult, JobRun, JobSchedule, JobTemplate, RunLog
    from netcron.jobs.system import ensure_groups

    ensure_groups()
    operator = User.objects.create_user("operator")
    operator.groups.add(Group.objects.get(name="operators"))
    other = User.objects.create_user("other")
    templates = [JobTemplate.objects.create(name=f"template {i}", job_type=("noop", "sleep")[i % 2],
                                            targets={"all": True}, owner=operator) for i in range(20)]
    private = JobTemplate.objects.create(name="private", job_type="noop", is_global=False, owner=other)
    schedules = [JobSchedule.objects.create(name=f"schedule {i}", template=t, cron_expr="*/5 * * * *")
                 for i, t in enumerate(templates[:10])]
    rng = random.Random(7)
    now = timezone.now()
    statuses = ["completed"] * 80 + ["failed"] * 12 + ["cancelled"] * 5 + ["running"] * 2 + ["pending"]
    batch: list[JobRun] = []
    started = time.perf_counter()
    for i in range(runs):
        template = private if rng.random() < 0.1 else rng.choice(templates)
        status = rng.choice(statuses)
        queued = now - timedelta(seconds=(runs - i) * 30 * 86400 / runs)
        schedule = rng.choice(schedules) if template in templates[:10] and rng.random() < 0.7 else None
        batch.append(JobRun(
            template=template, schedule=schedule, scheduled_for=queued if schedule else None, job_name=template.name,
            job_type=template.job_type, status=status, triggered_by="schedule" if schedule else rng.choice(
                ["manual", "api", "retry"]), requested_by=None if schedule else operator,
            is_global=template.is_global, owner=template.owner, queue="default", queued_at=queued,
            started_at=queued + timedelta(seconds=1), heartbeat_at=queued + timedelta(seconds=5),
            finished_at=None if status in ("running", "pending") else queued + timedelta(seconds=rng.randint(2, 600)),
            progress_done=50, progress_total=50, count_ok=48, count_failed=2 if status == "failed" else 0,
        ))
        if len(batch) == 5000:
            JobRun.objects.bulk_create(batch)
            batch = []
    JobRun.objects.bulk_create(batch)
    fill_seconds = time.perf_counter() - started
    devices = Device.objects.bulk_create([Device(name=f"dev{i:04d}", host=f"10.0.{i // 250}.{i % 250}",
                                                 platform="cisco_ios") for i in range(500)])
    detail = JobRun.objects.filter(is_global=True, status="failed").order_by("-id").first()
    DeviceResult.objects.bulk_create([DeviceResult(run=detail, device=d, device_name=d.name,
                                                   status="failed" if i % 10 == 0 else "ok", message="done")
                                      for i, d in enumerate(devices)])
    RunLog.objects.bulk_create([RunLog(run=detail, message=f"line {i}", device=devices[i % 500])
                                for i in range(5000)])
    last_log = RunLog.objects.filter(run=detail).order_by("-id").values_list("id", flat=True)[0]
    ids = list(JobRun.objects.order_by("-id").values_list("id", flat=True)[:1])
    deep = ids[0] - int(runs * 0.9)  # 90% of the way down the list
    return {"user": operator, "detail": detail.pk, "deep": deep, "template": templates[1].pk,
            "schedule": schedules[0].pk, "fill_seconds": fill_seconds, "last_log": last_log}


def measure(client, url: str, repeat: int) -> tuple[float, float, int]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), max(times), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="an EMPTY PostgreSQL database; default: temp SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        setup(args.database_url, data_dir)
        from django.db import connection
        from django.test import Client

        print(f"database: {connection.vendor}; filling {args.runs} runs …", flush=True)
        data = fill(args.runs)
        print(f"filled in {data['fill_seconds']:.1f} s", flush=True)
        client = Client()
        client.force_login(data["user"])
        pages = [
            ("runs list, first page", "/runs/"),
            ("runs list, status=failed", "/runs/?status=failed"),
            ("runs list, failed+type+trigger", "/runs/?status=failed&job_type=sleep&triggered_by=manual"),
            ("runs list, template filter", f"/runs/?template={data['template']}"),
            ("runs list, schedule + date range",
             f"/runs/?schedule={data['schedule']}&since=2000-01-01&until=2100-01-01"),
            ("runs list, deep page (90%)", f"/runs/?before={data['deep']}"),
            ("runs list, deep filtered page", f"/runs/?status=cancelled&before={data['deep']}"),
            ("run detail (500 devices, 5k log lines)", f"/runs/{data['detail']}/"),
            ("run detail, failed devices only", f"/runs/{data['detail']}/?device_status=failed"),
            ("run live poll (no news)", f"/runs/{data['detail']}/live?after={data['last_log']}&results=500"),
            ("run live poll (500 new lines)", f"/runs/{data['detail']}/live?after=0&results=500"),
            ("dashboard", "/"),
        ]
        print(f"\n{'page':<42} {'median ms':>10} {'worst ms':>9} {'KiB':>6}  goal < {GOAL_MS:.0f} ms")
        print("-" * 84)
        for name, url in pages:
            client.get(url)  # warm caches and connections
            median, worst, size = measure(client, url, args.repeat)
            flag = "ok" if median < GOAL_MS else "SLOW"
            print(f"{name:<42} {median:>10.1f} {worst:>9.1f} {size / 1024:>6.0f}  {flag}")
        connection.close()


if __name__ == "__main__":
    main()
