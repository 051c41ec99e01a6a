"""Where backups are written: repository paths under the data directory, remotes and push credentials."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings

from netcron.lib.gitstore import GitStore, Remote, redact_url


class RepositoryError(ValueError):
    """A repository setting that cannot be used; the message names the parameter."""


def allowed_roots() -> list[Path]:
    """Local repositories must live under the data directory (or NETCRON_REPOSITORY_ROOTS, if set):
    a template author must not be able to make the worker write files anywhere it can."""
    extra = getattr(settings, "NETCRON_REPOSITORY_ROOTS", None) or []
    return [Path(settings.DATA_DIR).resolve(), *(Path(p).resolve() for p in extra)]


def local_path(repository_path: str = "", remote_url: str = "", branch: str = "main") -> Path:
    """The working copy for these settings: explicit path, a clone per remote, or DATA_DIR/configs."""
    data_dir = Path(settings.DATA_DIR)
    if repository_path:
        path = Path(repository_path)
        path = (path if path.is_absolute() else data_dir / path).resolve()
    elif remote_url:
        slug = hashlib.sha256(f"{redact_url(remote_url)}#{branch}".encode()).hexdigest()[:16]
        path = (data_dir / "repos" / slug).resolve()
    else:
        path = (data_dir / "configs").resolve()
    if not any(path == root or root in path.parents for root in allowed_roots()):
        raise RepositoryError(f"repository_path: {path} is outside the data directory "
                              "(allowed roots: settings.DATA_DIR and NETCRON_REPOSITORY_ROOTS)")
    return path


def remote(url: str, credential=None) -> Remote:
    if credential is None:
        return Remote(url)
    secrets = credential.get_secrets()
    return Remote(url, username=credential.username, password=secrets.get("password") or secrets.get("token", ""),
                  private_key=secrets.get("private_key", ""))


def store_for(repository) -> GitStore:
    """A GitStore for a ConfigRepository row."""
    rem = remote(repository.remote_url, repository.push_credential) if repository.remote_url else None
    return GitStore(repository.path, branch=repository.branch, remote=rem)


def repository_row(path: Path, remote_url: str, branch: str, credential=None):
    from netcron.configs.models import ConfigRepository

    row, created = ConfigRepository.objects.get_or_create(
        path=str(path), defaults={"remote_url": redact_url(remote_url), "branch": branch,
                                  "push_credential": credential})
    if not created and (row.remote_url, row.branch, row.push_credential_id) != (
            redact_url(remote_url), branch, getattr(credential, "pk", None)):
        row.remote_url, row.branch, row.push_credential = redact_url(remote_url), branch, credential
        row.save(update_fields=["remote_url", "branch", "push_credential"])
    return row
