"""Helpers for the browser tests and the screenshot script: a real `netcron up --demo` and headless Chromium.

Playwright's own browser download cannot work here, so Debian's /usr/bin/chromium is launched instead.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
PASSWORD = "browser-pass-1"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
    env.update(NETCRON_DATA_DIR=str(data_dir), NETCRON_HEARTBEAT_SECONDS="1", PYTHONUNBUFFERED="1")
    return env


@dataclass
class Server:
    base: str
    data_dir: Path
    process: subprocess.Popen
    log: Path
    token: str = ""

    def netcron(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "netcron", *args], env={**_env(self.data_dir), **(env or {})},
                              capture_output=True, text=True, timeout=120, check=False)

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_server(data_dir: Path, user: str = "alice") -> Server:
    """`netcron up --demo` on a free port, plus an operator `user` (password PASSWORD) with an API token."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "netcron", "up", "--demo", "--port", str(port)],
                                   env=_env(data_dir), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", data_dir, process, log)
    deadline = time.monotonic() + 60
    while not _healthy(server.base):
        if time.monotonic() > deadline or process.poll() is not None:
            server.stop()
            raise RuntimeError(f"netcron up did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    created = server.netcron("createuser", user, "--token", env={"NETCRON_NEW_PASSWORD": PASSWORD})
    if created.returncode != 0:
        server.stop()
        raise RuntimeError(created.stderr)
    server.token = re.search(r"token: (\S+)", created.stdout).group(1)
    return server


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/api/health", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def log_in(page, base: str, user: str = "alice") -> None:
    page.goto(base + "/login/")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


def wait_finished(server: Server, run_id: int, timeout: float = 60) -> dict:
    """The run once it has ended (polls the API); raises if it is still going after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        run = server.api("GET", f"/api/job-runs/{run_id}")
        if run["status"] in ("completed", "failed", "cancelled"):
            return run
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} still {run['status']} after {timeout} s")
        time.sleep(0.3)


def backed_up_twice(server: Server, lab_dir: Path, name: str = "ios-0901"):
    """Generator: a lab router of the test process's own, in the server's inventory, backed up by the server's
    worker twice with one interface description changed in between. Yields what the diff must show."""
    from netcron.lab import generate
    from netcron.lab.testing import free_port, running_lab

    spec = generate(1, ["cisco_ios"], start_index=int(name[-4:]) - 1, base_address="127.0.8.1",
                    config_lines=300)[0]
    spec.port = free_port(spec.host)
    with running_lab([spec], lab_dir) as lab:
        credential = server.api("POST", "/api/credentials", {
            "name": f"{name} login", "username": spec.username, "password": spec.password,
            "enable_secret": spec.enable_secret, "host_key_policy": "ignore"})
        device = server.api("POST", "/api/devices", {"name": spec.name, "host": spec.host, "port": spec.port,
                                                     "platform": spec.platform, "credential_id": credential["id"]})
        # An explicit path: the default one starts with the location, which this device has none of.
        template = server.api("POST", "/api/job-templates", {
            "name": f"backup {spec.name}", "job_type": "backup", "targets": {"devices": [str(device["id"])]},
            "params": {"backup_running_config_path": "browser/{{ device.name }}.running.cfg"}})
        lines = lab.running_config(spec.name).splitlines()
        start = lines.index("interface GigabitEthernet1/0/2")
        old_line = next(line for line in lines[start:] if line.startswith(" description")).strip()
        new_line = "description netcron-browser-change"
        runs = []
        for change in (None, ["interface GigabitEthernet1/0/2", new_line]):
            if change:
                lab.configure(spec.name, change)
            run = server.api("POST", f"/api/job-templates/{template['id']}/run", {})
            runs.append(wait_finished(server, run["run_id"]))
            if runs[-1]["status"] != "completed":
                raise RuntimeError(f"backup run failed: {runs[-1]}")
        versions = server.api("GET", f"/api/devices/{device['id']}/configs?kind=running")["items"]
        if len(versions) != 2:
            raise RuntimeError(f"expected two config versions, got {versions}; runs: {runs}")
        yield {"id": device["id"], "name": spec.name, "commits": [v["commit"] for v in reversed(versions)],
               "old_line": old_line, "new_line": new_line, "marker": "netcron-browser-change",
               "runs": [r["id"] for r in runs]}
