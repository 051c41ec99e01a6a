"""Encrypt small secret payloads at rest with Fernet keys derived from netcron's secret key."""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretDecryptError(Exception):
    """Stored secrets cannot be read with the configured keys (wrong or rotated-away key)."""


def derive_fernet_key(secret: str) -> bytes:
    """A Fernet key derived from an arbitrary-length secret; the same secret always gives the same key."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"netcron-secrets-v1", info=b"fernet").derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(raw)


class SecretBox:
    """Encrypts with the first key; decrypts with any, so old keys can be kept during rotation."""

    def __init__(self, secrets: list[str]):
        if not secrets:
            raise ValueError("at least one secret key is required")
        self._fernet = MultiFernet([Fernet(derive_fernet_key(s)) for s in secrets])

    def seal(self, payload: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(payload, sort_keys=True).encode()).decode()

    def open(self, token: str) -> dict[str, str]:
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretDecryptError("stored secrets cannot be decrypted with the configured key") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key."""
        if not token:
            return token
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise SecretDecryptError("stored secrets cannot be decrypted with the configured keys") from None
