"""Out-of-band control of a running lab process: a Unix socket in the lab's data dir.

One JSON object per line each way, one request per connection::

    -> {"op": "fault", "device": "ios-0001", "faults": ["down"]}
    <- {"ok": true, "device": {...}}
    <- {"ok": false, "code": "unknown_device", "error": "no device named 'x'"}

A Unix socket and not TCP: only users who may open the data dir can reach it (it is created 0600), so
there is no token to manage, and nothing listens on a port a device address could collide with. With
``--workers N`` every worker process serves its own devices on ``control-<i>.sock``; the client
(``netcron lab ctl``, in ``ctl.py``) asks all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lab import Lab

log = logging.getLogger(__name__)

SOCKET_GLOB = "control*.sock"
MAX_REQUEST = 1 << 20  # config lines are short; a megabyte is plenty


def socket_path(data_dir: str | Path, worker: int | None = None) -> Path:
    return Path(data_dir) / ("control.sock" if worker is None else f"control-{worker}.sock")


class ControlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def device_info(lab: Lab, name: str) -> dict[str, Any]:
    state = lab.device(name)
    spec = state.spec
    return {
        "name": name, "platform": spec.platform, "host": spec.host, "port": spec.port,
        "snmp_port": spec.snmp_port or None, "hostname": state.hostname, "faults": sorted(state.faults),
    }


class ControlServer:
    """Serves ``Lab`` control requests on a Unix socket until ``stop()``."""

    def __init__(self, lab: Lab, path: str | Path) -> None:
        self.lab = lab
        self.path = Path(path)
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> ControlServer:
        if _alive(self.path):
            raise OSError(f"another lab already serves {self.path}")
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left behind by a lab that was killed
        self.path.parent.mkdir(parents=True, exist_ok=True)
        old_umask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=MAX_REQUEST)
        finally:
            os.umask(old_umask)
        return self

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 5)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ControlError("bad_request", "request must be a JSON object")
                reply = {"ok": True, **await self.handle(request)}
            except ControlError as e:
                reply = {"ok": False, "code": e.code, "error": str(e)}
            except (ValueError, TypeError) as e:
                reply = {"ok": False, "code": "bad_request", "error": str(e)}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except Exception:  # a client that hung up or sent garbage must not take the lab down
            log.debug("control request failed", exc_info=True)
        finally:
            writer.close()

    async def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        lab = self.lab
        if op == "list":
            return {"devices": [device_info(lab, name) for name in lab.devices]}
        if op == "stats":
            names = [self._name(req)] if req.get("device") else list(lab.devices)
            return {"devices": [{"name": n, "host": lab.device(n).spec.host, **lab.device(n).stats()}
                                for n in names]}
        name = self._name(req)
        if op == "fault":
            faults = req.get("faults")
            if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
                raise ControlError("bad_request", "faults must be a list of fault names")
            try:
                await lab.set_faults(name, faults)
            except ValueError as e:
                raise ControlError("bad_request", str(e)) from None
            return {"device": device_info(lab, name)}
        if op == "config":
            lines = req.get("lines") or []
            if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
                raise ControlError("bad_request", "lines must be a list of strings")
            try:
                lab.configure(name, lines, save=bool(req.get("save")))
            except ValueError as e:
                raise ControlError("rejected", f"{name}: {e}") from None
            return {"device": device_info(lab, name)}
        if op == "show":
            state = lab.device(name)
            which = req.get("which", "running")
            if which not in ("running", "startup"):
                raise ControlError("bad_request", "which must be 'running' or 'startup'")
            return {"config": state.running_config() if which == "running" else state.startup_config()}
        if op == "reset":
            await lab.reset(name)
            return {"device": device_info(lab, name)}
        raise ControlError("bad_request", f"unknown op {op!r}")

    def _name(self, req: dict[str, Any]) -> str:
        name = req.get("device")
        if not isinstance(name, str) or name not in self.lab.devices:
            raise ControlError("unknown_device", f"no device named {name!r}")
        return name


def _alive(path: Path) -> bool:
    """True if a process accepts connections on the socket at ``path``."""
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True
