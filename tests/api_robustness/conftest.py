"""A live `netcron web` (gunicorn) process on the test database, for tests that speak real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def live_server_url(django_db_setup, django_db_blocker, tmp_path_factory) -> str:
    """Base URL of a gunicorn serving netcron on this test run's database; stopped after the module."""
    from django.conf import settings

    with django_db_blocker.unblock():
        url = database_url()
    tmp: Path = tmp_path_factory.mktemp("live-server")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCRON_")}
    env.update(NETCRON_DATA_DIR=str(tmp / "data"), NETCRON_DATABASE_URL=url, NETCRON_BROKER_URL="memory://",
               NETCRON_SECRET_KEY=settings.SECRET_KEY, PYTHONUNBUFFERED="1")
    port = free_port()
    log_path = tmp / "web.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "netcron", "web", "--port", str(port), "--workers", "1"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"{base}/api/health"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the web server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
