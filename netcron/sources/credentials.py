"""Find the Credential a source or monitoring job uses; its secrets never leave this process."""

from __future__ import annotations

from netcron.inventory.models import Credential
from netcron.sources.http import SourceError


class CredentialError(SourceError):
    """The referenced credential is missing or lacks the secret the job needs."""


def resolve_credential(ref: str | int | None, fallback: Credential | None = None) -> Credential:
    """The credential named (or numbered) `ref`, else `fallback` (the run's credential)."""
    ref = str(ref or "").strip()
    if not ref:
        if fallback is None:
            raise CredentialError("no credential: set `credential` in the parameters or on the template")
        return fallback
    credential = Credential.objects.filter(name=ref).first()
    if credential is None and ref.isdigit():
        credential = Credential.objects.filter(pk=int(ref)).first()
    if credential is None:
        raise CredentialError(f"credential {ref!r} does not exist")
    return credential


def required_token(credential: Credential) -> str:
    token = credential.get_secret("token")
    if not token:
        raise CredentialError(f"credential {credential.name!r} has no `token` secret")
    return token


def run_credential(ctx) -> Credential | None:
    """The credential snapshotted on the run (from the template or schedule), if any."""
    run = getattr(ctx, "run", None)
    return getattr(run, "credential", None) if run is not None else None
