"""SSH host key store with trust-on-first-use.

Keys are kept per ``host:port`` and per key algorithm, as base64 of the public key blob, so the store
does not depend on any SSH library. Policies:

- ``strict``: only keys already recorded are accepted; unknown devices are refused.
- ``tofu``: the first key seen is recorded; a different key later is refused.
- ``ignore``: anything is accepted and nothing is recorded (labs, throwaway tests).

A changed key is never accepted silently: an operator removes the old entry (``forget``) or pins the
new key (``pin``) first — ``netcron hostkeys`` and ``/api/host-keys`` do both.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class HostKeyPolicy(StrEnum):
    STRICT = "strict"
    TOFU = "tofu"
    IGNORE = "ignore"


class Verdict(StrEnum):
    KNOWN = "known"  # matches the recorded key
    NEW = "new"  # nothing recorded; accepted under tofu, to be recorded
    ACCEPTED = "accepted"  # policy ignore
    UNKNOWN = "unknown"  # nothing recorded and policy strict
    MISMATCH = "mismatch"  # differs from the recorded key


@dataclass(frozen=True)
class HostKey:
    algorithm: str  # e.g. "ssh-ed25519"
    key_b64: str  # base64 of the public key blob, as in known_hosts

    @property
    def openssh(self) -> str:
        return f"{self.algorithm} {self.key_b64}"

    @property
    def fingerprint(self) -> str:
        """As ``ssh-keygen -l`` prints it: SHA256:<unpadded base64 of the blob's SHA-256>."""
        digest = hashlib.sha256(base64.b64decode(self.key_b64)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    @classmethod
    def parse(cls, text: str) -> HostKey:
        """From ``"<algorithm> <base64>"`` (a known_hosts or .pub line; a trailing comment is ignored)."""
        parts = text.strip().split()
        if len(parts) < 2:
            raise ValueError("expected '<algorithm> <base64 key>', e.g. 'ssh-ed25519 AAAAC3...'")
        algorithm, blob = parts[0], parts[1]
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError:
            raise ValueError("the key is not valid base64") from None
        # The blob starts with its own algorithm name (RFC 4253 6.6): catches keys pasted with the wrong name.
        name_len = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else -1
        if name_len <= 0 or raw[4:4 + name_len].decode(errors="replace") != algorithm:
            raise ValueError(f"the key blob is not a {algorithm} public key")
        return cls(algorithm, blob)


def endpoint(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


class HostKeyStore(ABC):
    """Where recorded keys live. Implementations must be safe to call from several threads."""

    @abstractmethod
    def lookup(self, host: str, port: int) -> dict[str, str]:
        """Recorded keys for this endpoint: algorithm -> base64 blob (empty when unknown)."""

    @abstractmethod
    def record(self, host: str, port: int, key: HostKey) -> None:
        """Remember a key (only called for endpoints with nothing recorded for that algorithm)."""

    @abstractmethod
    def forget(self, host: str, port: int) -> None:
        """Drop everything recorded for an endpoint (after a legitimate key change)."""

    def check(self, host: str, port: int, key: HostKey, policy: HostKeyPolicy | str) -> Verdict:
        policy = HostKeyPolicy(policy)
        if policy is HostKeyPolicy.IGNORE:
            return Verdict.ACCEPTED
        known = self.lookup(host, port)
        if not known:
            return Verdict.NEW if policy is HostKeyPolicy.TOFU else Verdict.UNKNOWN
        # A device we know that suddenly offers another algorithm is treated as a changed key:
        # otherwise an impostor could sidestep the check by offering a type we never recorded.
        if known.get(key.algorithm) == key.key_b64:
            return Verdict.KNOWN
        return Verdict.MISMATCH


class MemoryHostKeyStore(HostKeyStore):
    def __init__(self, initial: dict[str, dict[str, str]] | None = None) -> None:
        self._keys: dict[str, dict[str, str]] = {k: dict(v) for k, v in (initial or {}).items()}
        self._lock = threading.Lock()

    def lookup(self, host: str, port: int) -> dict[str, str]:
        with self._lock:
            return dict(self._keys.get(endpoint(host, port), {}))

    def record(self, host: str, port: int, key: HostKey) -> None:
        with self._lock:
            self._keys.setdefault(endpoint(host, port), {}).setdefault(key.algorithm, key.key_b64)
            self._changed()

    def forget(self, host: str, port: int) -> None:
        with self._lock:
            if self._keys.pop(endpoint(host, port), None) is not None:
                self._changed()

    def snapshot(self) -> dict[str, dict[str, str]]:
        with self._lock:
            return {k: dict(v) for k, v in self._keys.items()}

    def _changed(self) -> None:
        """Hook for persistence; called with the lock held."""


class FileHostKeyStore(MemoryHostKeyStore):
    """JSON file ``{"[host]:port": {"ssh-ed25519": "AAAA..."}}`` shared by processes on one machine.

    Read once when opened. Every change is merged into the file under an exclusive lock, with what other
    processes recorded meanwhile, and written atomically. With ``deferred=True`` (a run over many
    devices) keys learned under trust-on-first-use wait in memory until ``flush()``: one write per run
    instead of one per device (O(devices²) bytes on a first run).
    """

    def __init__(self, path: str | os.PathLike[str], *, deferred: bool = False) -> None:
        self.path = Path(path)
        self.deferred = deferred
        self._learned: dict[str, dict[str, str]] = {}
        super().__init__(read_keys(self.path))

    def record(self, host: str, port: int, key: HostKey) -> None:
        super().record(host, port, key)
        with self._lock:
            self._learned.setdefault(endpoint(host, port), {}).setdefault(key.algorithm, key.key_b64)
        if not self.deferred:
            self.flush()

    def flush(self) -> None:
        """Write keys learned since the last flush; a key another process recorded first is kept."""
        with self._lock:
            learned, self._learned = self._learned, {}
        if not learned:
            return
        with self._locked_file() as current:
            for where, keys in learned.items():
                for algorithm, blob in keys.items():
                    current.setdefault(where, {}).setdefault(algorithm, blob)

    def forget(self, host: str, port: int) -> bool:
        """Drop an endpoint's keys from the file; False if none were recorded."""
        where = endpoint(host, port)
        with self._lock:
            self._keys.pop(where, None)
            self._learned.pop(where, None)
        with self._locked_file() as current:
            return current.pop(where, None) is not None

    def pin(self, host: str, port: int, key: HostKey) -> None:
        """Make ``key`` the only key accepted for the endpoint (replacing any recorded one)."""
        where = endpoint(host, port)
        with self._lock:
            self._keys[where] = {key.algorithm: key.key_b64}
            self._learned.pop(where, None)
        with self._locked_file() as current:
            current[where] = {key.algorithm: key.key_b64}

    def reload(self) -> None:
        with self._lock:
            self._keys = read_keys(self.path)

    @contextlib.contextmanager
    def _locked_file(self) -> Iterator[dict[str, dict[str, str]]]:
        """The file's current content, to change in place; written back atomically on exit."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = read_keys(self.path)
            yield current
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".hostkeys-")
            with os.fdopen(fd, "w") as fh:
                json.dump(current, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
            with self._lock:  # endpoints other processes recorded become known here too
                for where, keys in current.items():
                    self._keys.setdefault(where, dict(keys))


def read_keys(path: Path) -> dict[str, dict[str, str]]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def split_endpoint(where: str) -> tuple[str, int]:
    """Inverse of ``endpoint``: ``"[h]:2222"`` -> ("h", 2222), ``"h"`` -> ("h", 22)."""
    if where.startswith("[") and "]:" in where:
        host, port = where[1:].rsplit("]:", 1)
        return host, int(port)
    return where, 22


async def fetch_host_key(host: str, port: int, timeout: float = 10.0) -> HostKey:
    """The key a device presents now (like ssh-keyscan); for ``netcron hostkeys trust``."""
    import asyncio

    import asyncssh  # only here: the store itself does not depend on an SSH library

    key = await asyncio.wait_for(asyncssh.get_server_host_key(host, port), timeout)
    if key is None:
        raise ValueError(f"{endpoint(host, port)} presented no host key")
    return HostKey.parse(key.export_public_key("openssh").decode())
