"""A tiny Celery app and plain-kombu processes on the netcron-fs broker, for test_fsbroker.

Worker subprocesses load it with ``celery -A netcron.lib.tests.fsbroker_app worker``; the folders come
from FSBROKER_DIR (broker) and FSBROKER_OUT (what tasks did). ``python -m`` runs the kombu roles.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from celery import Celery
from kombu import Connection, Consumer, Exchange, Producer, Queue

from netcron.lib import fsbroker

QUEUES = ("default", "backup")
TEST_EXCHANGE = Exchange("test", type="direct")
TEST_QUEUES = [Queue(name, TEST_EXCHANGE, routing_key=name) for name in ("alpha", "beta")]


def make_app(broker_dir: str, out_dir: str) -> Celery:
    """netcron's Celery settings in miniature: a direct exchange per queue, late acks, prefetch 1."""
    # fixups=[]: pytest-django exports DJANGO_SETTINGS_MODULE and the Django fixup would boot Django.
    app = Celery("fsbroker_app", broker=f"{fsbroker.ALIAS}://{broker_dir}", fixups=[], set_as_current=False)
    app.conf.update(
        task_queues=[Queue(n, Exchange(n, type="direct"), routing_key=n) for n in QUEUES],
        task_default_queue="default",
        task_default_exchange="default",
        task_default_routing_key="default",
        task_routes={"fsbroker_app.backup_job": {"queue": "backup"}},
        task_create_missing_queues=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"polling_interval": 0.02},
    )

    def run(task, tag: str, seconds: float) -> None:
        out = Path(out_dir)
        me = f"{task.request.hostname} {os.getpid()}"
        (out / f"{tag}.start.{os.getpid()}").write_text(me)
        time.sleep(seconds)
        (out / f"{tag}.done.{os.getpid()}").write_text(me)

    @app.task(name="fsbroker_app.backup_job", bind=True)
    def backup_job(self, tag: str, seconds: float = 0.0) -> None:
        run(self, tag, seconds)

    @app.task(name="fsbroker_app.default_job", bind=True)
    def default_job(self, tag: str, seconds: float = 0.0) -> None:
        run(self, tag, seconds)

    return app


app = make_app(
    os.environ.get("FSBROKER_DIR", os.path.join(tempfile.gettempdir(), "fsbroker-test")),
    os.environ.get("FSBROKER_OUT", tempfile.gettempdir()),
)


# --- plain kombu roles, run as separate processes by the tests ---------------------------------------


def publish(broker: str, publisher: str, count: int, big_every: int) -> None:
    """Publish `count` numbered messages alternating over the test queues; every big_every-th is 256 KB."""
    with Connection(f"{fsbroker.ALIAS}://{broker}") as conn:
        producer = Producer(conn)
        for seq in range(count):
            queue = TEST_QUEUES[seq % len(TEST_QUEUES)]
            pad = "x" * (256 * 1024) if big_every and seq % big_every == 0 else ""
            body = {"publisher": publisher, "seq": seq, "pad": pad}
            producer.publish(body, exchange=TEST_EXCHANGE, routing_key=queue.routing_key, declare=[queue])


def consume(broker: str, out: str, prefetch: int, stop_file: str, hold: int) -> None:
    """Ack and record (one JSON line each) until stop_file exists and the queues stay empty.

    With hold > 0: claim that many without acking, say so in `out`.held, then wait to be killed.
    """
    record = open(out, "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    held: list = []

    def on_message(body, message):
        if hold:
            held.append(body)
            if len(held) == hold:
                Path(out + ".held").write_text(json.dumps([[b["publisher"], b["seq"]] for b in held]))
                signal.pause()
            return
        assert len(body["pad"]) in (0, 256 * 1024)
        message.ack()
        queue = message.delivery_info["routing_key"]
        record.write(json.dumps([body["publisher"], body["seq"], queue, len(body["pad"])]) + "\n")

    with Connection(f"{fsbroker.ALIAS}://{broker}") as conn:
        consumer = Consumer(conn, TEST_QUEUES, callbacks=[on_message], accept=["json"], prefetch_count=prefetch)
        with consumer:
            idle_since = None
            while True:
                try:
                    conn.drain_events(timeout=0.2)
                    idle_since = None
                except TimeoutError:
                    if os.path.exists(stop_file):
                        idle_since = idle_since or time.monotonic()
                        if time.monotonic() - idle_since > 0.5:
                            return


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["publish", "consume"])
    parser.add_argument("--broker", required=True)
    parser.add_argument("--name", default="p")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--big-every", type=int, default=0)
    parser.add_argument("--out", default="")
    parser.add_argument("--prefetch", type=int, default=1)
    parser.add_argument("--stop-file", default="")
    parser.add_argument("--hold", type=int, default=0)
    args = parser.parse_args(argv)
    if args.role == "publish":
        publish(args.broker, args.name, args.count, args.big_every)
    else:
        consume(args.broker, args.out, args.prefetch, args.stop_file, args.hold)


if __name__ == "__main__":
    main(sys.argv[1:])
