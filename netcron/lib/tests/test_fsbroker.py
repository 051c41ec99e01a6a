"""The netcron-fs broker loses nothing: real processes publish, consume, get killed and recover."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Producer, Queue

from netcron.lib import fsbroker, fsbroker_store
from netcron.lib.fsbroker_store import Store, decode_name, encode_name
from netcron.lib.tests.fsbroker_app import make_app

PYTHON = sys.executable
CELERY = str(Path(sys.executable).with_name("celery"))
HELPERS = "netcron.lib.tests.fsbroker_app"

EXCHANGE = Exchange("jobs", type="direct")
JOBS = Queue("jobs", EXCHANGE, routing_key="jobs")


def url(broker: Path) -> str:
    return f"netcron-fs://{broker}"


def publish(broker: Path, bodies, queue: Queue = JOBS) -> None:
    with Connection(url(broker)) as conn:
        producer = Producer(conn)
        for body in bodies:
            producer.publish(body, exchange=queue.exchange, routing_key=queue.routing_key, declare=[queue])


def files(folder: Path, pattern: str = "*.msg") -> list[Path]:
    return sorted(folder.rglob(pattern))


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(extra)
    return env


# --- naming and registration ---------------------------------------------------------------------


def test_it_registers_the_url_alias_idempotently():
    fsbroker.register()
    fsbroker.register()
    from kombu.transport import TRANSPORT_ALIASES

    assert TRANSPORT_ALIASES["netcron-fs"] == "netcron.lib.fsbroker:Transport"


def test_it_takes_the_folder_from_the_url_and_options_from_transport_options(tmp_path):
    conn = Connection(url(tmp_path / "b"), transport_options={"polling_interval": 0.2, "visibility_timeout": 9})
    with conn:
        assert conn.transport.store.root == str(tmp_path / "b")
        assert conn.transport.polling_interval == 0.2
        assert conn.default_channel.visibility_timeout == 9
    with Connection(url(tmp_path / "c")) as conn:
        assert conn.transport.polling_interval == 0.05


def test_message_names_sort_in_publish_order_and_never_repeat():
    namer = fsbroker_store._Namer()
    names = [namer.next() for _ in range(10_000)]
    assert names == sorted(names)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", ["default", "w@host.celery.pidbox", "a/b", "..", ".hidden", "", "x" * 220])
def test_queue_names_that_are_not_file_names_round_trip(name):
    component = encode_name(name)
    assert "/" not in component
    assert component not in (".", "..")
    assert decode_name(component) == name


# --- delivery semantics in one process -----------------------------------------------------------


def test_messages_come_out_in_publish_order_and_ack_deletes_them(tmp_path):
    publish(tmp_path, [{"n": n} for n in range(5)])
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        assert channel._size("jobs") == 5
        got = [channel.basic_get("jobs") for _ in range(5)]
        assert [m.decode()["n"] for m in got] == [0, 1, 2, 3, 4]
        assert channel._size("jobs") == 0
        for m in got:
            m.ack()
        assert channel.basic_get("jobs") is None
    assert files(tmp_path) == []


def test_a_rejected_message_goes_back_to_its_original_position(tmp_path):
    publish(tmp_path, [{"n": n} for n in range(3)])
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        first = channel.basic_get("jobs")
        first.reject(requeue=True)
        again = channel.basic_get("jobs")
        assert again.decode() == {"n": 0}
        again.reject(requeue=True)
    # A fresh consumer, without this channel's cache, sees the same order on disk.
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        order = [channel.basic_get("jobs") for _ in range(3)]
        assert [m.decode()["n"] for m in order] == [0, 1, 2]
        for m in order:
            m.ack()


def test_reject_without_requeue_drops_the_message(tmp_path):
    publish(tmp_path, [{"n": 1}])
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        channel.basic_get("jobs").reject(requeue=False)
        assert channel.basic_get("jobs") is None
    assert files(tmp_path) == []


def test_closing_a_channel_returns_its_unacked_messages_to_the_queue(tmp_path):
    publish(tmp_path, [{"n": n} for n in range(3)])
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        channel.basic_get("jobs").ack()
        channel.basic_get("jobs")  # not acked
    assert [p.parent.name for p in files(tmp_path)] == ["jobs", "jobs"]
    assert list((tmp_path / "claimed").iterdir()) == []


def test_a_half_written_message_in_tmp_is_never_delivered(tmp_path):
    publish(tmp_path, [{"n": 1}])
    raw = files(tmp_path / "queues")[0].read_bytes()
    (tmp_path / "tmp" / "00000000000000000001-x-1-000000.msg").write_bytes(raw[: len(raw) // 2])
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        assert channel.basic_get("jobs").decode() == {"n": 1}
        assert channel.basic_get("jobs") is None


def test_a_message_renamed_into_the_queue_folder_appears_intact(tmp_path):
    publish(tmp_path, [{"n": 1}])
    original = files(tmp_path / "queues")[0]
    big = json.loads(original.read_text())
    staged = tmp_path / "tmp" / "staged"
    staged.write_text(json.dumps(big))
    os.rename(staged, original.with_name("00000000000000000000-elsewhere-1-000000.msg"))
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        assert channel.basic_get("jobs").decode() == {"n": 1}
        assert channel.basic_get("jobs").decode() == {"n": 1}


def test_an_undecodable_message_is_quarantined_instead_of_killing_the_consumer(tmp_path):
    publish(tmp_path, [{"n": 1}])
    (tmp_path / "queues" / "jobs" / "00000000000000000000-bad-1-000000.msg").write_text("{not json")
    with Connection(url(tmp_path)) as conn:
        assert conn.channel().basic_get("jobs").decode() == {"n": 1}
    assert len(list((tmp_path / "corrupt").iterdir())) == 1


def test_purge_removes_ready_messages_and_reports_how_many(tmp_path):
    publish(tmp_path, [{"n": n} for n in range(4)])
    with Connection(url(tmp_path)) as conn:
        assert conn.channel().queue_purge("jobs") == 4
        assert conn.channel()._size("jobs") == 0


def test_fsync_mode_delivers_the_same_way(tmp_path):
    with Connection(url(tmp_path), transport_options={"fsync": True}) as conn:
        Producer(conn).publish({"n": 1}, exchange=EXCHANGE, routing_key="jobs", declare=[JOBS])
        assert conn.channel().basic_get("jobs").decode() == {"n": 1}


def test_fanout_reaches_every_bound_queue_declared_by_other_connections(tmp_path):
    bcast = Exchange("bcast", type="fanout")
    nodes = [Queue(f"node{i}", bcast) for i in range(2)]
    with Connection(url(tmp_path)) as conn:
        for q in nodes:
            q(conn.default_channel).declare()
    with Connection(url(tmp_path)) as conn:  # knows nothing of the bindings but what is on disk
        Producer(conn).publish({"hello": 1}, exchange=bcast, declare=[bcast])
        channel = conn.channel()
        assert [channel.basic_get(q.name).decode() for q in nodes] == [{"hello": 1}, {"hello": 1}]


def test_a_deleted_auto_delete_queue_recreated_by_a_late_reply_is_swept(tmp_path, monkeypatch):
    monkeypatch.setattr(fsbroker_store, "EPHEMERAL_GRACE", 0.0)
    reply = Queue("r1.reply", Exchange("reply", type="direct"), routing_key="r1", auto_delete=True)
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        reply(channel).declare()
        channel.queue_delete("r1.reply")
        channel._put("r1.reply", {"late": True})  # a worker that looked up the binding just before
        assert (tmp_path / "queues" / "r1.reply").exists()
        time.sleep(0.01)
        conn.transport.store.reap(set(), 3600)
    assert not (tmp_path / "queues" / "r1.reply").exists()
    assert list((tmp_path / "ephemeral").iterdir()) == []


def test_a_consumer_reaping_keeps_the_broadcast_queue_it_holds_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(fsbroker_store, "EPHEMERAL_GRACE", 0.0)
    node = Queue("w@host.pidbox", Exchange("bcast", type="fanout"), auto_delete=True)
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        node(channel).declare()
        time.sleep(0.01)
        conn.transport.store.reap({channel._owner.id}, 3600)
        assert conn.transport.store.table("bcast")[1] == [("", "", "w@host.pidbox")]
        assert (tmp_path / "queues" / "w@host.pidbox").is_dir()


def test_a_restarted_worker_keeps_the_broadcast_queue_its_dead_predecessor_also_held(tmp_path):
    node = Queue("w@host.pidbox", Exchange("bcast", type="fanout"), auto_delete=True)
    dead = fake_owner(tmp_path, ["other-host", None, None], age=7200)
    record = json.loads((dead / "owner.json").read_text())
    (dead / "owner.json").write_text(json.dumps({**record, "ephemeral": ["w@host.pidbox"]}))
    os.utime(dead / "owner.json", (time.time() - 7200, time.time() - 7200))
    with Connection(url(tmp_path)) as conn:
        channel = conn.channel()
        node(channel).declare()
        conn.transport.store.reap({channel._owner.id}, 60)  # declaring it has reaped already
        assert not dead.exists()
        assert len(files(tmp_path / "queues" / "jobs")) == 1
        assert conn.transport.store.table("bcast")[1] == [("", "", "w@host.pidbox")]


def fake_owner(broker: Path, host_key, age: float, queue: str = "jobs") -> Path:
    """A claimed/ folder as another process would leave it, holding one message of `queue`."""
    store = Store(str(broker))
    store.put(queue, b"{}")
    msg = files(broker / "queues" / queue)[0]
    folder = broker / "claimed" / "elsewhere-1-abc"
    (folder / queue).mkdir(parents=True)
    record = folder / "owner.json"
    record.write_text(json.dumps({"id": "elsewhere-1-abc", "host": host_key, "pid": 1, "ephemeral": []}))
    os.rename(msg, folder / queue / msg.name)
    os.utime(record, (time.time() - age, time.time() - age))
    return folder


def test_a_consumer_on_another_host_keeps_its_messages_while_its_heartbeat_is_fresh(tmp_path):
    folder = fake_owner(tmp_path, ["other-host", None, None], age=5)
    assert Store(str(tmp_path)).reap(set(), visibility_timeout=60) == 0
    assert folder.exists()


def test_a_consumer_on_another_host_loses_its_messages_after_the_visibility_timeout(tmp_path):
    folder = fake_owner(tmp_path, ["other-host", None, None], age=120)
    assert Store(str(tmp_path)).reap(set(), visibility_timeout=60) == 1
    assert not folder.exists()
    assert len(files(tmp_path / "queues" / "jobs")) == 1


@pytest.mark.skipif(not fsbroker_store._HOST_KEY[1], reason="needs /proc boot_id (Linux)")
def test_a_consumer_in_another_container_on_this_kernel_lives_exactly_as_long_as_its_flock(tmp_path):
    hostname, boot_id, pidns = fsbroker_store._HOST_KEY
    folder = fake_owner(tmp_path, [hostname, boot_id, (pidns or 0) + 1], age=7200)
    fd = os.open(folder / "alive.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    assert Store(str(tmp_path)).reap(set(), visibility_timeout=60) == 0  # its heartbeat is stale, yet
    os.close(fd)  # what the kernel does when that process dies
    assert Store(str(tmp_path)).reap(set(), visibility_timeout=3600) == 1
    assert not folder.exists()


def test_a_reused_pid_does_not_pass_for_the_consumer_that_died(tmp_path):
    stat = fsbroker_store._proc_stat(os.getpid())
    assert fsbroker_store.process_alive(os.getpid(), stat[1])
    assert not fsbroker_store.process_alive(os.getpid(), stat[1] + 1)
    folder = fake_owner(tmp_path, fsbroker_store._HOST_KEY, age=0)
    record = json.loads((folder / "owner.json").read_text())
    (folder / "owner.json").write_text(json.dumps({**record, "pid": os.getpid(), "proc_start": stat[1] + 1}))
    assert Store(str(tmp_path)).reap(set(), visibility_timeout=3600) == 1


# --- real processes --------------------------------------------------------------------------------


def helper(role: str, broker: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, "-m", HELPERS, role, "--broker", str(broker), *args], env=child_env())


@pytest.mark.slow
def test_two_publishers_and_two_consumers_deliver_every_message_exactly_once_in_order(tmp_path):
    broker, stop = tmp_path / "broker", tmp_path / "stop"
    outs = [tmp_path / "c0.jsonl", tmp_path / "c1.jsonl"]
    consumers = [
        helper("consume", broker, "--out", str(outs[0]), "--prefetch", "1", "--stop-file", str(stop)),
        helper("consume", broker, "--out", str(outs[1]), "--prefetch", "10", "--stop-file", str(stop)),
    ]
    publishers = [
        helper("publish", broker, "--name", f"p{i}", "--count", "1000", "--big-every", "20") for i in range(2)
    ]
    assert [p.wait(timeout=60) for p in publishers] == [0, 0]
    stop.touch()
    assert [c.wait(timeout=60) for c in consumers] == [0, 0]

    records = [[json.loads(line) for line in out.read_text().splitlines()] for out in outs]
    seen = Counter((pub, seq) for rec in records for pub, seq, _, _ in rec)
    assert set(seen) == {(f"p{i}", seq) for i in range(2) for seq in range(1000)}
    assert max(seen.values()) == 1
    assert sum(size > 0 for rec in records for *_, size in rec) == 100
    for rec in records:  # each consumer saw each publisher's messages of each queue in publish order
        for key in {(pub, queue) for pub, _, queue, _ in rec}:
            seqs = [seq for pub, seq, queue, _ in rec if (pub, queue) == key]
            assert seqs == sorted(seqs)
    assert all(len(r) > 0 for r in records)
    assert files(broker) == []


@pytest.mark.slow
def test_messages_claimed_by_a_killed_consumer_are_redelivered_to_another(tmp_path):
    broker, stop = tmp_path / "broker", tmp_path / "stop"
    queue = Queue("alpha", Exchange("test", type="direct"), routing_key="alpha")
    publish(broker, [{"publisher": "p", "seq": n, "pad": ""} for n in range(20)], queue=queue)
    doomed = helper(
        "consume", broker, "--out", str(tmp_path / "a"), "--prefetch", "5", "--hold", "5", "--stop-file", str(stop)
    )
    held = json.loads(wait_for(lambda: (tmp_path / "a.held").exists() and (tmp_path / "a.held").read_text()))
    assert len(files(broker / "claimed")) == 5
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()

    stop.touch()
    survivor = helper("consume", broker, "--out", str(tmp_path / "b"), "--stop-file", str(stop))
    assert survivor.wait(timeout=30) == 0
    acked = Counter(seq for _, seq, _, _ in map(json.loads, (tmp_path / "b").read_text().splitlines()))
    assert set(acked) == set(range(20))
    assert max(acked.values()) == 1
    assert {seq for _, seq in held} <= set(acked)
    assert files(broker) == []
    assert list((broker / "claimed").iterdir()) == []


@pytest.mark.slow
def test_a_dead_consumers_broadcast_queue_and_binding_are_dropped(tmp_path):
    ready = tmp_path / "ready"
    script = f"""
