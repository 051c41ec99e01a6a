"""Host keys of lab devices: generated once per data dir, reused on every start.

Each device has its own Ed25519 key (so trust-on-first-use stores behave as with real fleets) and an
"impostor" key that the ``wrong_hostkey`` fault presents instead.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import asyncssh

from netcron.lib.hostkeys import MemoryHostKeyStore


class LabHostKeys:
    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.path = Path(data_dir) / "hostkeys.json"
        self._pem: dict[str, str] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self._keys: dict[str, asyncssh.SSHKey] = {}
        self._dirty = False
        self._lock = threading.Lock()

    def key(self, name: str, *, impostor: bool = False) -> asyncssh.SSHKey:
        label = f"{name}#impostor" if impostor else name
        with self._lock:
            key = self._keys.get(label)
            if key is None:
                pem = self._pem.get(label)
                if pem is None:
                    key = asyncssh.generate_private_key("ssh-ed25519", comment=f"netcron-lab {label}")
                    self._pem[label] = key.export_private_key("openssh").decode()
                    self._dirty = True
                else:
                    key = asyncssh.import_private_key(pem)
                self._keys[label] = key
            return key

    def public(self, name: str) -> tuple[str, str]:
        """(algorithm, base64) of the device's real key, as a host key store records it."""
        alg, b64, *_ = self.key(name).export_public_key("openssh").decode().split()
        return alg, b64

    def save(self) -> None:
        with self._lock:
            if not self._dirty:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(self._pem, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
            self._dirty = False

    def store_for(self, devices) -> MemoryHostKeyStore:
        """A host key store that already trusts every device's real key (for strict-mode clients)."""
        entries = {}
        for d in devices:
            alg, b64 = self.public(d.name)
            endpoint = d.host if d.port == 22 else f"[{d.host}]:{d.port}"
            entries[endpoint] = {alg: b64}
        return MemoryHostKeyStore(entries)
