"""The lab's SNMP agent at fleet size: GETs/s and lab CPU per request, 1,000 and 10,000 devices in one process.

    .venv/bin/python bench/lab_snmp.py [--sizes 1000,10000] [--repeat 3] [--window 256]
                                       [--baseline-devices 200] [--netcron-devices 10000]

For each size, one lab process serves N SNMP-only devices (``--port 0``: 10,000 devices with an SSH
listener each would need more descriptors than a hard limit of 20,000 allows) on
127.77.x.x, and this process sends:

- GET of four system-group OIDs to every device, v2c, ``--window`` requests in flight, from one raw UDP
  socket (a load generator much cheaper than any SNMP library, so the lab is what is measured);
  once cold (first request per device builds its cached MIB) and ``--repeat`` times warm (best shown);
- a GETBULK walk (max-repetitions 25) of ifDescr on every device;
- netcron's own client (``netcron.lib.snmp.snmp_get``: v2c on ``snmp_ber``) over up to ``--netcron-devices``.

Lab CPU is read from /proc for the lab process, so "lab us/req" is what one request costs the lab. The
baseline is the agent this one replaced (pysnmp's engine and command responder, read from git at
``BASELINE_COMMIT``) on ``--baseline-devices`` devices in the same run. The codec table compares parsing a
GET and encoding its response with pyasn1 (pysnmp's codec) and with ``netcron.lib.snmp_ber``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netcron.lab import generate  # noqa: E402
from netcron.lib import snmp_ber as ber  # noqa: E402

BASELINE_COMMIT = "70e43d8"  # the last commit with the pysnmp-engine agent
BASE_ADDRESS = "127.77.0.1"
SYSTEM = [(1, 3, 6, 1, 2, 1, 1, n, 0) for n in (1, 2, 3, 5)]
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)

RUNNER = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("netcron.lab.snmp_agent_baseline", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
import netcron.lab.snmp_agent as current
current.SnmpAgent = mod.SnmpAgent
from netcron.lab.cli import main
raise SystemExit(main(sys.argv[2:]))
"""


def table(title: str, header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for r in [header, *rows]:
        print("  " + "  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in
                               enumerate(zip(r, widths, strict=True))))


# --- the lab process -----------------------------------------------------------------------------------------


