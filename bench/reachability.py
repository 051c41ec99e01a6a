"""Reachability at fleet size: ICMP sweeps against fping, and full reachability passes against the lab.

    .venv/bin/python bench/reachability.py [--addresses 10000] [--lab-devices 10000] [--repeat 3]
                                           [--no-netns] [--no-lab] [--no-icmplib]

1. loopback sweep: netcron's one-socket sweeper, `fping` and icmplib's async_multiping over the same
   N addresses in 127.0.0.0/8, one probe each, in this run (best of --repeat).
2. netns /16: the same over the 65,534 hosts of 169.254.0.0/16, answered by a network namespace of our
   own and swept from a second one (neither has any other interface: no packet can leave this machine).
   Needs root and iproute2.
3. full pass: reachability runs (ping; ping+tcp; ping+tcp+snmp) over N lab devices through the real
   runner, the lab in its own process(es), SQLite in a throw-away data dir (or NETCRON_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NS_HOSTS, NS_SCANNER = f"ncbench-hosts-{os.getpid()}", f"ncbench-scan-{os.getpid()}"


def table(title: str, rows: list[tuple], header: tuple) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for r in [header, *rows]:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)))


# --- sweeps --------------------------------------------------------------------------------------------


def ours(targets: list[str], rate: float, timeout: float = 1.0) -> tuple[float, int]:
    from netcron.lib.ping import sweep

    started = time.perf_counter()
    stats = asyncio.run(sweep(targets, count=1, timeout=timeout, rate=rate))
    return time.perf_counter() - started, sum(s.alive for s in stats.values())


def with_icmplib(targets: list[str], timeout: float = 1.0) -> tuple[float, int]:
    from icmplib import async_multiping

    started = time.perf_counter()
    hosts = asyncio.run(async_multiping(targets, count=1, timeout=timeout, concurrent_tasks=1000, privileged=True))
    return time.perf_counter() - started, sum(h.is_alive for h in hosts)


def with_fping(targets_file: str, netns: str | None = None, timeout_ms: int = 1000) -> tuple[float, int]:
    cmd = ["fping", "-a", "-q", "-r", "0", "-t", str(timeout_ms), "-i", "0", "-f", targets_file]
    if netns:
        cmd = ["ip", "netns", "exec", netns, *cmd]
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - started, len(out.stdout.split())


def sweep_row(label: str, runs: list[tuple[float, int]], total: int, baseline: float | None) -> tuple:
    best = min(runs)
    ratio = f"{best[0] / baseline:.2f}x" if baseline else "-"
    return (label, f"{best[0]:.3f}", f"{sorted(r[0] for r in runs)[len(runs) // 2]:.3f}", f"{best[1]}/{total}", ratio)


def loopback_sweeps(n: int, repeat: int, use_icmplib: bool) -> None:
    first = int(ipaddress.ip_address("127.96.0.1"))
    targets = [str(ipaddress.ip_address(first + i)) for i in range(n)]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(targets) + "\n")
    rows, fping_best = [], None
    if shutil.which("fping"):
        runs = [with_fping(fh.name) for _ in range(repeat)]
        fping_best = min(runs)[0]
        rows.append(sweep_row("fping -i0 -r0 -t1000", runs, n, fping_best))
    rows.append(sweep_row("netcron sweep, no rate cap", [ours(targets, 1e9) for _ in range(repeat)], n, fping_best))
    rows.append(sweep_row("netcron sweep, 20k pps (default)", [ours(targets, 20000) for _ in range(repeat)], n,
                          fping_best))
    if use_icmplib:
        rows.append(sweep_row("icmplib async_multiping (1000 tasks)", [with_icmplib(targets)], n, fping_best))
    os.unlink(fh.name)
    table(f"1. ICMP sweep of {n} loopback addresses (one probe each; seconds)", rows,
          ("tool", "best", "median", "alive", "vs fping"))


@contextlib.contextmanager
def slash16_namespaces():
    """Namespace NS_HOSTS answers every address of 169.254.0.0/16; NS_SCANNER reaches it over a veth pair."""
    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    a, b = f"ncb{os.getpid() % 100000}s", f"ncb{os.getpid() % 100000}h"
    try:
        ip("netns", "add", NS_HOSTS)
        ip("netns", "add", NS_SCANNER)
        ip("link", "add", a, "netns", NS_SCANNER, "type", "veth", "peer", "name", b, "netns", NS_HOSTS)
        for ns, dev in ((NS_SCANNER, a), (NS_HOSTS, b)):
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", dev, "up")
        ip("-n", NS_SCANNER, "addr", "add", "169.254.255.254/32", "dev", a)
        ip("-n", NS_SCANNER, "route", "add", "169.254.255.253/32", "dev", a)
        ip("-n", NS_SCANNER, "route", "add", "169.254.0.0/16", "via", "169.254.255.253")
        ip("-n", NS_HOSTS, "addr", "add", "169.254.255.253/32", "dev", b)
        ip("-n", NS_HOSTS, "route", "add", "local", "169.254.0.0/16", "dev", "lo", "table", "local")
        # ... except the scanner's own address, which lives across the veth pair.
        ip("-n", NS_HOSTS, "route", "add", "169.254.255.254/32", "dev", b, "table", "local")
        yield
    finally:
        for ns in (NS_SCANNER, NS_HOSTS):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def netns_sweeps(repeat: int) -> None:
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("\n2. netns /16 sweep: skipped (needs root and iproute2)")
        return
    targets = [str(a) for a in ipaddress.ip_network("169.254.0.0/16").hosts()]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(targets) + "\n")
    rows, fping_best = [], None
    try:
        with slash16_namespaces():
            if shutil.which("fping"):
                runs = [with_fping(fh.name, NS_SCANNER) for _ in range(repeat)]
                fping_best = min(runs)[0]
                rows.append(sweep_row("fping -i0 -r0 -t1000", runs, len(targets), fping_best))
            for label, rate in (("netcron sweep, no rate cap", "1e9"), ("netcron sweep, 20k pps (default)", "20000")):
                runs = []
                for _ in range(repeat):
                    out = subprocess.run(["ip", "netns", "exec", NS_SCANNER, sys.executable, __file__, "--sweep-file",
                                          fh.name, "--rate", rate], capture_output=True, text=True, timeout=600)
                    if out.returncode:
                        raise RuntimeError(out.stderr)
                    result = json.loads(out.stdout)
                    runs.append((result["seconds"], result["alive"]))
                rows.append(sweep_row(label, runs, len(targets), fping_best))
    finally:
        os.unlink(fh.name)
    table(f"2. ICMP sweep of 169.254.0.0/16 ({len(targets)} hosts) between two namespaces (seconds)", rows,
          ("tool", "best", "median", "alive", "vs fping"))


# --- full reachability pass against the lab ------------------------------------------------------------


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 65536), max(hard, 65536)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def lab_process(n: int, data_dir: str, per_process: int = 5000):
    """The lab in its own process(es): one serves at most ``per_process`` devices. Each device is an SSH
    listener and an SNMP socket, two descriptors: 10,000 devices need more than a hard RLIMIT_NOFILE of
    20,000 lets one process open (the lab says so and refuses to start); SNMP-only devices (``--port 0``)
    fit 10,000 to a process, see bench/lab_snmp.py."""
    from netcron.lab.model import address_for
    from netcron.lab.testing import free_port

    port, snmp_port = free_port("127.0.1.1"), free_port("127.0.1.1")
    procs = []
    started = time.perf_counter()
    try:
        for first in range(0, n, per_process):
            count = min(per_process, n - first)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "netcron.lab", "--devices", str(count), "--port", str(port),
                 "--snmp-port", str(snmp_port), "--base-address", address_for(first),
                 "--data-dir", f"{data_dir}/{first}", "--config-lines", "50"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, preexec_fn=raise_fd_limit))
        for proc in procs:
            for line in proc.stdout:
                if line.strip() == "READY":
                    break
            else:
                raise RuntimeError("a lab process exited before READY")
        yield port, snmp_port, time.perf_counter() - started, len(procs)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(30)
            if proc.poll() is None:
                proc.kill()


def lab_passes(n: int) -> None:
    os.environ.setdefault("NETCRON_DATA_DIR", tempfile.mkdtemp(prefix="netcron-bench-reach-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcron.settings")
    os.environ["NETCRON_HEARTBEAT_SECONDS"] = "60"
    raise_fd_limit()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from netcron.inventory.models import Credential, Device
    from netcron.jobs.dispatch import new_run
    from netcron.jobs.models import JobTemplate
    from netcron.jobs.runner import execute_run
    from netcron.lab.model import address_for

    rows = []
    with lab_process(n, tempfile.mkdtemp(prefix="netcron-bench-lab-")) as (port, snmp_port, lab_start, procs):
        Device.objects.all().delete()
        Credential.objects.filter(name="bench-lab").delete()
        credential = Credential(name="bench-lab", username="admin")
        credential.set_secrets(password="admin", snmp_community="public")  # the lab's defaults  # noqa: S106
        credential.save()
        Device.objects.bulk_create([Device(name=f"lab{i:06}", host=address_for(i), port=port, platform="cisco_ios",
                                           credential=credential) for i in range(n)], batch_size=1000)
        for label, checks in (("ping", ["ping"]), ("ping+tcp", ["ping", "tcp"]),
                              ("ping+tcp+snmp", ["ping", "tcp", "snmp"]), ("ping+tcp+snmp again", None)):
            # 60 s per check (30 s per SNMP try): the lab's SNMP agent answers only a few hundred GETs a
            # second, so at 10,000 devices the last answers come some 30 s after the first.
            params = {"checks": checks or ["ping", "tcp", "snmp"], "snmp_port": snmp_port, "concurrency": 500,
                      "timeout_s": 60, "ping": {"count": 1, "timeout_ms": 1000}}
            template = JobTemplate.objects.create(name=f"bench {label}", job_type="reachability", params=params,
                                                  targets={"all": True}, timeout_seconds=3600)
            run = new_run(template, "manual")
            run.save()
            started = time.perf_counter()
            execute_run(run.pk, worker="bench")
            wall = time.perf_counter() - started
            run.refresh_from_db()
            r = run.result
            rows.append((label, f"{wall:.1f}", f"{r.get('seconds', 0):.1f}", r.get("up"), r.get("degraded"),
                         r.get("down"), r.get("state_changes"), run.status))
    table(f"3. Reachability passes over {n} lab devices; {procs} lab process(es) started in {lab_start:.1f} s; "
          "seconds", rows,
          ("checks", "run wall", "executor", "up", "degraded", "down", "changes", "status"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=10000)
    parser.add_argument("--lab-devices", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-netns", action="store_true")
    parser.add_argument("--no-lab", action="store_true")
    parser.add_argument("--no-icmplib", action="store_true")
    parser.add_argument("--sweep-file", help=argparse.SUPPRESS)  # internal: one sweep inside a namespace
    parser.add_argument("--rate", type=float, default=20000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sweep_file:
        seconds, alive = ours(Path(args.sweep_file).read_text().split(), args.rate)
        print(json.dumps({"seconds": seconds, "alive": alive}))
        return
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"netcron reachability bench: {os.cpu_count()} CPU(s), uid {os.geteuid()}, load average {load}")
    loopback_sweeps(args.addresses, args.repeat, not args.no_icmplib)
    if not args.no_netns:
        netns_sweeps(args.repeat)
    if not args.no_lab:
        lab_passes(args.lab_devices)


if __name__ == "__main__":
    main()