import pathlib, signal
from kombu import Connection, Consumer, Exchange, Queue
import netcron.lib.fsbroker
with Connection("netcron-fs://{tmp_path}") as conn:
    q = Queue("gone@host.pidbox", Exchange("bcast", type="fanout"), auto_delete=True)
    with Consumer(conn, [q], no_ack=True, callbacks=[lambda body, msg: None]):
        pathlib.Path("{ready}").touch()
        signal.pause()
"""
    node = subprocess.Popen([PYTHON, "-c", script], env=child_env())
    wait_for(ready.exists)
    store = Store(str(tmp_path))
    assert [q for *_, q in store.table("bcast")[1]] == ["gone@host.pidbox"]
    os.kill(node.pid, signal.SIGKILL)
    node.wait()

    store.reap(set(), visibility_timeout=3600)
    assert store.table("bcast")[1] == []
    assert not (tmp_path / "queues" / "gone@host.pidbox").exists()
    assert list((tmp_path / "claimed").iterdir()) == []


@pytest.mark.slow
def test_a_forked_pool_process_does_not_keep_a_killed_consumer_looking_alive(tmp_path):
    ready = tmp_path / "ready"
    script = f"""
import os, pathlib, signal, time
from kombu import Connection, Consumer, Exchange, Queue
import netcron.lib.fsbroker
JOBS = Queue("jobs", Exchange("jobs", type="direct"), routing_key="jobs")
conn = Connection("netcron-fs://{tmp_path}")
consumer = Consumer(conn, [JOBS], callbacks=[lambda body, msg: None])
consumer.consume()
if os.fork() == 0:  # like a prefork pool process
    time.sleep(30)
    os._exit(0)
