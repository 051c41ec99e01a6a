"""SSH backup benchmark: ``show running-config`` on N lab devices, netcron's driver vs netmiko / Nornir.

What is measured, per client and size, best of ``--repeat`` interleaved runs:

- wall time of the sweep (connect, log in, paging off, enable, ``show running-config``, log out) and
  sessions/s;
- CPU time of the client process (``getrusage``: user + system, all threads), in total and per session,
  so a speed-up can be judged on client cost and not only on wall time;
- CPU time the lab spent in the same run (per session): the lab must not be the bottleneck;
- the 1-minute load average when the run started (the benchmark machine may be shared).

netmiko and Nornir run once per worker-thread count in ``--threads`` (default 50 and 100: with fewer
threads netmiko spends less CPU per session, with more it overlaps more of its waits), netcron once per
concurrency limit in ``--limit`` (default 200 and 500), and the fastest netcron run is compared with the
fastest netmiko run (wall) and the cheapest one (CPU per session). Every client run is
a fresh subprocess (``--run-client``), so CPU accounting, imports, thread pools and garbage collector
state are not shared between clients. The lab runs in its own process(es)
(``python -m netcron.lab --workers N``), started once for all runs. Usage::

    .venv/bin/python bench/ssh.py                         # 200 and 1,000 devices, best of 3, all clients
    .venv/bin/python bench/ssh.py --sizes 1000 --repeat 1 --skip-nornir
    .venv/bin/python bench/ssh.py --lab-workers 2 --threads 25,50,100
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from netcron.lab.model import LabDeviceSpec, generate
from netcron.lab.testing import free_port

COMMAND = "show running-config"
# "netcron" runs on uvloop when it is installed (as netcron.lib.concurrency.run does), "netcron-asyncio"
# on asyncio's own loop (NETCRON_UVLOOP=0).
CLIENTS = ("netcron", "netcron-asyncio", "netmiko", "nornir")


# -- the clients (each runs inside its own subprocess) ----------------------------------------------------


def run_netcron(devices: list[LabDeviceSpec], limit: int) -> tuple[int, str]:
    from netcron.lib.concurrency import run, run_bounded
    from netcron.lib.ssh import DeviceSpec, connect

    async def backup(d: LabDeviceSpec) -> int:
        spec = DeviceSpec(d.host, d.platform, d.username, d.password, port=d.port, enable_secret=d.enable_secret,
                          host_key_policy="ignore", connect_timeout=60, command_timeout=60)
        async with connect(spec) as s:
            return _check(await s.send_command(COMMAND))

    async def main():
        return await run_bounded(backup, devices, limit=limit, timeout=120)

    outcomes = run(main())
    errors = [o.error for o in outcomes if not o.ok]
    return len(errors), _first(errors), [o.seconds for o in outcomes]


def _netmiko_backup(d: LabDeviceSpec) -> float:
    from netmiko import ConnectHandler

    started = time.perf_counter()
    with ConnectHandler(device_type="cisco_ios", host=d.host, port=d.port, username=d.username,
                        password=d.password, secret=d.enable_secret, fast_cli=True, conn_timeout=60,
                        auth_timeout=60, banner_timeout=60) as conn:
        conn.enable()
        _check(conn.send_command(COMMAND, read_timeout=120))
    return time.perf_counter() - started


def run_netmiko(devices: list[LabDeviceSpec], threads: int) -> tuple[int, str]:
    from concurrent.futures import ThreadPoolExecutor

    errors, seconds = [], []
    with ThreadPoolExecutor(threads) as pool:
        for fut in [pool.submit(_netmiko_backup, d) for d in devices]:
            try:
                seconds.append(fut.result())
            except Exception as e:
                errors.append(e)
    return len(errors), _first(errors), seconds


def prepare_nornir(devices: list[LabDeviceSpec], threads: int):
    from nornir import InitNornir

    hosts = {
        d.name: {"hostname": d.host, "port": d.port, "username": d.username, "password": d.password,
                 "platform": "cisco_ios",
                 "connection_options": {"netmiko": {"extras": {
                     "secret": d.enable_secret, "fast_cli": True, "conn_timeout": 60, "auth_timeout": 60,
                     "banner_timeout": 60}}}}
        for d in devices
    }
    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="nornir-hosts-")
    with os.fdopen(fd, "w") as fh:
        json.dump(hosts, fh)  # JSON is YAML
    try:
        return InitNornir(
            runner={"plugin": "threaded", "options": {"num_workers": threads}},
            inventory={"plugin": "SimpleInventory", "options": {"host_file": path}},
            logging={"enabled": False},
        )
    finally:
        os.unlink(path)


def run_nornir(nr) -> tuple[int, str]:
    from nornir_netmiko.tasks import netmiko_send_command

    def backup(task):
        started = time.perf_counter()
        result = task.run(task=netmiko_send_command, command_string=COMMAND, enable=True, read_timeout=120)
        _check(result[0].result)
        return time.perf_counter() - started  # connect + command; the logout happens below, in bulk

    result = nr.run(task=backup)
    nr.close_connections()  # logging out is part of the sweep, as for the other clients
    failed = [r for r in result.values() if r.failed]
    note = ""
    if failed:
        exc = failed[0][0].exception
        note = f"{type(exc).__name__}: {str(exc)[:60]}"
    return len(failed), note, [r[0].result for r in result.values() if not r.failed]


def _check(config: str) -> int:
    if "\nend" not in config or "hostname " not in config:
        raise RuntimeError(f"not a running-config: {config[:60]!r}")
    return len(config)


def _first(errors: list[BaseException]) -> str:
    return f"{type(errors[0]).__name__}: {str(errors[0])[:60]}" if errors else ""


def client_main(args: argparse.Namespace) -> int:
    """Child process: one sweep with one client; prints a JSON line with wall and CPU times."""
    devices = generate(args.size, ["cisco_ios"], port=args.port)
    nr = prepare_nornir(devices, args.threads) if args.run_client == "nornir" else None
    if args.run_client == "netmiko":
        import netmiko  # noqa: F401 - imported before the clock starts, as the others are
    else:
        import netcron.lib.concurrency
        import netcron.lib.ssh  # noqa: F401

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if args.run_client.startswith("netcron"):
        errors, note, seconds = run_netcron(devices, args.threads)
    elif args.run_client == "netmiko":
        errors, note, seconds = run_netmiko(devices, args.threads)
    else:
        errors, note, seconds = run_nornir(nr)
    wall = time.perf_counter() - started
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    seconds = sorted(seconds) or [0.0]
    latency = {"p50": seconds[len(seconds) // 2], "p95": seconds[max(0, int(len(seconds) * 0.95) - 1)],
               "max": seconds[-1]}
    print(json.dumps({"wall": wall, "errors": errors, "note": note, "latency": latency,
                      "user": ru1.ru_utime - ru0.ru_utime, "sys": ru1.ru_stime - ru0.ru_stime}))
    return 0


# -- the driver ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    client: str
    threads: int
    devices: int
    wall: float
    errors: int
    client_cpu: float
    lab_cpu: float
    load: float
    note: str = ""
    latency: dict = field(default_factory=dict)  # per-session seconds: p50, p95, max


@dataclass
class Summary:
    client: str
    threads: int  # the concurrency knob: netmiko / nornir worker threads, netcron's limit
    devices: int
    runs: list[Run] = field(default_factory=list)

    @property
    def best(self) -> Run:
        return min(self.runs, key=lambda r: r.wall)

    @property
    def median_wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu_ms(self) -> float:
        """Client CPU per session, best run by CPU (CPU time is much less noisy than wall time)."""
        return min(r.client_cpu for r in self.runs) / self.devices * 1000

    @property
    def lab_ms(self) -> float:
        return min(r.lab_cpu for r in self.runs) / self.devices * 1000

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


def _label(client: str, threads: int, args: argparse.Namespace) -> str:
    from netcron.lib.concurrency import loop_name

    return {"netcron": f"netcron asyncssh ({loop_name()}, limit {threads})",
            "netcron-asyncio": f"netcron asyncssh (asyncio, limit {threads})",
            "netmiko": f"netmiko ({threads} threads)", "nornir": f"nornir+netmiko ({threads} workers)"}[client]


def _available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def start_lab(count: int, port: int, data_dir: str, config_lines: int, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "netcron.lab", "--devices", str(count), "--platforms", "cisco_ios",
           "--port", str(port), "--snmp-port", "0", "--data-dir", data_dir, "--config-lines", str(config_lines),
           "--duration", "3600", *(["--workers", str(workers)] if workers != 1 else [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    ready = threading.Event()

    def watch() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:  # keep draining, so the lab never blocks on a full pipe
            if line.strip() == "READY":
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(300):
        proc.kill()
        raise SystemExit("lab did not start")
    return proc


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live descendants."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_client(client: str, threads: int, size: int, port: int, lab_pid: int, args: argparse.Namespace) -> Run:
    cmd = [sys.executable, os.path.abspath(__file__), "--run-client", client, "--size", str(size),
           "--port", str(port), "--threads", str(threads)]
    env = {**os.environ, "NETCRON_UVLOOP": "0"} if client == "netcron-asyncio" else None
    load = os.getloadavg()[0]
    lab0 = _tree_cpu(lab_pid)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.client_timeout, env=env)
    except subprocess.TimeoutExpired:
        return Run(client, threads, size, float(args.client_timeout), size, 0.0, _tree_cpu(lab_pid) - lab0, load,
                   "client timed out")
    lab_cpu = _tree_cpu(lab_pid) - lab0
    try:
        r = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return Run(client, threads, size, 0.0, size, 0.0, lab_cpu, load, f"client failed: {out.stderr.strip()[-80:]}")
    return Run(client, threads, size, r["wall"], r["errors"], r["user"] + r["sys"], lab_cpu, load, r["note"],
               r.get("latency", {}))


def _netmiko_best(summaries: list[Summary], devices: int) -> tuple[Summary | None, Summary | None]:
    """The netmiko rows to compare with: the fastest (wall) and the cheapest (client CPU per session)."""
    rows = [x for x in summaries if x.devices == devices and x.client == "netmiko" and x.errors == 0 and x.best.wall]
    if not rows:
        return None, None
    return min(rows, key=lambda x: x.best.wall), min(rows, key=lambda x: x.cpu_ms)


def print_table(summaries: list[Summary], args: argparse.Namespace) -> None:
    print()
    print(f"cores: {os.cpu_count()}  lab: {args.lab_workers} process(es), cisco_ios, ~{args.config_lines}-line "
          f"configs  best of {args.repeat} (interleaved)  load avg now: {os.getloadavg()[0]:.1f}")
    print("'x nm': wall time vs the fastest netmiko run, client CPU per session vs the cheapest one")
    head = (f"{'client':<34} {'devices':>7} {'best s':>7} {'sess/s':>7} {'median s':>8} {'cli CPU s':>9} "
            f"{'cli ms/sess':>11} {'lab ms/sess':>11} {'load':>5} {'err':>4} {'wall x nm':>9} {'CPU x nm':>8}")
    print(head)
    print("-" * len(head))
    for s in summaries:
        b = s.best
        fast, cheap = _netmiko_best(summaries, s.devices)
        wall_x = f"{fast.best.wall / b.wall:.1f}x" if fast and b.wall else "-"
        cpu_x = f"{cheap.cpu_ms / s.cpu_ms:.1f}x" if cheap and s.cpu_ms else "-"
        rate = (s.devices - b.errors) / b.wall if b.wall else 0.0
        print(f"{_label(s.client, s.threads, args):<34} {s.devices:>7} {b.wall:>7.2f} {rate:>7.1f} "
              f"{s.median_wall:>8.2f} {b.client_cpu:>9.2f} {s.cpu_ms:>11.2f} {s.lab_ms:>11.2f} {b.load:>5.1f} "
              f"{s.errors:>4} {wall_x:>9} {cpu_x:>8}" + (f"  {b.note}" if b.note else ""))
    big = max(s.devices for s in summaries)
    ncs = [s for s in summaries if s.client == "netcron" and s.devices == big and s.errors == 0 and s.best.wall]
    nc = min(ncs, key=lambda s: s.best.wall) if ncs else None
    if nc is not None:
        print()
        ok = nc.best.wall < 10 and nc.errors == 0
        print(f"goal: {big} devices < 10 s on {os.cpu_count()} cores: {'met' if ok else 'NOT met'} "
              f"({nc.best.wall:.2f} s best, {nc.median_wall:.2f} s median)")
        fast, cheap = _netmiko_best(summaries, big)
        if fast is not None and cheap is not None:
            wall_x, cpu_x = fast.best.wall / nc.best.wall, cheap.cpu_ms / nc.cpu_ms
            print(f"goal: >= 5x netmiko at {big}: wall {wall_x:.1f}x vs {_label('netmiko', fast.threads, args)} "
                  f"({'met' if wall_x >= 5 else 'NOT met'}), client CPU per session {cpu_x:.1f}x vs "
                  f"{_label('netmiko', cheap.threads, args)} ({'met' if cpu_x >= 5 else 'NOT met'})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="200,1000")
    p.add_argument("--repeat", type=int, default=3, help="runs per client and size; the table shows the best")
    p.add_argument("--limit", default="200,500",
                   help="netcron concurrency limits (sessions at once); a comma-separated list runs each")
    p.add_argument("--threads", default="50,100",
                   help="netmiko / nornir worker threads; a comma-separated list runs each (default 50,100)")
    p.add_argument("--lab-workers", type=int, default=1, help="lab processes (devices split between them)")
    p.add_argument("--config-lines", type=int, default=300)
    p.add_argument("--clients", default=",".join(CLIENTS), help=f"subset of {','.join(CLIENTS)}")
    p.add_argument("--skip-netmiko", action="store_true")
    p.add_argument("--skip-nornir", action="store_true")
    p.add_argument("--client-timeout", type=float, default=600, help="seconds before a client run is given up")
    p.add_argument("--json", help="also write every run to this file")
    # internal: run one client sweep in this process
    p.add_argument("--run-client", choices=CLIENTS, help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run_client:
        args.threads = int(args.threads)
        return client_main(args)
    thread_counts = [int(x) for x in str(args.threads).split(",") if x]

    sizes = [int(x) for x in args.sizes.split(",")]
    clients = [c for c in args.clients.split(",") if c]
    if args.skip_netmiko or not _available("netmiko"):
        clients = [c for c in clients if c != "netmiko"]
    if args.skip_nornir or not _available("nornir_netmiko"):
        clients = [c for c in clients if c != "nornir"]
    port = free_port()
    limits = [int(x) for x in str(args.limit).split(",") if x]
    # The concurrency knob of each client: netcron's limit, netmiko's and Nornir's thread counts.
    variants = [(c, n) for c in clients for n in (limits if c.startswith("netcron") else thread_counts)]
    variants = list(dict.fromkeys(variants))
    summaries = {(c, t, n): Summary(c, t, n) for n in sizes for c, t in variants}
    with tempfile.TemporaryDirectory(prefix="netcron-bench-") as data_dir:
        t0 = time.monotonic()
        lab = start_lab(max(sizes), port, data_dir, args.config_lines, args.lab_workers)
        print(f"lab: {max(sizes)} devices up in {time.monotonic() - t0:.1f}s "
              f"({args.lab_workers} process(es)), port {port}", flush=True)
        try:
            for rep in range(args.repeat):
                for size in sizes:
                    for client, threads in variants:
                        r = run_client(client, threads, size, port, lab.pid, args)
                        summaries[(client, threads, size)].runs.append(r)
                        print(f"  [{rep + 1}/{args.repeat}] {_label(client, threads, args)}: {size} devices in "
                              f"{r.wall:.2f}s "
                              f"({(size - r.errors) / r.wall if r.wall else 0:.0f}/s), client CPU {r.client_cpu:.2f}s,"
                              f" lab CPU {r.lab_cpu:.2f}s, load {r.load:.1f}, session p50/p95/max "
                              f"{'/'.join(f'{r.latency.get(k, 0):.2f}' for k in ('p50', 'p95', 'max'))}s,"
                              f" {r.errors} errors {r.note}", flush=True)
        finally:
            lab.terminate()
            try:
                lab.wait(30)
            except subprocess.TimeoutExpired:
                lab.kill()
    ordered = [summaries[(c, t, n)] for n in sizes for c, t in variants]
    print_table(ordered, args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "cores": os.cpu_count(),
                       "runs": [asdict(r) for s in ordered for r in s.runs]}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
