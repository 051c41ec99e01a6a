"""The folder behind the ``netcron-fs`` kombu transport: atomic publish, claim, requeue and reaping.

Layout under the data dir. Everything lives on one filesystem, so every ``os.rename`` is atomic::

    tmp/                                    writes in progress; consumers never look here
    queues/<queue>/<name>.msg               ready messages; lexical order of names = FIFO order
    claimed/<consumer>/owner.json           who holds the folder; its mtime is the heartbeat
    claimed/<consumer>/alive.lock           flock-ed by the consumer for as long as it lives
    claimed/<consumer>/<queue>/<name>.msg   delivered, not yet acked (the folder keeps the queue name)
    exchanges/<exchange>.json               exchange type + bindings, shared by every process
    ephemeral/<queue>                       marks auto-delete queues so they can be dropped later
    corrupt/                                undecodable messages, kept for a human to look at
    lock                                    flock for metadata changes only; messages never take it

No Django imports: this is ``netcron.lib``.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import itertools
import json
import logging
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

logger = logging.getLogger(__name__)

MSG_SUFFIX = ".msg"
OWNER_FILE = "owner.json"
ALIVE_LOCK = "alive.lock"
REAPED_SUFFIX = ".reaped"
# A deleted auto-delete queue keeps its marker this long, so a late reply that re-creates the folder
# (the publisher looked up the binding just before the delete) is swept up too.
EPHEMERAL_GRACE = 60.0
# A publisher killed between write and rename leaves its temp file behind; nothing else is this old.
STALE_TMP_AGE = 3600.0

_SAFE_NAME = re.compile(r"[A-Za-z0-9_@-][A-Za-z0-9_.@-]{0,199}")
_HOST_TAG = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:64] or "host"


def encode_name(name: str) -> str:
    """Queue/exchange name -> one safe path component; reversible with :func:`decode_name`."""
    if _SAFE_NAME.fullmatch(name):
        return name
    # '%' is not in _SAFE_NAME, so an encoded component can never collide with a plain one.
    encoded = "%" + quote(name, safe="@")
    if len(encoded.encode()) > 250:
        raise ValueError(f"name too long to be a file name: {name!r}")
    return encoded


def decode_name(component: str) -> str:
    return unquote(component[1:]) if component.startswith("%") else component


class _Namer:
    """Message file names whose lexical order is publish order, unique across processes and reboots."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._count = itertools.count()

    def next(self) -> str:
        with self._lock:
            # Wall clock, not monotonic(): monotonic restarts at boot, so messages published after a
            # reboot would sort before the backlog. max() keeps names increasing within the process
            # when NTP steps the clock back (those names run a little ahead until the clock catches up).
            now = self._last = max(time.time_ns(), self._last + 1)
            return f"{now:020d}-{_HOST_TAG}-{os.getpid()}-{next(self._count):06d}{MSG_SUFFIX}"


_namer = _Namer()


# --- liveness of a process that owns claimed messages -------------------------------------------


def _read_text(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) from /proc, or None if there is no such process."""
    raw = _read_text(f"/proc/{pid}/stat")
    if raw is None:
        return None
    fields = raw.rsplit(")", 1)[-1].split()
    return fields[0], int(fields[19])


_HAS_PROC = os.path.isdir("/proc/self")


def _pid_namespace() -> int | None:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None


# Same hostname is not enough to trust a pid: a container with host networking shares the hostname but
# not the pid namespace, and after a reboot pids are reused. All three must match.
_HOST_KEY = [socket.gethostname(), _read_text("/proc/sys/kernel/random/boot_id"), _pid_namespace()]


def process_alive(pid: int, started: int | None) -> bool:
    """Whether pid is running on this host and is the same process that wrote `started`."""
    if _HAS_PROC:
        stat = _proc_stat(pid)
        if stat is None:
            return False
        state, start = stat
        # A zombie answers kill(pid, 0); a different start time means the pid was reused.
        return state not in "ZX" and (started is None or start == started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_held(path: str) -> bool:
    """Whether some process holds the flock on `path` (the kernel drops it when the holder dies)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


