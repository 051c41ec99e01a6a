"""Config backup at fleet size: netcron's backup job vs netmiko threads with a git commit per device.

    .venv/bin/python bench/backup.py                       # 1,000 devices x ~1,000-line configs
    .venv/bin/python bench/backup.py --devices 200 --skip-netmiko --history-devices 100

The lab runs in its own process (``python -m netcron.lab``) so it shares neither the event loop nor the
GIL with the client under test. Rows:

- netcron backup, first run: the real ``execute_run`` (DB results, SSH with trust-on-first-use host keys
  recorded, normalising, ONE git commit with every config, the ConfigVersion index), wall time;
- netcron backup, second run: nothing changed, so no commit;
- netmiko threads + one git commit per device (what Oxidized-style tools do), if netmiko is installed.

Then the history API (Django test client, bearer token) over a synthetic history of
``--history-versions`` x ``--history-devices`` versions: list, content, diff and search latency.
Uses a throw-away data dir and SQLite unless NETCRON_DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def start_lab(count: int, port: int, data_dir: str, config_lines: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "netcron.lab", "--devices", str(count), "--platforms", "cisco_ios",
           "--port", str(port), "--snmp-port", "0", "--data-dir", data_dir, "--config-lines", str(config_lines),
           "--duration", "3600"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "READY":
            return proc
    proc.kill()
    raise SystemExit("lab did not start")


def setup_django(data_dir: str) -> None:
    os.environ.setdefault("NETCRON_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcron.settings")
    os.environ["NETCRON_HEARTBEAT_SECONDS"] = "60"
    os.environ.setdefault("NETCRON_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_inventory(lab_devices) -> list:
    from netcron.inventory.models import Credential, Device, Location

    Device.objects.all().delete()
    Credential.objects.filter(name="bench-lab").delete()
    credential = Credential(name="bench-lab", username="admin", host_key_policy="tofu")
    credential.set_secrets(password=lab_devices[0].password, enable_secret=lab_devices[0].enable_secret)
    credential.save()
    locations = {name: Location.objects.get_or_create(name=name)[0] for name in {d.location for d in lab_devices}}
    Device.objects.bulk_create([Device(name=d.name, host=d.host, port=d.port, platform=d.platform, role=d.role,
                                       location=locations[d.location], credential=credential)
                                for d in lab_devices], batch_size=500)
    return list(Device.objects.all())


def run_backup(label: str, params: dict) -> tuple[str, float, object]:
    from netcron.jobs.dispatch import new_run
    from netcron.jobs.models import JobTemplate
    from netcron.jobs.runner import execute_run

    template, _ = JobTemplate.objects.update_or_create(
        name="bench backup", defaults={"job_type": "backup", "params": params, "targets": {"all": True}})
    run = new_run(template, "manual")
    run.save()
    started = time.perf_counter()
    execute_run(run.pk, worker="bench")
    seconds = time.perf_counter() - started
    run.refresh_from_db()
    return label, seconds, run


def bench_netmiko(lab_devices, threads: int, repo_path: Path) -> tuple[float, int]:
    """netmiko in threads, and per device: write the file, stage it, commit (under a lock, as it must be)."""
    import pygit2
    from netmiko import ConnectHandler

    repo = pygit2.init_repository(str(repo_path), initial_head="main")
    sig = pygit2.Signature("bench", "bench@localhost")
    git_lock = threading.Lock()

    def one(d) -> None:
        with ConnectHandler(device_type="cisco_ios", host=d.host, port=d.port, username=d.username,
                            password=d.password, secret=d.enable_secret, fast_cli=True, conn_timeout=120,
                            auth_timeout=120, banner_timeout=120) as conn:
            conn.enable()
            text = conn.send_command("show running-config", read_timeout=300)
        rel = f"{d.location}/{d.name}.running.cfg"
        with git_lock:
            (repo_path / d.location).mkdir(exist_ok=True)
            (repo_path / rel).write_text(text)
            repo.index.add(rel)
            repo.index.write()
            tree = repo.index.write_tree()
            parents = [] if repo.head_is_unborn else [repo.head.target]
            repo.create_commit("HEAD", sig, sig, f"{d.name}: config changed", tree, parents)

    errors = 0
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(one, d) for d in lab_devices]:
            try:
                future.result()
            except Exception:
                errors += 1
    return time.perf_counter() - started, errors


def build_history(devices: int, versions: int, lines: int) -> tuple[float, list]:
    """``versions`` commits of ``devices`` small configs each, one line changing per version, indexed."""
    from django.utils import timezone

    from netcron.configs.models import ConfigRepository, ConfigVersion
    from netcron.inventory.models import Device, Location
    from netcron.lib.gitstore import Change, GitStore

    location = Location.objects.get_or_create(name="hist")[0]
    Device.objects.bulk_create([Device(name=f"hist-{i:05}", host=f"10.9.{i // 256}.{i % 256}", platform="cisco_ios",
                                       location=location) for i in range(devices)], batch_size=500)
    hist = list(Device.objects.filter(name__startswith="hist-").order_by("name"))
    from django.conf import settings

    path = Path(settings.DATA_DIR) / "history-bench"
    store = GitStore(path)
    repository = ConfigRepository.objects.create(path=str(path))
    body = "\n".join(f"interface Gi1/0/{n}\n description port {n}" for n in range(lines // 2))
    started = time.perf_counter()
    for v in range(versions):
        changes = [Change(f"hist/{d.name}.cfg", f"hostname {d.name}\n! version {v}\n{body}\nend\n".encode())
                   for d in hist]
        with store.locked():
            result = store.commit(changes, f"version {v}")
        rows = [ConfigVersion(repository=repository, device=d, device_name=d.name, kind="running",
                              commit=result.commit, path=f"hist/{d.name}.cfg", committed_at=timezone.now(),
                              changed_lines=2, line_count=lines + 3, size_bytes=0,
                              content_hash=result.files[f"hist/{d.name}.cfg"].blob) for d in hist]
        ConfigVersion.objects.bulk_create(rows, batch_size=1000)
    return time.perf_counter() - started, hist


def api_latency(hist: list, rounds: int) -> list[tuple[str, float, float]]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from netcron.accounts.models import ApiToken
    from netcron.configs.models import ConfigVersion

    settings.ROOT_URLCONF = "bench_backup_urls"
    sys.modules["bench_backup_urls"] = _urls_module()
    settings.ALLOWED_HOSTS = ["*"]
    user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_superuser(
        "bench", password="bench-password-123")  # noqa: S106 - a throw-away benchmark database
    _, token = ApiToken.issue(user, name="bench")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    device = hist[len(hist) // 2]
    oldest = ConfigVersion.objects.filter(device=device).order_by("id").first().commit
    calls = [
        ("list versions (page 1 of 100)", f"/api/devices/{device.pk}/configs", {}),
        ("content (latest)", f"/api/devices/{device.pk}/configs/latest", {}),
        ("content (by commit prefix)", f"/api/devices/{device.pk}/configs/{oldest[:10]}", {}),
        ("diff (latest vs previous)", f"/api/devices/{device.pk}/configs/diff", {}),
        ("diff (oldest vs latest)", f"/api/devices/{device.pk}/configs/diff", {"from": oldest}),
        ("search plain", "/api/configs/search", {"q": "port 7", "max_devices": 1000}),
        ("search regex", "/api/configs/search", {"q": r"^ description port 4\d$", "regex": "true",
                                                 "max_devices": 1000}),
    ]
    out = []
    for label, path, params in calls:
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(path, params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code, response.content[:300])
        if "search" in label:
            body = response.json()
            label += f" ({body['devices_searched']} current configs, {body['devices_matched']} match)"
        out.append((label, statistics.median(timings), max(timings)))
    return out


def _urls_module():
    import types

    from django.urls import path
    from ninja import NinjaAPI

    from netcron.api import configs
    from netcron.api.auth import AUTH

    api = NinjaAPI(title="bench", version="bench", auth=AUTH, urls_namespace="bench")
    api.add_router("/", configs.router)
    module = types.ModuleType("bench_backup_urls")
    module.urlpatterns = [path("api/", api.urls)]
    return module


def main() -> int:
    work = tempfile.mkdtemp(prefix="netcron-bench-backup-")
    try:
        return bench(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the synthetic history alone is ~0.5 GB


def bench(work: str) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, default=1000)
    p.add_argument("--config-lines", type=int, default=1000)
    p.add_argument("--parallel", type=int, default=200, help="netcron parallel_tasks")
    p.add_argument("--threads", type=int, default=100, help="netmiko worker threads")
    p.add_argument("--skip-netmiko", action="store_true")
    p.add_argument("--history-devices", type=int, default=1000)
    p.add_argument("--history-versions", type=int, default=100)
    p.add_argument("--history-lines", type=int, default=100, help="lines per synthetic config")
    p.add_argument("--skip-history", action="store_true")
    args = p.parse_args()
    load_before = f"{os.getloadavg()[0]:.1f}"
    setup_django(str(Path(work) / "data"))
    from netcron.lab.model import generate
    from netcron.lab.testing import free_port

    port = free_port()
    lab_devices = generate(args.devices, ["cisco_ios"], port=port)
    print(f"starting lab: {args.devices} cisco_ios devices, ~{args.config_lines}-line configs ...", flush=True)
    lab = start_lab(args.devices, port, str(Path(work) / "lab"), args.config_lines)
    rows = []
    try:
        make_inventory(lab_devices)
        params = {"parallel_tasks": args.parallel, "device_timeout": 300, "connect_timeout": 120}
        for label in ("netcron backup, first run", "netcron backup, no change"):
            label, seconds, run = run_backup(label, params)
            rows.append((label, seconds, run.count_ok, run.count_failed,
                         f"commit {str(run.result.get('commit'))[:10]}, {run.result.get('changed')} changed"))
            print(f"  {label}: {seconds:.2f}s ({run.count_ok} ok, {run.count_failed} failed)", flush=True)
        if not args.skip_netmiko:
            try:
                import netmiko  # noqa: F401
            except ImportError:
                print("  netmiko not installed: skipped")
            else:
                seconds, errors = bench_netmiko(lab_devices, args.threads, Path(work) / "naive-repo")
                rows.append((f"netmiko {args.threads} threads + commit/device", seconds, args.devices - errors,
                             errors, f"{args.devices - errors} commits"))
                print(f"  netmiko: {seconds:.2f}s ({errors} errors)", flush=True)
    finally:
        lab.terminate()
        lab.wait(30)
    from django.db import connection

    print()
    print(f"cores: {os.cpu_count()}  database: {connection.vendor}  lab: separate process, {args.devices} "
          f"cisco_ios devices, ~{args.config_lines}-line running-configs  load average before: {load_before}, "
          f"now: {os.getloadavg()[0]:.1f} (other processes share the cores: compare rows of one run)")
    print(f"{'run':<42} {'wall s':>8} {'ok':>6} {'failed':>6}  note")
    for label, seconds, ok, failed, note in rows:
        print(f"{label:<42} {seconds:>8.2f} {ok:>6} {failed:>6}  {note}")
    if args.skip_history:
        return 0
    print(f"\nbuilding history: {args.history_versions} versions x {args.history_devices} devices "
          f"(~{args.history_lines}-line configs) ...", flush=True)
    build_seconds, hist = build_history(args.history_devices, args.history_versions, args.history_lines)
    print(f"built in {build_seconds:.1f}s ({args.history_versions} commits, "
          f"{args.history_versions * args.history_devices} ConfigVersion rows)")
    print(f"{'history API call':<42} {'median ms':>10} {'max ms':>8}")
    for label, median, worst in api_latency(hist, rounds=20):
        print(f"{label:<42} {median:>10.1f} {worst:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
