"""`netcron up`: prepare the data dir, then run web, scheduler and worker as supervised children."""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import typer
from django.conf import settings

STOP_GRACE_SECONDS = 15.0


def prepare(demo: bool, base_url: str) -> None:
    """Migrate, create groups/system jobs, an admin user (password printed once) and demo data."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from netcron.jobs.system import ensure_groups, ensure_system_jobs

    (settings.DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    ensure_groups()
    ensure_system_jobs()
    User = get_user_model()
    if not User.objects.filter(is_superuser=True).exists():
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", password=password)
        typer.echo(f"created user admin with password: {password}  (shown once; change it in the UI)")
    if demo:
        from netcron.demo import seed_demo

        typer.echo(seed_demo())
    typer.echo(f"netcron data dir: {settings.DATA_DIR}")
    typer.echo(f"web UI and API: {base_url}/  (API docs {base_url}/api/docs)")


def _die_with_parent() -> None:
    """Child pre-exec: get SIGTERM if `netcron up` itself is killed, so no orphan is left running."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "netcron.wsgi:application", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--threads", "4", "--timeout", "60", "--graceful-timeout", "10",
            "--access-logfile", "-", "--error-logfile", "-", "--log-level", "warning"]


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, start_new_session=True, preexec_fn=_die_with_parent)
        self.started_at = time.monotonic()

    def signal_main(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)

    def signal_group(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)


class Supervisor:
    """Starts the children, restarts a crashed one with backoff, and stops them all on Ctrl-C/SIGTERM."""

    def __init__(self, host: str, port: int, web_workers: int, lab_argv: list[str] | None = None):
        python = sys.executable
        self.children = [
            Child("web", gunicorn_argv(host, port, web_workers)),
            Child("scheduler", [python, "-m", "netcron", "scheduler"]),
            Child("worker", [python, "-m", "netcron", "worker"]),
        ]
        if lab_argv:
            self.children.append(Child("lab", lab_argv))
        self.stopping = False

    def request_stop(self, *_args) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        for child in self.children:
            child.start()
        typer.echo("started " + ", ".join(f"{c.name} (pid {c.process.pid})" for c in self.children)
                   + "; press Ctrl-C to stop")
        try:
            while not self.stopping:
                self.restart_crashed()
                time.sleep(0.5)
        finally:
            self.stop_all()
        return 0

    def restart_crashed(self) -> None:
        now = time.monotonic()
        for child in self.children:
            code = child.process.poll() if child.process else None
            if code is None:
                continue
            if child.next_start == 0.0:
                # Back off 1, 2, 4 ... 30 s; a child that ran a minute counts as healthy again.
                if now - child.started_at > 60:
                    child.restarts = 0
                delay = min(2 ** child.restarts, 30)
                child.restarts += 1
                child.next_start = now + delay
                typer.echo(f"{child.name} exited with code {code}; restarting in {delay} s", err=True)
            elif now >= child.next_start:
                child.next_start = 0.0
                child.start()

    def stop_all(self) -> None:
        typer.echo("stopping ...")
        for child in self.children:
            # The main process only, as systemd does: a Celery pool child killed while it holds the
            # pool's queue lock leaves the worker waiting for that lock at exit until it is killed.
            child.signal_main(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                typer.echo(f"{child.name} did not stop in time; killing it", err=True)
        for child in self.children:
            child.signal_group(signal.SIGKILL)  # also reaps grandchildren (pool processes) left behind
            if child.process is not None:
                child.process.wait()
        typer.echo("stopped")
