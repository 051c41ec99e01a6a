"""sync_devices at fleet size: N devices into the fake CheckMK over real HTTP, through the real runner.

    .venv/bin/python bench/sync.py [--devices 5000] [--batch 500]

Runs in a throw-away data dir (SQLite) unless NETCRON_DATABASE_URL is set. Rows: the first sync
(creates every host, activates once), a dry run of a changed fleet, the sync applying it, and an
idempotent sync; each with wall time, HTTP requests and what changed. Without a bulk
`Context.device_results` in the runner, writing 5,000 device results one by one is most of the time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    os.environ.setdefault("NETCRON_DATA_DIR", tempfile.mkdtemp(prefix="netcron-bench-sync-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcron.settings")
    os.environ["NETCRON_HEARTBEAT_SECONDS"] = "60"

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from netcron.inventory.models import Credential, Device, Location
    from netcron.jobs import runner
    from netcron.jobs.dispatch import new_run
    from netcron.jobs.models import JobTemplate
    from netcron.jobs.runner import execute_run
    from netcron.sources.testing.checkmk import FakeCheckmk

    Device.objects.all().delete()
    locations = [Location.objects.get_or_create(name=f"Site {i:02}")[0] for i in range(20)]
    Device.objects.bulk_create([Device(name=f"dev{i:06}", host=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                                       platform="cisco_ios", role="access", location=locations[i % 20])
                                for i in range(args.devices)], batch_size=1000)
    Credential.objects.filter(name="bench-cmk").delete()  # sealed with another data dir's key, maybe
    credential = Credential(name="bench-cmk", username="automation")
    secret = "bench-secret"  # a throw-away fake server's secret  # noqa: S105
    credential.set_secrets(token=secret)
    credential.save()

    with FakeCheckmk(secret=secret) as server:
        params = {"checkmk": {"url": server.url, "credential": "bench-cmk"}, "batch_size": args.batch,
                  "activate_changes_after_sync": True}

        def sync(label: str, **extra) -> None:
            template, _ = JobTemplate.objects.update_or_create(
                name=f"bench {label}", defaults={"job_type": "sync_devices", "params": {**params, **extra},
                                                 "targets": {"all": True}})
            run = new_run(template, "manual")
            run.save()
            before = len(server.requests)
            started = time.perf_counter()
            execute_run(run.pk, worker="bench")
            elapsed = time.perf_counter() - started
            run.refresh_from_db()
            planned = run.result.get("planned", {})
            print(f"{label:<22} {elapsed:>8.2f} {len(server.requests) - before:>9} {run.status:>10} "
                  f"{planned.get('create', 0):>7} {planned.get('update', 0):>7} "
                  f"{'yes' if run.result.get('activation') else 'no':>9}")

        from django.db import connection

        bulk = "bulk" if hasattr(runner.Context, "device_results") else "one per device"
        print(f"{args.devices} devices, batch {args.batch}, {connection.vendor}, device results: {bulk}")
        print(f"{'sync':<22} {'seconds':>8} {'requests':>9} {'status':>10} {'create':>7} {'update':>7} "
              f"{'activated':>9}")
        sync("first sync")
        Device.objects.filter(pk__in=list(Device.objects.values_list("pk", flat=True)[::10])).update(host="192.0.2.1")
        sync("dry run (10% changed)", dry_run=True)
        sync("apply changes")
        sync("idempotent re-sync")


if __name__ == "__main__":
    main()
