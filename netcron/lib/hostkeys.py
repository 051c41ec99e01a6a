"""SSH host key store with trust-on-first-use.

Keys are kept per ``host:port`` and per key algorithm, as base64 of the public key blob, so the store
does not depend on any SSH library. Policies:

- ``strict``: only keys already recorded are accepted; unknown devices are refused.
- ``tofu``: the first key seen is recorded; a different key later is refused.
- ``ignore``: anything is accepted and nothing is recorded (labs, throwaway tests).

A changed key is never accepted silently: an operator removes the old entry (``forget``) first.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from abc import ABC, abstractmethod
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
    """JSON file ``{"[host]:port": {"ssh-ed25519": "AAAA..."}}``, rewritten atomically on change."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        initial = json.loads(self.path.read_text()) if self.path.exists() else {}
        super().__init__(initial)

    def _changed(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".hostkeys-")
        with os.fdopen(fd, "w") as fh:
            json.dump(self._keys, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.path)
