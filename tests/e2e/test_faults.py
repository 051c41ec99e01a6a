"""Faults with real processes: a killed worker, a scheduler dying before publish, a Redis restart."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
from django.utils import timezone

from netcron.jobs import dispatch, scheduler
from netcron.jobs.models import JobRun, JobSchedule, JobTemplate
from tests.e2e.conftest import Workers, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def reap_until(predicate, timeout: float, what: str, logs=lambda: ""):
    """Run the reaper as a scheduler would, until the predicate holds."""
    def step():
        dispatch.reap()
        return predicate()

    return wait_until(step, timeout, what, logs)


def run_state(run_id: int) -> JobRun:
    return JobRun.objects.get(pk=run_id)


def test_a_run_whose_worker_is_killed_is_failed_with_a_reason_and_retried(workers, settings):
    settings.NETCRON_LEASE_SECONDS = 3
    worker = workers.start(extra_env={"NETCRON_LEASE_SECONDS": "3"})
    template = JobTemplate.objects.create(name="slow", job_type="sleep", params={"seconds": 4, "steps": 8},
                                          max_retries=1)
    run = dispatch.launch(template)
    wait_until(lambda: run_state(run.pk).status == "running", 60, "the run to start", workers.logs)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at = time.monotonic()
    lost = reap_until(lambda: run_state(run.pk).status == "failed" and run_state(run.pk), 30, "the reaper")
    assert time.monotonic() - killed_at < settings.NETCRON_LEASE_SECONDS + 8
    assert lost.error.startswith("lost worker all@")
    retry = JobRun.objects.get(retry_of=run)
    workers.start()
    done = reap_until(lambda: run_state(retry.pk).is_finished and run_state(retry.pk), 90, "the retry to finish",
                      workers.logs)
    assert (done.status, done.attempt, done.triggered_by) == ("completed", 2, "retry")


def test_a_run_committed_by_a_scheduler_that_died_before_publishing_is_still_executed_once(workers, monkeypatch):
    template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 0.1, "steps": 1})
    JobSchedule.objects.create(name="s", template=template, cron_expr="* * * * *",
                               next_fire_at=timezone.now() - timezone.timedelta(seconds=1))

    def die(run):
        raise KeyboardInterrupt("scheduler killed between insert and publish")

    monkeypatch.setattr(dispatch, "publish_run", die)
    with pytest.raises(KeyboardInterrupt):
        scheduler.tick()
    monkeypatch.undo()
    [run] = JobRun.objects.all()
    assert (run.status, run.published_at) == ("pending", None)

    workers.start()
    done = reap_until(lambda: run_state(run.pk).is_finished and run_state(run.pk), 60, "the run", workers.logs)
    assert done.status == "completed"
    assert done.logs.filter(message__startswith="started on").count() == 1
    assert JobRun.objects.count() == 1


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
    server.kill()


def test_no_run_is_lost_when_redis_restarts_mid_run(tmp_path, private_redis, settings):
    from netcron.celery import use_broker

    settings.NETCRON_REPUBLISH_AFTER_SECONDS = 3
    previous = use_broker(private_redis.url)
    workers = Workers(tmp_path, private_redis.url)
    try:
        workers.start(concurrency=1)
        template = JobTemplate.objects.create(name="t", job_type="sleep", params={"seconds": 3, "steps": 6})
        first = dispatch.launch(template)
        wait_until(lambda: run_state(first.pk).status == "running", 60, "the first run to start", workers.logs)
        second = dispatch.launch(template)  # waits in Redis behind the first (concurrency 1)
        time.sleep(0.5)
        private_redis.kill()  # the queued message is gone with it: Redis keeps nothing on disk here
        private_redis.start()
        use_broker(private_redis.url)
        for run in (first, second):
            done = reap_until(lambda r=run: run_state(r.pk).is_finished and run_state(r.pk), 90,
                              f"run {run.pk} to finish", workers.logs)
            assert done.status == "completed", done.error
            assert done.logs.filter(message__startswith="started on").count() == 1
    finally:
        workers.stop()
        use_broker(previous)
