"""`netcron up` on an empty data dir: real web, scheduler and worker processes, no external server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method: str, url: str, token: str = "", body: dict | None = None) -> tuple[int, dict | str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read().decode(), exc.code
    try:
        return status, json.loads(raw)
    except json.JSONDecodeError:
        return status, raw


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def netcron(data_dir: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
    env["NETCRON_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "netcron", *args], env=env, capture_output=True, text=True,
                          timeout=120, **kwargs)


@pytest.fixture
def up(tmp_path):
    """Start `netcron up` in a fresh data dir; yield (base_url, process, output_file); stop it with SIGINT."""
    data_dir = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
    env.update(NETCRON_DATA_DIR=str(data_dir), NETCRON_HEARTBEAT_SECONDS="1", PYTHONUNBUFFERED="1")
    output = tmp_path / "up.log"
    with output.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "netcron", "up", "--demo", "--port", str(port)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(base), 60, f"/api/health to answer (log: {output.read_text()[-2000:]})")
        yield base, process, output, data_dir
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _healthy(base: str) -> bool:
    try:
        return http("GET", f"{base}/api/health")[0] == 200
    except OSError:
        return False


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_netcron_up_serves_runs_jobs_in_a_separate_worker_and_stops_cleanly_on_ctrl_c(up):
    base, process, output, data_dir = up
    assert (data_dir / "netcron.sqlite3").exists()
    assert "created user admin with password: " in output.read_text()

    status, spec = http("GET", f"{base}/api/openapi.json")
    assert status == 200 and "/api/job-runs" in spec["paths"]

    created = netcron(data_dir, "createuser", "ops", "--token")
    assert created.returncode == 0, created.stderr
    token = re.search(r"token: (\S+)", created.stdout).group(1)

    assert http("POST", f"{base}/api/devices", token, {"name": "r1", "host": "127.0.1.1",
                                                        "platform": "cisco_ios"})[0] == 201
    status, template = http("POST", f"{base}/api/job-templates", token,
                            {"name": "touch all", "job_type": "noop", "targets": {"devices": ["r1"]}})
    assert status == 201, template
    status, launched = http("POST", f"{base}/api/job-templates/{template['id']}/run", token, {})
    assert status == 201, launched

    def finished():
        code, run = http("GET", f"{base}/api/job-runs/{launched['run_id']}", token)
        return run if code == 200 and run["status"] in ("completed", "failed", "cancelled") else None

    run = wait_for(finished, 60, "the run to finish")
    assert run["status"] == "completed"
    assert run["count_ok"] == 1
    worker_pid = int(run["executed_by"].rsplit("-", 1)[1])
    assert worker_pid != process.pid
    assert worker_pid in {p.pid for p in descendants(process.pid)}, "executed by a child worker process"

    waited = netcron(data_dir, "run", "touch all", "--wait", "--timeout", "60")
    assert waited.returncode == 0, waited.stderr
    assert re.search(r"run #\d+ completed: 1 ok, 0 failed", waited.stdout)

    templates = http("GET", f"{base}/api/job-templates", token)[1]
    assert "demo: touch every device" in {t["name"] for t in templates["items"]}
    lab_devices = http("GET", f"{base}/api/devices?tag=lab&page_size=100", token)[1]
    assert lab_devices["count"] == 20
    wait_for(lambda: _listening("127.0.1.1", 2222), 30, "the demo lab to listen")
    for demo_job in ("demo: config backup", "demo: reachability"):
        finished_job = netcron(data_dir, "run", demo_job, "--wait", "--timeout", "90")
        assert finished_job.returncode == 0, finished_job.stdout + finished_job.stderr
        assert "completed: 20 ok, 0 failed" in finished_job.stdout
    shown = netcron(data_dir, "config", "show", "ios-0001")
    assert shown.returncode == 0 and "hostname" in shown.stdout

    workers = http("GET", f"{base}/api/workers", token)[1]
    assert any(set(w["queues"]) == {"default", "backup", "network", "heavy"} and w["alive"]
               for w in workers["workers"])

    children = descendants(process.pid)
    assert len(children) >= 3
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=40) == 0
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"left behind: {[p.pid for p in alive]}"
    assert "stopped" in output.read_text()
    assert "did not stop in time" not in output.read_text(), "every child stops on its own within the grace time"


def test_a_malformed_setting_stops_start_up_with_one_line_naming_the_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
    env.update(NETCRON_DATA_DIR=str(tmp_path), NETCRON_DATABASE_URL="mysql://nope")
    result = subprocess.run([sys.executable, "-m", "netcron", "up"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("netcron: NETCRON_DATABASE_URL: unsupported scheme 'mysql'")
