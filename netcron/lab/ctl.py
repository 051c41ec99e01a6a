"""``netcron lab ctl``: change faults and configs of a running lab, read its counters.

Exit codes: 0 ok, 1 the lab refused (unknown device, rejected config line), 2 no lab is running there
(or bad usage). Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from .control import SOCKET_GLOB
from .model import FAULTS

STATS_COLUMNS = ("connections", "logins", "auth_failures", "sessions", "commands", "snmp_requests")


class LabNotRunning(Exception):
    pass


class LabRefused(Exception):
    pass


def default_data_dir() -> Path:
    """``.netcron/lab`` (what ``netcron lab`` uses) if a lab runs there, else the demo lab's dir."""
    local = Path(".netcron/lab")
    if any(local.glob(SOCKET_GLOB)):
        return local
    base = os.environ.get("NETCRON_DATA_DIR") or str(Path.home() / ".netcron")
    return Path(base) / "lab"


class LabClient:
    """Talks to every control socket of the lab in ``data_dir`` (one per lab worker process)."""

    def __init__(self, data_dir: str | Path, timeout: float = 30.0) -> None:
        self.data_dir = Path(data_dir)
        self.timeout = timeout

    def _sockets(self) -> list[Path]:
        paths = sorted(self.data_dir.glob(SOCKET_GLOB))
        if not paths:
            raise LabNotRunning(f"no lab is running with data dir {self.data_dir} (no control socket)")
        return paths

    def _ask(self, path: Path, request: dict[str, Any]) -> dict[str, Any] | None:
        """The reply, or None if nothing listens there any more (a stale socket of a killed lab)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(self.timeout)
            try:
                s.connect(str(path))
            except (ConnectionRefusedError, FileNotFoundError):
                return None
            s.sendall(json.dumps(request).encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        if not chunks:
            return None
        return json.loads(b"".join(chunks))

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send ``request`` to the worker that has the device (or merge every worker's list)."""
        replies = [r for r in (self._ask(p, request) for p in self._sockets()) if r is not None]
        if not replies:
            raise LabNotRunning(f"no lab is running with data dir {self.data_dir} (stale control socket)")
        if "device" in request:
            for reply in replies:
                if reply.get("ok") or reply.get("code") != "unknown_device":
                    return self._checked(reply)
            return self._checked(replies[0])
        for reply in replies:
            self._checked(reply)
        devices = [d for r in replies for d in r.get("devices", [])]
        devices.sort(key=lambda d: (ipaddress.ip_address(d["host"]), d["name"]))
        return {"ok": True, "devices": devices}

    @staticmethod
    def _checked(reply: dict[str, Any]) -> dict[str, Any]:
        if not reply.get("ok"):
            raise LabRefused(reply.get("error") or "request failed")
        return reply

    # the operations -----------------------------------------------------------------------------------

    def list(self) -> list[dict[str, Any]]:
        return self.request({"op": "list"})["devices"]

    def stats(self, device: str | None = None) -> list[dict[str, Any]]:
        req: dict[str, Any] = {"op": "stats"}
        if device:
            req["device"] = device
        return self.request(req)["devices"]

    def set_faults(self, device: str, faults: list[str]) -> dict[str, Any]:
        return self.request({"op": "fault", "device": device, "faults": faults})["device"]

    def configure(self, device: str, lines: list[str], *, save: bool = False) -> dict[str, Any]:
        return self.request({"op": "config", "device": device, "lines": lines, "save": save})["device"]

    def show(self, device: str, which: str = "running") -> str:
        return self.request({"op": "show", "device": device, "which": which})["config"]

    def reset(self, device: str) -> dict[str, Any]:
        return self.request({"op": "reset", "device": device})["device"]


def _faults_arg(text: str) -> list[str]:
    if text == "none":
        return []
    faults = [f for f in text.split(",") if f]
    bad = [f for f in faults if f not in FAULTS]
    if bad or not faults:
        raise argparse.ArgumentTypeError(f"unknown fault {','.join(bad) or text!r}; "
                                         f"known: {', '.join(FAULTS)} or none")
    return faults


def build_parser() -> argparse.ArgumentParser:
    # The options work before and after the subcommand (SUPPRESS: a subparser's default must not
    # overwrite a value given before it).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="the lab's --data-dir (default: .netcron/lab if a lab runs there, else "
                             "$NETCRON_DATA_DIR/lab, where `netcron up --demo` runs its lab)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print JSON instead of a table")
    p = argparse.ArgumentParser(prog="netcron lab ctl", description="Control a running `netcron lab` process.",
                                parents=[common])
    sub = p.add_subparsers(dest="cmd", required=True)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, parents=[common])

    add("list", "devices, addresses and active faults")
    f = add("fault", "set a device's faults (replaces the current ones)")
    f.add_argument("device")
    f.add_argument("faults", type=_faults_arg, metavar="|".join((*FAULTS, "none")),
                   help="one fault, several joined by commas, or none")
    c = add("config", "change or show a device's config")
    c.add_argument("device")
    what = c.add_mutually_exclusive_group(required=True)
    what.add_argument("--set-line", action="append", metavar="LINE",
                      help="a config-mode line, as typed on the device (repeat for several, in order)")
    what.add_argument("--show", action="store_true", help="print the running config")
    c.add_argument("--save", action="store_true", help="with --set-line: also copy running to startup")
    c.add_argument("--startup", action="store_true", help="with --show: the startup config instead")
    r = add("reset", "generated config, the lab file's faults, counters zeroed")
    r.add_argument("device")
    s = add("stats", "per-device counters: connections, logins, sessions, SNMP requests")
    s.add_argument("device", nargs="?")
    return p


def _print_table(rows: list[dict[str, Any]], columns: tuple[str, ...], out) -> None:
    cells = [[str(r.get(c, "")) if r.get(c) not in (None, []) else "-" for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=out)


def main(argv: list[str] | None = None, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    client = LabClient(getattr(args, "data_dir", None) or default_data_dir())
    try:
        result: Any
        if args.cmd == "list":
            result = client.list()
            for d in result:
                d["faults"] = ",".join(d["faults"])
            columns: tuple[str, ...] = ("name", "platform", "host", "port", "snmp_port", "faults")
        elif args.cmd == "stats":
            result = client.stats(args.device)
            columns = ("name", "host", *STATS_COLUMNS)
        elif args.cmd == "fault":
            result = client.set_faults(args.device, args.faults)
            columns = ()
            text = f"{args.device}: faults {','.join(result['faults']) or 'none'}"
        elif args.cmd == "config" and args.show:
            text = client.show(args.device, "startup" if args.startup else "running")
            result, columns = {"config": text}, ()
        elif args.cmd == "config":
            result = client.configure(args.device, args.set_line, save=args.save)
            columns = ()
            text = f"{args.device}: {len(args.set_line)} line(s) applied" + (", saved" if args.save else "")
        else:
            result = client.reset(args.device)
            columns = ()
            text = f"{args.device}: reset (faults {','.join(result['faults']) or 'none'})"
    except LabNotRunning as e:
        print(f"netcron lab ctl: {e}", file=err)
        return 2
    except LabRefused as e:
        print(f"netcron lab ctl: {e}", file=err)
        return 1
    except (OSError, ValueError) as e:  # a lab that hung up mid-reply, or a timeout
        print(f"netcron lab ctl: {type(e).__name__}: {e}", file=err)
        return 1
    if getattr(args, "json", False):
        print(json.dumps(result, indent=2), file=out)
    elif columns:
        _print_table(result, columns, out)
    else:
        print(text.rstrip("\n"), file=out)
    return 0
