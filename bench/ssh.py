"""SSH backup benchmark: ``show running-config`` on N lab devices, netcron's driver vs netmiko / Nornir.

The lab runs in its own process (``python -m netcron.lab``) so it does not share an event loop or a
GIL with the client under test. Usage::

    .venv/bin/python bench/ssh.py                    # 200 and 1,000 devices, every client available
    .venv/bin/python bench/ssh.py --sizes 50 --skip-nornir
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from netcron.lab.model import LabDeviceSpec, generate
from netcron.lab.testing import free_port
from netcron.lib.concurrency import run_bounded
from netcron.lib.ssh import DeviceSpec, connect


@dataclass
class Row:
    client: str
    devices: int
    seconds: float
    errors: int
    note: str = ""

    @property
    def rate(self) -> float:
        return (self.devices - self.errors) / self.seconds if self.seconds else 0.0


def start_lab(count: int, port: int, data_dir: str, config_lines: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "netcron.lab", "--devices", str(count), "--platforms", "cisco_ios",
           "--port", str(port), "--snmp-port", "0", "--data-dir", data_dir, "--config-lines", str(config_lines),
           "--duration", "1800"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "READY":
            return proc
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("lab did not start")


def bench_netcron(devices: list[LabDeviceSpec], limit: int) -> Row:
    async def backup(d: LabDeviceSpec) -> int:
        spec = DeviceSpec(d.host, d.platform, d.username, d.password, port=d.port, enable_secret=d.enable_secret,
                          host_key_policy="ignore", connect_timeout=60, command_timeout=60)
        async with connect(spec) as s:
            return len(await s.send_command("show running-config"))

    async def main():
        started = time.perf_counter()
        outcomes = await run_bounded(backup, devices, limit=limit, timeout=120)
        return time.perf_counter() - started, outcomes

    seconds, outcomes = asyncio.run(main())
    errors = [o.error for o in outcomes if not o.ok]
    return Row("netcron (asyncssh)", len(devices), seconds, len(errors), _first(errors))


def _netmiko_backup(d: LabDeviceSpec) -> int:
    from netmiko import ConnectHandler

    with ConnectHandler(device_type="cisco_ios", host=d.host, port=d.port, username=d.username,
                        password=d.password, secret=d.enable_secret, fast_cli=True, conn_timeout=60,
                        auth_timeout=60, banner_timeout=60) as conn:
        conn.enable()
        return len(conn.send_command("show running-config", read_timeout=120))


def bench_netmiko(devices: list[LabDeviceSpec], threads: int) -> Row:
    started = time.perf_counter()
    errors = []
    with ThreadPoolExecutor(threads) as pool:
        for fut in [pool.submit(_netmiko_backup, d) for d in devices]:
            try:
                fut.result()
            except Exception as e:
                errors.append(e)
    return Row(f"netmiko ({threads} threads)", len(devices), time.perf_counter() - started, len(errors),
               _first(errors))


def bench_nornir(devices: list[LabDeviceSpec], threads: int) -> Row:
    from nornir import InitNornir
    from nornir_netmiko.tasks import netmiko_send_command

    hosts = {
        d.name: {"hostname": d.host, "port": d.port, "username": d.username, "password": d.password,
                 "platform": "cisco_ios",
                 "connection_options": {"netmiko": {"extras": {"secret": d.enable_secret, "fast_cli": True}}}}
        for d in devices
    }
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": threads}},
        inventory={"plugin": "SimpleInventory", "options": {"host_file": _write_yaml(hosts)}},
        logging={"enabled": False},
    )
    started = time.perf_counter()
    result = nr.run(task=netmiko_send_command, command_string="show running-config", enable=True)
    seconds = time.perf_counter() - started
    nr.close_connections()
    failed = [r for r in result.values() if r.failed]
    note = str(failed[0][0].exception)[:60] if failed else ""
    return Row(f"nornir+netmiko ({threads} workers)", len(devices), seconds, len(failed), note)


def _write_yaml(hosts: dict) -> str:
    import yaml

    fd, path = tempfile.mkstemp(suffix=".yaml", prefix="nornir-hosts-")
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(hosts, fh)
    return path


def _first(errors: list[BaseException]) -> str:
    return f"{type(errors[0]).__name__}: {str(errors[0])[:60]}" if errors else ""


def _available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="200,1000")
    p.add_argument("--limit", type=int, default=200, help="netcron concurrency limit")
    p.add_argument("--threads", type=int, default=100, help="netmiko / nornir worker threads")
    p.add_argument("--config-lines", type=int, default=300)
    p.add_argument("--skip-netmiko", action="store_true")
    p.add_argument("--skip-nornir", action="store_true")
    args = p.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    port = free_port()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="netcron-bench-") as data_dir:
        lab = start_lab(max(sizes), port, data_dir, args.config_lines)
        try:
            all_devices = generate(max(sizes), ["cisco_ios"], port=port)
            for size in sizes:
                devices = all_devices[:size]
                rows.append(bench_netcron(devices, args.limit))
                print(_fmt(rows[-1]), flush=True)
                if not args.skip_netmiko and _available("netmiko"):
                    rows.append(bench_netmiko(devices, args.threads))
                    print(_fmt(rows[-1]), flush=True)
                if not args.skip_nornir and _available("nornir_netmiko"):
                    rows.append(bench_nornir(devices, args.threads))
                    print(_fmt(rows[-1]), flush=True)
        finally:
            lab.terminate()
            lab.wait(30)
    print()
    print(f"cores: {os.cpu_count()}  lab: separate process, cisco_ios, ~{args.config_lines}-line configs")
    print(f"{'client':<30} {'devices':>7} {'wall s':>8} {'sess/s':>8} {'errors':>6} {'vs netmiko':>10}")
    for r in rows:
        base = next((b for b in rows if b.devices == r.devices and b.client.startswith("netmiko")), None)
        speedup = f"{base.seconds / r.seconds:.1f}x" if base and r.seconds else "-"
        print(f"{r.client:<30} {r.devices:>7} {r.seconds:>8.2f} {r.rate:>8.1f} {r.errors:>6} {speedup:>10}"
              + (f"  {r.note}" if r.note else ""))
    return 0


def _fmt(r: Row) -> str:
    return f"  {r.client}: {r.devices} devices in {r.seconds:.2f}s ({r.rate:.1f}/s, {r.errors} errors) {r.note}"


if __name__ == "__main__":
    raise SystemExit(main())