class LabProcess:
    def __init__(self, count: int, port: int, data_dir: str, baseline: Path | None = None) -> None:
        args = ["--devices", str(count), "--port", "0", "--snmp-port", str(port), "--base-address", BASE_ADDRESS,
                "--config-lines", "50", "--data-dir", data_dir, "--duration", "3600"]
        if baseline is None:
            cmd = [sys.executable, "-m", "netcron.lab", *args]
        else:
            cmd = [sys.executable, "-c", RUNNER, str(baseline), *args]
        started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        ready = threading.Event()

        def watch() -> None:
            for line in self.proc.stdout:  # keep draining
                if line.strip() == "READY":
                    ready.set()

        threading.Thread(target=watch, daemon=True).start()
        while not ready.wait(0.5):
            if self.proc.poll() is not None or time.monotonic() - started > 600:
                raise SystemExit(f"lab did not start: {self.proc.stderr.read()[-300:]}")
        self.startup = time.monotonic() - started
        self.devices = generate(count, port=0, base_address=BASE_ADDRESS, snmp_port=port)

    def cpu(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- the load generator --------------------------------------------------------------------------------------


def drive(addrs: list[tuple[str, int]], first, following, window: int, timeout: float = 3.0) -> tuple[int, int]:
    """Per device: send ``first(i, rid)``; on every reply ``following(i, rid, reply)`` gives the next
    request or None. Returns (requests answered, requests lost)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.setblocking(False)
    pending: dict[int, tuple[int, float]] = {}
    todo = list(range(len(addrs) - 1, -1, -1))
    rid = 0
    answered = lost = 0
    last_sweep = time.monotonic()

    def send(i: int, message_for) -> None:
        nonlocal rid
        rid = rid + 1 if rid < 2**31 - 1 else 1
        msg = message_for(rid)
        if msg is None:
            return
        pending[rid] = (i, time.monotonic())
        while True:
            try:
                sock.sendto(msg, addrs[i])
                return
            except BlockingIOError:
                select.select([], [sock], [], 0.1)

    while todo or pending:
        while todo and len(pending) < window:
            i = todo.pop()
            send(i, lambda r, i=i: first(i, r))
        readable, _, _ = select.select([sock], [], [], 0.2)
        if readable:
            while True:
                try:
                    data = sock.recv(70000)
                except BlockingIOError:
                    break
                got = ber.parse_response(data)
                hit = pending.pop(got[0], None)
                if hit is None:
                    continue
                answered += 1
                i = hit[0]
                send(i, lambda r, i=i, got=got: following(i, r, got))
        now = time.monotonic()
        if now - last_sweep > 0.5:
            last_sweep = now
            for r, (_, sent) in list(pending.items()):
                if now - sent > timeout:
                    del pending[r]
                    lost += 1
    sock.close()
    return answered, lost


def get_sweep(lab: LabProcess, window: int, devices: int | None = None) -> tuple[float, int, int, float]:
    addrs = [(d.host, d.snmp_port) for d in lab.devices[:devices]]
    names = [d.name.encode() for d in lab.devices[:devices]]
    bad = []

    def first(i, rid):
        return ber.request(ber.V2C, b"public", ber.GET, rid, SYSTEM)

    def following(i, rid, got):
        if got[1] or got[3][3][2] != names[i]:
            bad.append(i)
        return None

    cpu0, t0 = lab.cpu(), time.perf_counter()
    answered, lost = drive(addrs, first, following, window)
    wall, cpu = time.perf_counter() - t0, lab.cpu() - cpu0
    if bad:
        raise SystemExit(f"{len(bad)} wrong answers, e.g. device {bad[0]}")
    return wall, answered, lost, cpu


def walk_sweep(lab: LabProcess, window: int) -> tuple[float, int, int, float]:
    addrs = [(d.host, d.snmp_port) for d in lab.devices]
    rows = [0] * len(addrs)

    def first(i, rid):
        return ber.request(ber.V2C, b"public", ber.GETBULK, rid, [IF_DESCR], 0, 25)

    def following(i, rid, got):
        inside = [vb for vb in got[3] if vb[0][: len(IF_DESCR)] == IF_DESCR and vb[1] != 0x82]
        rows[i] += len(inside)
        if len(inside) < len(got[3]) or not inside:
            return None
        return ber.request(ber.V2C, b"public", ber.GETBULK, rid, [inside[-1][0]], 0, 25)

    cpu0, t0 = lab.cpu(), time.perf_counter()
    answered, lost = drive(addrs, first, following, window)
    wall, cpu = time.perf_counter() - t0, lab.cpu() - cpu0
    if min(rows) == 0:
        raise SystemExit("a walk returned no rows")
    return wall, answered, lost, cpu


def netcron_sweep(lab: LabProcess, devices: int) -> tuple[float, int, int, float, float]:
    from netcron.lib.concurrency import run_bounded
    from netcron.lib.snmp import SnmpTarget, snmp_get

    oids = [".".join(map(str, o)) for o in SYSTEM]
    targets = [SnmpTarget(d.host, d.snmp_port, timeout=3, retries=0) for d in lab.devices[:devices]]

    async def main():
        return await run_bounded(lambda t: snmp_get(t, oids), targets, limit=100)

    ru0, cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), lab.cpu(), time.perf_counter()
    outcomes = asyncio.run(main())
    wall, cpu = time.perf_counter() - t0, lab.cpu() - cpu0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    client = ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime
    ok = sum(1 for o in outcomes if o.ok)
    return wall, ok, len(outcomes) - ok, cpu, client


def row(label: str, devices: int, kind: str, runs: list[tuple], extra: str = "") -> tuple:
    wall, answered, lost, cpu = min(runs, key=lambda r: r[0])[:4]
    best_cpu = min(r[3] / max(1, r[1]) for r in runs)
    return (label, devices, kind, answered, f"{wall:.2f}", f"{answered / wall:,.0f}", f"{cpu:.2f}",
            f"{best_cpu * 1e6:,.0f}", lost, extra)


HEADER = ("agent", "devices", "requests", "answered", "wall s", "req/s", "lab CPU s", "lab us/req", "lost", "")


# --- codec micro-benchmark -----------------------------------------------------------------------------------


def codec_rows(repeat: int) -> list[tuple]:
    from pyasn1.codec.ber import decoder, encoder
    from pysnmp.proto import api, rfc1902

    message = ber.request(ber.V2C, b"public", ber.GET, 12345, SYSTEM)
    values = [rfc1902.OctetString("Cisco IOS Software, Version 17.09.03"),
              rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 9, 1, 2494)), rfc1902.TimeTicks(46420225),
              rfc1902.OctetString("ios-0001")]
    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

    def pyasn1_once():
        msg, _ = decoder.decode(message, asn1Spec=v2c.Message())
        pdu = v2c.apiMessage.get_pdu(msg)
        names = [name for name, _ in v2c.apiPDU.get_varbinds(pdu)]
        resp_msg = v2c.apiMessage.get_response(msg)
        resp = v2c.apiMessage.get_pdu(resp_msg)
        v2c.apiPDU.set_varbinds(resp, list(zip(names, values, strict=True)))
        return encoder.encode(resp_msg)

    encoded = [ber.varbind(ber.oid_value(o), v) for o, v in zip(SYSTEM, [
        ber.tlv(ber.OCTET_STRING, b"Cisco IOS Software, Version 17.09.03"),
        ber.tlv(ber.OID, ber.oid_value((1, 3, 6, 1, 4, 1, 9, 1, 2494))), ber.integer(46420225, ber.TIMETICKS),
        ber.tlv(ber.OCTET_STRING, b"ios-0001")], strict=True)]
    table_ = {o: vb for o, vb in zip(SYSTEM, encoded, strict=True)}

    def ours_once():
        req = ber.parse_request(message)
        return ber.response(req, [table_[ber.decode_oid(raw)] for raw in req.names])

    assert decoder.decode(pyasn1_once(), asn1Spec=v2c.Message())[0] == decoder.decode(
        ours_once(), asn1Spec=v2c.Message())[0]
    out = []
    for label, fn, n in (("pyasn1 (pysnmp's codec)", pyasn1_once, 300),
                         ("snmp_ber (lab and v1/v2c client)", ours_once, 20000)):
        best = min(_timed(fn, n) for _ in range(repeat))
        out.append((label, f"{best * 1e6:.1f}"))
    return out


def _timed(fn, n: int) -> float:
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n


# --- main ----------------------------------------------------------------------------------------------------


def baseline_agent(tmp: str) -> Path | None:
    try:
        text = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:netcron/lab/snmp_agent.py"], cwd=ROOT,
                              capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(tmp) / "snmp_agent_baseline.py"
    path.write_text(text)
    return path


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((BASE_ADDRESS, 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--window", type=int, default=256, help="requests in flight")
    p.add_argument("--baseline-devices", type=int, default=200, help="0 = no baseline")
    p.add_argument("--netcron-devices", type=int, default=10000, help="at most this many (0 = skip netcron's client)")
    args = p.parse_args(argv)
    load0 = os.getloadavg()[0]
    print(f"cores: {os.cpu_count()}  load avg at start: {load0:.2f}", flush=True)
    rows: list[tuple] = []
    labs: list[tuple] = []
    with tempfile.TemporaryDirectory(prefix="netcron-snmp-bench-") as tmp:
        baseline = baseline_agent(tmp) if args.baseline_devices else None
        if baseline is not None:
            lab = LabProcess(args.baseline_devices, free_udp_port(), tmp, baseline)
            try:
                get_sweep(lab, args.window, 5)  # engine warm-up
                runs = [get_sweep(lab, args.window) for _ in range(args.repeat)]
                rows.append(row(f"pysnmp engine ({BASELINE_COMMIT})", args.baseline_devices, "GET 4 OIDs", runs))
            finally:
                lab.stop()
        for size in (int(x) for x in args.sizes.split(",")):
            lab = LabProcess(size, free_udp_port(), tmp)
            try:
                print(f"lab: {size} devices ready in {lab.startup:.1f}s", flush=True)
                rows.append(row("netcron lab", size, "GET 4 OIDs, cold", [get_sweep(lab, args.window)]))
                runs = [get_sweep(lab, args.window) for _ in range(args.repeat)]
                rows.append(row("netcron lab", size, "GET 4 OIDs, warm", runs))
                runs = [walk_sweep(lab, args.window) for _ in range(args.repeat)]
                rows.append(row("netcron lab", size, "GETBULK walk ifDescr", runs))
                if args.netcron_devices:
                    n = min(size, args.netcron_devices)
                    runs = [netcron_sweep(lab, n) for _ in range(args.repeat)]
                    best = min(runs, key=lambda r: r[0])
                    rows.append(row("netcron lab", n, "netcron snmp_get client", [r[:4] for r in runs],
                                    f"client CPU {best[4] / n * 1000:.2f} ms/GET"))
                labs.append((size, f"{lab.startup:.1f}", f"{lab.rss_mb():.0f}"))
            finally:
                lab.stop()
    table(f"SNMP v2c against the lab (best of {args.repeat}; load avg {load0:.2f} at start, "
          f"{os.getloadavg()[0]:.2f} at end)", HEADER, rows)
    table("lab process", ("devices", "start s", "RSS MB"), labs)
    table("codec: parse a 4-OID GET and encode its response (CPU us per message, best of 3)",
          ("codec", "us/msg"), codec_rows(3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
