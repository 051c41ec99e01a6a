"""Broker throughput for embedded mode: publish and consume a 10k backlog, netcron-fs vs the rest.

    .venv/bin/python bench/broker.py [--messages 10000] [--cap 20]

Consumers behave like netcron's Celery workers: prefetch 1, ack after each message, 0.05 s poll.
Each row starts from an empty broker. Consumption stops at --cap seconds, so slow transports report
a rate over what they got through (marked "capped"). Redis is included when 127.0.0.1:6379 answers.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from kombu import Connection, Consumer, Exchange, Producer, Queue

PAD = "x" * 200


@dataclass
class Broker:
    name: str
    url: str
    options: dict


def brokers(workdir: str) -> list[Broker]:
    fs = os.path.join(workdir, "filesystem")
    for sub in ("data", "control"):
        os.makedirs(os.path.join(fs, sub), exist_ok=True)
    found = [
        Broker("netcron-fs", f"netcron-fs://{workdir}/netcron-fs", {"polling_interval": 0.05}),
        Broker(
            "filesystem (stock)",
            "filesystem://",
            {
                "polling_interval": 0.05,
                # in and out must be the same folder in every process (EMBEDDED.md)
                "data_folder_in": os.path.join(fs, "data"),
                "data_folder_out": os.path.join(fs, "data"),
                "control_folder": os.path.join(fs, "control"),
            },
        ),
    ]
    with socket.socket() as s:
        s.settimeout(0.5)
        if s.connect_ex(("127.0.0.1", 6379)) == 0:
            found.append(Broker("redis", "redis://127.0.0.1:6379/0", {}))
    return found


def entities(run: str) -> Queue:
    return Queue(f"bench-{run}", Exchange(f"bench-{run}", type="direct"), routing_key="bench")


def consume(broker: Broker, run: str, ready, go, total, expected: int, cap: float, results) -> None:
    import netcron.lib.fsbroker  # noqa: F401 - registers netcron-fs:// in this process

    seqs: list[int] = []
    last = [0.0]

    def on_message(body, message):
        message.ack()
        seqs.append(body["seq"])
        last[0] = time.monotonic()
        with total.get_lock():
            total.value += 1

    with (
        Connection(broker.url, transport_options=broker.options) as conn,
        Consumer(conn, [entities(run)], callbacks=[on_message], accept=["json"], prefetch_count=1),
    ):
        ready.release()
        go.wait()
        start = time.monotonic()
        idle_since = None
        while total.value < expected and time.monotonic() - start < cap:
            try:
                conn.drain_events(timeout=0.2)
                idle_since = None
            except TimeoutError:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 2.0:
                    break  # drained (or the transport lost the rest)
    results.put((seqs, last[0]))


def run_one(broker: Broker, consumers: int, messages: int, cap: float) -> dict:
    run = uuid.uuid4().hex[:8]
    queue = entities(run)
    with Connection(broker.url, transport_options=broker.options) as conn:
        producer = Producer(conn)
        producer.publish({"seq": -1, "pad": ""}, exchange=queue.exchange, routing_key="bench", declare=[queue])
        conn.default_channel.queue_purge(queue.name)
        t0 = time.perf_counter()
        for seq in range(messages):
            producer.publish({"seq": seq, "pad": PAD}, exchange=queue.exchange, routing_key="bench")
        publish_rate = messages / (time.perf_counter() - t0)

    ctx = mp.get_context("spawn")
    ready, go, total, results = ctx.Semaphore(0), ctx.Event(), ctx.Value("i", 0), ctx.Queue()
    procs = [
        ctx.Process(target=consume, args=(broker, run, ready, go, total, messages, cap, results))
        for _ in range(consumers)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    start = time.monotonic()
    go.set()
    outcomes = [results.get(timeout=cap + 60) for _ in procs]
    for p in procs:
        p.join()

    seen = Counter(seq for seqs, _ in outcomes for seq in seqs)
    finished = max(last for _, last in outcomes) or time.monotonic()
    with Connection(broker.url, transport_options=broker.options) as conn:
        remaining = conn.default_channel._size(queue.name)
        conn.default_channel.queue_delete(queue.name)
    return {
        "publish": publish_rate,
        "consume": sum(seen.values()) / max(finished - start, 1e-9),
        "consumed": sum(seen.values()),
        "capped": len(seen) + remaining >= messages and remaining > 0,
        "lost": messages - len(seen) - remaining,
        "dup": sum(n - 1 for n in seen.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--cap", type=float, default=20.0, help="max seconds of consuming per row")
    args = parser.parse_args()

    import netcron.lib.fsbroker  # noqa: F401

    columns = ("consumers", 9), ("publish/s", 10), ("consume/s", 10), ("consumed", 9), ("lost", 5), ("dup", 5)
    header = f"{'transport':<20} " + " ".join(f"{name:>{width}}" for name, width in columns)
    print(f"{args.messages} x {len(PAD)} B messages, prefetch 1, ack each; {os.cpu_count()} CPUs")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="bench-broker-", dir=os.environ.get("BENCH_DIR")) as workdir:
        for broker in brokers(workdir):
            for consumers in (1, 2):
                r = run_one(broker, consumers, args.messages, args.cap)
                note = " (capped)" if r["capped"] else ""
                print(
                    f"{broker.name:<20} {consumers:>9} {r['publish']:>10,.0f} {r['consume']:>10,.0f} "
                    f"{r['consumed']:>9,} {r['lost']:>5} {r['dup']:>5}{note}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