# owner id -> descriptor holding its alive.lock. Closed in forked children: a prefork pool process that
# outlives a kill -9 of its parent must not keep the parent's consumer looking alive.
_held_locks: dict[str, int] = {}


@dataclass
class Owner:
    """One consumer (a kombu channel in one process) and the folder holding its unacked messages."""

    id: str
    dir: str
    pid: int
    ephemeral: set[str] = field(default_factory=set)
    made: set[str] = field(default_factory=set)
    started_at: float = field(default_factory=time.time)

    def info(self) -> dict:
        stat = _proc_stat(self.pid)
        return {
            "id": self.id,
            "host": _HOST_KEY,
            "pid": self.pid,
            "proc_start": stat[1] if stat else None,
            "started_at": self.started_at,
            "ephemeral": sorted(self.ephemeral),
        }


# One flock per process at a time: flock conflicts between two descriptors of the same process too, so
# nested or concurrent use from threads must be serialised here before it reaches the kernel.
_process_lock = threading.RLock()


class Store:
    """Filesystem operations of the broker. Thread-safe; one instance per kombu connection."""

    def __init__(self, root: str, *, fsync: bool = False) -> None:
        self.root = os.path.abspath(root)
        # Without fsync a *process* crash loses nothing (the page cache survives kill -9); a power loss
        # or kernel crash may lose recent publishes or leave empty files behind a completed rename.
        # fsync closes that hole at ~1-10 ms per message on ordinary disks.
        self.fsync = fsync
        self.tmp, self.queues, self.claimed, self.exchanges, self.ephemeral, self.corrupt = (
            os.path.join(self.root, d) for d in ("tmp", "queues", "claimed", "exchanges", "ephemeral", "corrupt")
        )
        for d in (self.tmp, self.queues, self.claimed, self.exchanges, self.ephemeral, self.corrupt):
            os.makedirs(d, exist_ok=True)
        self._lock_path = os.path.join(self.root, "lock")
        self._lock_fd: int | None = None
        self._lock_depth = 0
        self._lock_pid = os.getpid()
        self._tables: dict[str, tuple[tuple, str | None, list[tuple[str, str, str]]]] = {}

    # --- writing ---------------------------------------------------------------------------------

    def write_file(self, dest: str, data: bytes) -> None:
        """Make `dest` appear complete or not at all: write under tmp/, then rename into place."""
        tmp = os.path.join(self.tmp, f"{uuid.uuid4().hex}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.rename(tmp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if self.fsync:
            self._fsync_dir(os.path.dirname(dest))

    @staticmethod
    def _fsync_dir(path: str) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # --- queues ----------------------------------------------------------------------------------

    def queue_dir(self, queue: str) -> str:
        return os.path.join(self.queues, encode_name(queue))

    def create_queue(self, queue: str) -> None:
        os.makedirs(self.queue_dir(queue), exist_ok=True)

    def queue_exists(self, queue: str) -> bool:
        return os.path.isdir(self.queue_dir(queue))

    def put(self, queue: str, data: bytes) -> str:
        name = _namer.next()
        dest = os.path.join(self.queue_dir(queue), name)
        try:
            self.write_file(dest, data)
        except FileNotFoundError:
            # Nobody declared the queue (anonymous exchange, or deleted under us): keep the message.
            self.create_queue(queue)
            self.write_file(dest, data)
        return name

    def _ready_names(self, queue: str) -> list[str]:
        try:
            with os.scandir(self.queue_dir(queue)) as it:
                return [e.name for e in it if e.name.endswith(MSG_SUFFIX)]
        except FileNotFoundError:
            return []

    def smallest(self, queue: str, limit: int) -> list[str]:
        """The `limit` oldest ready messages, oldest first."""
        names = self._ready_names(queue)
        # nsmallest is O(n log limit): a 10k backlog costs one listing per `limit` deliveries, not a sort.
        return heapq.nsmallest(limit, names) if len(names) > limit else sorted(names)

    def size(self, queue: str) -> int:
        return len(self._ready_names(queue))

    def purge(self, queue: str) -> int:
        qdir, count = self.queue_dir(queue), 0
        for name in self._ready_names(queue):
            with contextlib.suppress(FileNotFoundError):  # claimed by a consumer meanwhile
                os.unlink(os.path.join(qdir, name))
                count += 1
        return count

    def delete_queue(self, queue: str, owner: Owner | None = None) -> None:
        """Drop the queue's bindings, ready messages and folder (claimed messages are left to their owner)."""
        with self.locked():
            self._delete_queue_locked(queue)
            if owner is not None and queue in owner.ephemeral:
                owner.ephemeral.discard(queue)
                self._write_owner(owner)

    def _delete_queue_locked(self, queue: str) -> None:
        self._drop_bindings(queue)
        shutil.rmtree(self.queue_dir(queue), ignore_errors=True)
        marker = os.path.join(self.ephemeral, encode_name(queue))
        with contextlib.suppress(FileNotFoundError):
            os.utime(marker)  # restarts the grace period for late replies

    # --- claiming --------------------------------------------------------------------------------

    def claim(self, queue: str, name: str, owner: Owner, retry: bool = True) -> str | None:
        """Move a ready message into the owner's folder; None if another consumer got it first."""
        claim_dir = os.path.join(owner.dir, encode_name(queue))
        if claim_dir not in owner.made:
            self._ensure_owner_dir(owner)
            os.makedirs(claim_dir, exist_ok=True)
            owner.made.add(claim_dir)
        src, dest = os.path.join(self.queue_dir(queue), name), os.path.join(claim_dir, name)
        try:
            os.rename(src, dest)
        except FileNotFoundError:
            if os.path.isdir(claim_dir):
                return None
            # Our folder is gone: another process judged us dead. Re-create it and try once more.
            owner.made.clear()
            return self.claim(queue, name, owner, retry=False) if retry and os.path.exists(src) else None
        return dest

    @staticmethod
    def read(path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    @staticmethod
    def discard(path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def quarantine(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.rename(path, os.path.join(self.corrupt, f"{uuid.uuid4().hex[:8]}-{os.path.basename(path)}"))

    def requeue(self, queue: str, path: str) -> str | None:
        """Move a claimed message back under its original name (so its FIFO position); None if gone."""
        name = os.path.basename(path)
        dest = os.path.join(self.queue_dir(queue), name)
        try:
            os.rename(path, dest)
        except FileNotFoundError:
            if not os.path.exists(path):
                return None
            self.create_queue(queue)
            os.rename(path, dest)
        return name

    # --- exchanges -------------------------------------------------------------------------------

    def _exchange_path(self, exchange: str) -> str:
        return os.path.join(self.exchanges, encode_name(exchange) + ".json")

    def table(self, exchange: str) -> tuple[str | None, list[tuple[str, str, str]]]:
        """(exchange type, bindings as (routing_key, pattern, queue)); read on every publish, so cached."""
        path = self._exchange_path(exchange)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None, []
        # Every write is a rename, so a new inode/mtime/size means new content.
        key = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        cached = self._tables.get(exchange)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        doc = self._read_table(path)
        bindings = [tuple(b) for b in doc["bindings"]]
        self._tables[exchange] = (key, doc["type"], bindings)
        return doc["type"], bindings

    @staticmethod
    def _read_table(path: str) -> dict:
        try:
            with open(path, "rb") as f:
                return json.loads(f.read())
        except FileNotFoundError:
            return {"type": None, "bindings": []}

    def bind(self, exchange: str, type_: str, binding: tuple[str, str, str]) -> None:
        path = self._exchange_path(exchange)
        with self.locked():
            doc = self._read_table(path)
            bindings = [tuple(b) for b in doc["bindings"]]
            if binding in bindings and doc["type"] == type_:
                return
            if binding not in bindings:
                bindings.append(binding)
            self.write_file(path, json.dumps({"type": type_, "bindings": bindings}).encode())

    def unbind(self, exchange: str, binding: tuple[str, str, str]) -> None:
        with self.locked():
            self._rewrite_table(self._exchange_path(exchange), lambda b: b != binding)

    def _drop_bindings(self, queue: str) -> None:
        with os.scandir(self.exchanges) as it:
            paths = [e.path for e in it if e.name.endswith(".json")]
        for path in paths:
            self._rewrite_table(path, lambda b: b[2] != queue)

    def _rewrite_table(self, path: str, keep) -> None:
        doc = self._read_table(path)
        bindings = [tuple(b) for b in doc["bindings"]]
        kept = [b for b in bindings if keep(b)]
        if kept != bindings:
            self.write_file(path, json.dumps({"type": doc["type"], "bindings": kept}).encode())

    # --- owners (consumers) ----------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise metadata changes (bindings, owner records, reaping) across processes."""
        with _process_lock:
            if self._lock_pid != os.getpid():
                self._after_fork()
            if self._lock_depth == 0:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o666)
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._lock_fd, self._lock_pid = fd, os.getpid()
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_fd is not None:
                    os.close(self._lock_fd)  # closing the descriptor releases the flock
                    self._lock_fd = None

    def _after_fork(self) -> None:
        # Forked while another thread held the lock: that hold belongs to the parent.
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
        self._lock_fd, self._lock_depth, self._lock_pid = None, 0, os.getpid()

    def create_owner(self) -> Owner:
        oid = f"{_HOST_TAG}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        owner = Owner(id=oid, dir=os.path.join(self.claimed, oid), pid=os.getpid())
        self._ensure_owner_dir(owner)
        return owner

    def _ensure_owner_dir(self, owner: Owner) -> None:
        if os.path.isdir(owner.dir):
            return
        # Built aside and renamed in, so a reaper never sees a folder without its owner.json.
        staging = os.path.join(self.tmp, f"{owner.id}.owner")
        os.makedirs(staging, exist_ok=True)
        with open(os.path.join(staging, OWNER_FILE), "w") as f:
            json.dump(owner.info(), f)
        fd = os.open(os.path.join(staging, ALIVE_LOCK), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(staging, owner.dir)
        except OSError:
            os.close(fd)
            shutil.rmtree(staging, ignore_errors=True)
            if not os.path.isdir(owner.dir):
                raise
            return
        self._drop_lock(owner)
        _held_locks[owner.id] = fd

    @staticmethod
    def _drop_lock(owner: Owner) -> None:
        fd = _held_locks.pop(owner.id, None)
        if fd is not None:
            os.close(fd)

    def _write_owner(self, owner: Owner) -> None:
        self._ensure_owner_dir(owner)
        self.write_file(os.path.join(owner.dir, OWNER_FILE), json.dumps(owner.info()).encode())

    def heartbeat(self, owner: Owner) -> bool:
        """Touch the owner record; False if it had vanished (we were taken for dead) and was re-created."""
        try:
            os.utime(os.path.join(owner.dir, OWNER_FILE))
            return True
        except FileNotFoundError:
            owner.made.clear()
            with self.locked():
                self._write_owner(owner)
            return False

    def register_ephemeral(self, owner: Owner, queue: str) -> None:
        """Record that `owner` holds auto-delete `queue`, so the queue goes when no live owner holds it."""
        with self.locked():
            owner.ephemeral.add(queue)
            self._write_owner(owner)
            marker = os.path.join(self.ephemeral, encode_name(queue))
            with open(marker, "a"):
                pass
            os.utime(marker)
            self.create_queue(queue)

    def release(self, owner: Owner) -> None:
        """Return everything the owner still holds and drop its folder (clean channel close)."""
        with self.locked():
            self._dissolve(owner.dir, owner.ephemeral - self._live_owners(leaving=owner.id)[1])
        self._drop_lock(owner)

    def reap(self, own: set[str], visibility_timeout: float) -> int:
        """Requeue the messages of dead consumers and drop their auto-delete queues; returns the count.

        `own`: owner ids of the caller, alive by definition (their heartbeat may lag behind).
        """
        with self.locked():
            dead, live_ephemeral = self._live_owners(alive=own, visibility_timeout=visibility_timeout)
            restored = 0
            for path, ephemeral in dead:
                restored += self._dissolve(path, ephemeral - live_ephemeral)
            self._sweep(live_ephemeral)
        return restored

    def _live_owners(
        self, alive: set[str] = frozenset(), leaving: str | None = None, visibility_timeout: float | None = None
    ) -> tuple[list[tuple[str, set[str]]], set[str]]:
        """Owners judged dead (folder, ephemeral queues), and the ephemeral queues held by live ones.

        Without a visibility_timeout nobody is judged dead on heartbeat age alone (clean close).
        """
        dead: list[tuple[str, set[str]]] = []
        live_ephemeral: set[str] = set()
        now = time.time()
        with os.scandir(self.claimed) as it:
            entries = [e for e in it if e.is_dir() and e.name != leaving]
        for entry in entries:
            record = os.path.join(entry.path, OWNER_FILE)
            try:
                age = now - os.stat(record).st_mtime
                with open(record, "rb") as f:
                    info = json.loads(f.read())
            except (OSError, ValueError):
                info, age = {}, now - entry.stat().st_mtime
            ephemeral = set(info.get("ephemeral", ()))
            host = info.get("host") or [None, None, None]
            if entry.name in alive:
                lives = True
            elif entry.name.endswith(REAPED_SUFFIX):
                lives = False  # a reaper died half-way through it
            elif host == _HOST_KEY and "pid" in info:
                lives = process_alive(info["pid"], info.get("proc_start"))
            elif _HOST_KEY[1] is not None and host[1] == _HOST_KEY[1]:
                # Same kernel, other pid namespace (a container sharing the volume, or this container
                # before a restart): pids mean nothing here, but flocks do.
                lives = lock_held(os.path.join(entry.path, ALIVE_LOCK))
            else:
                # Another host (or an unreadable record): only the heartbeat can tell.
                lives = visibility_timeout is None or age < visibility_timeout
            if lives:
                live_ephemeral |= ephemeral
            else:
                dead.append((entry.path, ephemeral))
        return dead, live_ephemeral

    def _dissolve(self, owner_dir: str, doomed: set[str]) -> int:
        if not owner_dir.endswith(REAPED_SUFFIX):
            # Renamed first: an owner we misjudged as dead can then no longer claim into the folder we
            # are emptying (its rename fails and it starts a new folder), and if we crash half-way the
            # next reaper finishes the job from the `.reaped` folder.
            tomb = f"{owner_dir}.{uuid.uuid4().hex[:8]}{REAPED_SUFFIX}"
            try:
                os.rename(owner_dir, tomb)
            except FileNotFoundError:
                return 0
            owner_dir = tomb
        restored = 0
        with os.scandir(owner_dir) as it:
            queue_dirs = [e for e in it if e.is_dir()]
        for qentry in queue_dirs:
            queue = decode_name(qentry.name)
            with os.scandir(qentry.path) as it:
                names = sorted(e.name for e in it if e.name.endswith(MSG_SUFFIX))
            for name in names:
                path = os.path.join(qentry.path, name)
                if queue in doomed:
                    self.discard(path)
                elif self.requeue(queue, path):
                    restored += 1
        for queue in doomed:
            self._delete_queue_locked(queue)
        shutil.rmtree(owner_dir, ignore_errors=True)
        if restored:
            logger.warning("netcron-fs: requeued %d unacked message(s) of %s", restored, owner_dir)
        return restored

    def _sweep(self, live_ephemeral: set[str]) -> None:
        """Drop auto-delete queues nobody holds any more, and temp files of crashed writers."""
        now = time.time()
        with os.scandir(self.ephemeral) as it:
            markers = list(it)
        for marker in markers:
            queue = decode_name(marker.name)
            if queue in live_ephemeral:
                continue
            with contextlib.suppress(FileNotFoundError):
                if now - marker.stat().st_mtime > EPHEMERAL_GRACE:
                    self._delete_queue_locked(queue)
                    os.unlink(marker.path)
        with os.scandir(self.tmp) as it:
            for entry in it:
                with contextlib.suppress(FileNotFoundError):
                    if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TMP_AGE:
                        if entry.is_dir(follow_symlinks=False):
                            shutil.rmtree(entry.path, ignore_errors=True)
                        else:
                            os.unlink(entry.path)


def _reset_locks_after_fork() -> None:
    global _process_lock
    _process_lock = threading.RLock()
    for fd in _held_locks.values():
        with contextlib.suppress(OSError):
            os.close(fd)  # the parent's descriptor still holds the flock
    _held_locks.clear()


os.register_at_fork(after_in_child=_reset_locks_after_fork)
