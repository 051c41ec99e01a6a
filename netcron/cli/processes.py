"""`netcron up | web | worker | scheduler | lab`: the long-running processes."""

from __future__ import annotations

import os
import sys

import typer

from netcron.cli.common import BadInput, setup_django


def worker(
    queues: str = typer.Option("", help="Comma-separated queues (default: NETCRON_WORKER_QUEUES or all)"),
    concurrency: int = typer.Option(0, help="Pool processes (default: NETCRON_WORKER_CONCURRENCY)"),
    name: str = typer.Option("", help="Worker name (default: <queues>@<host>-<pid>, unique)"),
    loglevel: str = typer.Option("INFO"),
) -> None:
    """Run a Celery worker consuming the given queues."""
    if queues:
        os.environ["NETCRON_WORKER_QUEUES"] = queues
    setup_django()
    from django.conf import settings

    from netcron.celery import app
    from netcron.jobs.workers import default_worker_name

    chosen = settings.NETCRON_WORKER_QUEUES
    app.worker_main([
        "worker", "-Q", ",".join(chosen), "-n", name or default_worker_name(chosen),
        "--concurrency", str(concurrency or settings.NETCRON_WORKER_CONCURRENCY), "--loglevel", loglevel,
        "--pool", "prefork", "--without-gossip", "--without-mingle",
    ])


def scheduler(
    once: bool = typer.Option(False, "--once", help="Run a single tick (and reap) and exit"),
    interval: float = typer.Option(0, help="Seconds between ticks (default: NETCRON_SCHEDULER_INTERVAL_MS)"),
) -> None:
    """Turn due schedules into runs, exactly once, and recover stuck runs. Any number may run at once."""
    setup_django()
    from netcron.jobs.scheduler import SchedulerLoop

    loop = SchedulerLoop(interval=interval or None)
    if once:
        loop.run_once()
        return
    loop.run_forever()


def web(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000, min=1, max=65535),
    workers: int = typer.Option(2, min=1, max=64),
) -> None:
    """Serve the web UI and API with gunicorn."""
    setup_django()
    from netcron.cli.supervisor import gunicorn_argv

    os.execv(sys.executable, gunicorn_argv(host, port, workers))


def up(
    demo: bool = typer.Option(False, "--demo", help="Also seed demo data (templates, schedules, devices)"),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000, min=1, max=65535),
    data_dir: str = typer.Option("", help="Data directory (default: NETCRON_DATA_DIR or ~/.netcron)"),
    web_workers: int = typer.Option(2, min=1, max=16),
) -> None:
    """Run everything (web, scheduler, worker for all queues) in one process group; Ctrl-C stops it all."""
    if data_dir:
        os.environ["NETCRON_DATA_DIR"] = os.path.abspath(data_dir)
    setup_django()
    from netcron.cli.supervisor import Supervisor, prepare

    if not 1 <= port <= 65535:
        raise BadInput(f"--port: {port} is not a valid port")
    prepare(demo=demo, base_url=f"http://{host}:{port}")
    lab = None
    if demo:
        from netcron.demo import lab_argv

        lab = lab_argv()
    supervisor = Supervisor(host=host, port=port, web_workers=web_workers, lab_argv=lab)
    raise SystemExit(supervisor.run())


def lab(ctx: typer.Context) -> None:
    """Serve simulated devices (SSH, SNMP, NETCONF) on 127.0.1.x; `netcron lab --help` for options."""
    from netcron.lab import main as lab_main

    raise SystemExit(lab_main(ctx.args))


def register_process_commands(app: typer.Typer) -> None:
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                  "help_option_names": []}, add_help_option=False)(lab)
    app.command()(up)
    app.command()(web)
    app.command()(worker)
    app.command()(scheduler)