pathlib.Path("{ready}").touch()
signal.pause()
"""
    parent = subprocess.Popen([PYTHON, "-c", script], env=child_env(), start_new_session=True)
    try:
        wait_for(ready.exists)
        (lock,) = (tmp_path / "claimed").glob("*/alive.lock")
        assert fsbroker_store.lock_held(str(lock))
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert not fsbroker_store.lock_held(str(lock))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)


# --- a real Celery app with real workers -----------------------------------------------------------


class Workers:
    """Celery worker processes (each in its own process group) sharing one broker folder."""

    def __init__(self, tmp: Path) -> None:
        self.broker, self.out, self.tmp = tmp / "broker", tmp / "out", tmp
        self.out.mkdir()
        self.app = make_app(str(self.broker), str(self.out))
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.groups: list[int] = []

    def start(self, queue: str) -> subprocess.Popen:
        self.logs[queue] = self.tmp / f"{queue}-{len(self.groups)}.log"
        log = open(self.logs[queue], "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [
                CELERY,
                "-A",
                HELPERS,
                "worker",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
            ],
            env=child_env(FSBROKER_DIR=str(self.broker), FSBROKER_OUT=str(self.out)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[queue] = proc
        self.groups.append(proc.pid)
        return proc

    def names(self) -> set[str]:
        return {f"{queue}@{os.uname().nodename}" for queue in self.procs}

    def wait_ready(self) -> None:
        inspect = self.app.control.inspect(timeout=1, limit=len(self.procs))
        wait_for(lambda: set(inspect.ping() or {}) >= self.names(), timeout=45)

    def ran(self, tag: str, event: str) -> dict[int, str]:
        """pid -> worker hostname of each process that reached `event` ("start"/"done") for `tag`."""
        return {int(p.name.rsplit(".", 1)[1]): p.read_text().split()[0] for p in self.out.glob(f"{tag}.{event}.*")}

    def stop(self) -> None:
        for pgid in self.groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        for proc in self.procs.values():
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    ws = Workers(tmp_path_factory.mktemp("celery"))
    ws.start("default")
    ws.start("backup")
    try:
        ws.wait_ready()
        yield ws
    finally:
        ws.stop()


@pytest.mark.slow
def test_backup_tasks_run_only_on_the_backup_worker(workers):
    for n in range(5):
        workers.app.send_task("fsbroker_app.backup_job", args=[f"b{n}"])
        workers.app.send_task("fsbroker_app.default_job", args=[f"d{n}"])
    for n in range(5):
        assert set(wait_for(lambda n=n: workers.ran(f"b{n}", "done")).values()) == {f"backup@{os.uname().nodename}"}
        assert set(wait_for(lambda n=n: workers.ran(f"d{n}", "done")).values()) == {f"default@{os.uname().nodename}"}
    assert "Task fsbroker_app.backup_job[" not in workers.logs["default"].read_text()  # not even received
    assert "Task fsbroker_app.default_job[" not in workers.logs["backup"].read_text()


@pytest.mark.slow
def test_inspect_ping_and_active_queues_answer_from_both_workers(workers):
    inspect = workers.app.control.inspect(timeout=5, limit=2)  # returns as soon as both answer
    assert set(inspect.ping()) == workers.names()
    active = inspect.active_queues()
    assert {name: [q["name"] for q in queues] for name, queues in active.items()} == {
        f"{queue}@{os.uname().nodename}": [queue] for queue in ("default", "backup")
    }
    assert set(inspect.stats()) == workers.names()


@pytest.mark.slow
def test_a_task_whose_worker_main_process_is_killed_runs_again_on_a_new_worker(workers):
    workers.app.send_task("fsbroker_app.backup_job", args=["long", 2.0])
    first = wait_for(lambda: workers.ran("long", "start"))
    os.kill(workers.procs["backup"].pid, signal.SIGKILL)
    workers.procs["backup"].wait()

    workers.start("backup")
    done = wait_for(lambda: set(workers.ran("long", "done")) - set(first), timeout=45)
    assert len(done) == 1
    assert len(workers.ran("long", "start")) == 2  # the one redelivery, no more
    workers.wait_ready()  # the restarted worker answers broadcasts under its old name
    wait_for(
        lambda: (
            files(workers.broker / "queues", "backup/*.msg") == []
            and files(workers.broker / "claimed", "*/backup/*.msg") == []
        ),
        timeout=5,
    )
