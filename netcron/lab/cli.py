"""``netcron lab`` entry points: ``main(argv)`` (argparse) and ``run_lab(...)`` (keyword arguments)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

from .control import ControlServer, socket_path
from .keys import LabHostKeys
from .lab import Lab
from .model import FAULTS, PLATFORMS, LabDeviceSpec, default_port, generate, load_lab_file, write_inventory


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="netcron lab", description="Run simulated network devices on 127.0.1.x.",
        epilog="`netcron lab ctl --help`: change faults and configs of a running lab, read its counters.",
    )
    p.add_argument("--devices", "-n", type=int, default=10, help="number of devices (default 10)")
    p.add_argument(
        "--platforms", default=",".join(PLATFORMS),
        help=f"comma-separated platforms, assigned round-robin (default: all of {','.join(PLATFORMS)})",
    )
    p.add_argument("--lab-file", type=Path, help="YAML/JSON lab description (overrides --devices/--platforms)")
    p.add_argument("--port", type=int, default=None,
                   help="SSH port on every address (default 22 as root, else 2222; 0 = no SSH/NETCONF: "
                        "SNMP-only devices)")
    p.add_argument("--base-address", default="127.0.1.1", help="first device address (default 127.0.1.1)")
    p.add_argument("--snmp-port", type=int, default=None, help="SNMP agent port per device (0 = no SNMP; "
                   "default 161 as root, else 1161)")
    p.add_argument("--data-dir", type=Path, default=Path(".netcron/lab"), help="host keys live here")
    p.add_argument("--config-lines", type=int, default=300, help="approximate running-config size")
    p.add_argument("--latency", type=float, default=0.0, help="seconds before every reply")
    p.add_argument("--username", default="admin")
    p.add_argument("--password", default="admin")
    p.add_argument("--enable-secret", default="enable")
    p.add_argument("--fault", action="append", default=[], metavar="DEVICE=FAULT[,FAULT]",
                   help=f"start a device with faults ({', '.join(FAULTS)})")
    p.add_argument("--emit-inventory", action="append", default=[], type=Path, metavar="FILE",
                   help="write the devices and credentials as CSV (or JSON if FILE ends in .json)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--workers", type=int, default=1,
                   help="serve the devices from N processes (devices split round-robin; 0 = one per CPU)")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def specs_from_args(args: argparse.Namespace) -> tuple[list[LabDeviceSpec], Path]:
    data_dir = args.data_dir
    if args.lab_file:
        spec = load_lab_file(args.lab_file, port=args.port)
        devices = spec.devices
        if spec.data_dir != Path(".netcron/lab"):
            data_dir = spec.data_dir
    else:
        platforms = [p.strip() for p in args.platforms.split(",") if p.strip()]
        bad = [p for p in platforms if p not in PLATFORMS]
        if bad:
            raise SystemExit(f"unknown platform(s): {', '.join(bad)}; known: {', '.join(PLATFORMS)}")
        devices = generate(
            args.devices, platforms, port=args.port if args.port is not None else default_port(),
            base_address=args.base_address, username=args.username, password=args.password,
            enable_secret=args.enable_secret, config_lines=args.config_lines, latency=args.latency,
        )
    snmp_port = args.snmp_port
    if snmp_port is None:
        from .model import default_snmp_port

        snmp_port = default_snmp_port()
    by_name = {d.name: d for d in devices}
    for d in devices:
        if d.snmp_port is None and snmp_port:
            d.snmp_port = snmp_port
    for item in args.fault:
        name, _, faults = item.partition("=")
        if name not in by_name:
            raise SystemExit(f"--fault: no device named {name!r}")
        by_name[name].faults = [f for f in faults.split(",") if f]
        by_name[name].__post_init__()
    return devices, data_dir


async def serve(
    lab: Lab, *, duration: float | None = None, out=sys.stdout, ready=None, control: Path | None = None
) -> None:
    await lab.start()
    ctl = None
    if control is not None:
        try:
            ctl = await ControlServer(lab, control).start()
        except OSError as e:  # e.g. a data dir path too long for a Unix socket: serve anyway
            print(f"netcron lab: no control socket ({e}); `netcron lab ctl` will not reach this lab",
                  file=sys.stderr)
    # Render every running config now, not during the first backup sweep (each is then served from the
    # cache until the device changes), so the first client measured does not pay for the others.
    for state in lab.devices.values():
        if state.spec.port:
            with contextlib.suppress(Exception):
                state.new_cli().cached_running()
    # Thousands of devices are hundreds of thousands of long-lived objects: keep the cyclic GC from
    # rescanning them while sessions churn (it was ~10% of the lab's CPU in a 1,000-device backup run).
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    specs = lab.specs
    if specs:
        first, last = specs[0], specs[-1]
        print(f"netcron lab: {len(specs)} devices on {first.host}..{last.host} port {first.port}"
              f" (user {first.username})", file=out)
    if ready is not None:
        ready()
    else:
        # Scripts (and the benchmark) wait for this exact line before connecting.
        print("READY", file=out, flush=True)
    try:
        if duration is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), duration)
        else:
            await stop.wait()
    finally:
        if ctl is not None:
            await ctl.stop()
        await lab.stop()


def run_lab(
    devices: list[LabDeviceSpec],
    *,
    data_dir: str | Path = ".netcron/lab",
    emit_inventory: list[str | Path] = (),
    duration: float | None = None,
    workers: int = 1,
) -> None:
    """Blocking: serve ``devices`` until SIGINT/SIGTERM (or ``duration`` seconds).

    ``workers`` > 1 splits the devices round-robin over that many processes, so the lab can use several
    cores (each device lives in exactly one process, so its state stays consistent).
    """
    for path in emit_inventory:
        write_inventory(devices, path)
    workers = (os.cpu_count() or 1) if workers == 0 else workers
    workers = max(1, min(workers, len(devices) or 1))
    if workers == 1:
        asyncio.run(serve(Lab(devices, data_dir), duration=duration, control=socket_path(data_dir)))
        return
    _run_workers(devices, Path(data_dir), duration, workers)


def _worker_main(devices: list[LabDeviceSpec], data_dir: Path, duration: float | None, conn, index: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us with SIGTERM
    try:
        asyncio.run(serve(Lab(devices, data_dir), duration=duration, ready=lambda: conn.send("READY"),
                          control=socket_path(data_dir, index)))
    except Exception as e:  # reported to the parent, which exits non-zero
        with contextlib.suppress(Exception):
            conn.send(f"{type(e).__name__}: {e}")
        raise SystemExit(1) from None


def _run_workers(devices: list[LabDeviceSpec], data_dir: Path, duration: float | None, workers: int) -> None:
    # Generate every missing host key once, here, so the workers only read hostkeys.json.
    keys = LabHostKeys(data_dir)
    for d in devices:
        keys.key(d.name)
    keys.save()
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    procs, pipes = [], []
    for i in range(workers):
        parent_end, child_end = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_worker_main, args=(devices[i::workers], data_dir, duration, child_end, i),
                        name=f"netcron-lab-{i}", daemon=True)
        p.start()
        child_end.close()
        procs.append(p)
        pipes.append(parent_end)
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for p, pipe in zip(procs, pipes, strict=True):
            msg = pipe.recv() if pipe.poll(300) else "no READY within 300 s"
            if msg != "READY":
                raise OSError(f"lab worker {p.name}: {msg}")
        first, last = devices[0], devices[-1]
        print(f"netcron lab: {len(devices)} devices on {first.host}..{last.host} port {first.port}"
              f" (user {first.username}), {workers} worker processes {[p.pid for p in procs]}")
        print("READY", flush=True)
        deadline = None if duration is None else time.monotonic() + duration
        while not stopping and all(p.is_alive() for p in procs):
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(0.2)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(15)
            if p.is_alive():
                p.kill()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["ctl"]:
        from .ctl import main as ctl_main

        return ctl_main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    devices, data_dir = specs_from_args(args)
    try:
        run_lab(devices, data_dir=data_dir, emit_inventory=args.emit_inventory, duration=args.duration,
                workers=args.workers)
    except PermissionError:
        print("netcron lab: permission denied binding ports; use --port above 1024", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"netcron lab: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
