"""Real worker processes sharing the test database with the test process."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Db 15 by default; NETCRON_TEST_REDIS_URL gives a concurrent test run on this machine a db of its own.
REDIS_URL = os.environ.get("NETCRON_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def database_url() -> str:
    """A NETCRON_DATABASE_URL for the test database this pytest process is using."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def redis_available() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def redis_broker():
    """Point this process's Celery app at a real Redis (db 15, flushed) for the test."""
    if not redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    from netcron.celery import use_broker

    redis.Redis.from_url(REDIS_URL).flushdb()
    previous = use_broker(REDIS_URL)
    yield REDIS_URL
    use_broker(previous)
    redis.Redis.from_url(REDIS_URL).flushdb()


class Workers:
    """Starts `netcron worker` processes and stops them all at the end of the test."""

    def __init__(self, tmp_path: Path, broker_url: str):
        self.tmp_path, self.broker_url = tmp_path, broker_url
        self.processes: list[subprocess.Popen] = []

    def start(self, queues: str = "default,backup,network,heavy", concurrency: int = 1,
              extra_env: dict | None = None) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
        env.update(NETCRON_DATA_DIR=str(self.tmp_path / "worker-data"), NETCRON_DATABASE_URL=database_url(),
                   NETCRON_BROKER_URL=self.broker_url, NETCRON_WORKER_QUEUES=queues,
                   NETCRON_HEARTBEAT_SECONDS="1", PYTHONUNBUFFERED="1", **(extra_env or {}))
        log = (self.tmp_path / f"worker-{len(self.processes)}.log").open("w")
        process = subprocess.Popen([sys.executable, "-m", "netcron", "worker", "--concurrency", str(concurrency)],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        stop_processes(self.processes)

    def logs(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in sorted(self.tmp_path.glob("worker-*.log")))


def stop_processes(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each main process, as systemd does, then SIGKILL to whatever is left of its group.

    Not SIGTERM to the whole group: a Celery pool child killed while holding the pool's queue lock
    leaves the worker's main process waiting for that lock at exit (billiard _help_stuff_finish).
    """
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # pool children that outlived their parent


@pytest.fixture
def workers(tmp_path, redis_broker):
    pool = Workers(tmp_path, redis_broker)
    yield pool
    pool.stop()


def wait_until(predicate, timeout: float, what: str, logs=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs()}")


class Schedulers:
    """Starts `netcron scheduler` processes (they also run the reaper) and stops them all at the end."""

    def __init__(self, tmp_path: Path, broker_url: str):
        self.tmp_path, self.broker_url = tmp_path, broker_url
        self.processes: list[subprocess.Popen] = []

    def start(self, interval: float = 0.1, extra_env: dict | None = None) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
        env.update(NETCRON_DATA_DIR=str(self.tmp_path / "scheduler-data"), NETCRON_DATABASE_URL=database_url(),
                   NETCRON_BROKER_URL=self.broker_url, PYTHONUNBUFFERED="1", **(extra_env or {}))
        log = (self.tmp_path / f"scheduler-{len(self.processes)}.log").open("w")
        process = subprocess.Popen([sys.executable, "-m", "netcron", "scheduler", "--interval", str(interval)],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9, as the OOM killer or a power cut would."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        stop_processes(self.processes)

    def logs(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in sorted(self.tmp_path.glob("scheduler-*.log")))


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of our own on a free port, so the test can kill and restart it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen | None = None

        def start(self):
            self.process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                             "--appendonly", "no", "--dir", str(tmp_path)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(self.ping, 10, "redis to start")

        def ping(self):
            import redis

            try:
                return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
            except redis.RedisError:
                return False

        def kill(self):
            self.process.kill()
            self.process.wait()

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.kill()
