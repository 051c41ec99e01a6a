"""Read netcron's settings from NETCRON_* environment variables.

Every value has an embedded-mode default; a malformed value raises ConfigError naming the variable,
which the CLI turns into one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ALL_QUEUES = ("default", "backup", "network", "heavy")
# Scripts only from our own origin (the UI has no inline script). Styles allow 'unsafe-inline': the
# templates use style="" attributes and htmx injects its indicator <style> (docs/operations.md).
DEFAULT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'none'")


class ConfigError(Exception):
    """A NETCRON_* environment variable holds a value netcron cannot use."""


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def env_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}: must be at least {minimum}{upper}, got {value}")
    return value


def data_dir() -> Path:
    raw = env_str("NETCRON_DATA_DIR", str(Path.home() / ".netcron"))
    path = Path(raw).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"NETCRON_DATA_DIR: {raw!r} exists and is not a directory")
    return path.absolute()


def database_url(data: Path) -> str:
    url = env_str("NETCRON_DATABASE_URL", f"sqlite:///{data / 'netcron.sqlite3'}")
    scheme = urlsplit(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
        raise ConfigError(
            f"NETCRON_DATABASE_URL: unsupported scheme {scheme or '(none)'!r}; use sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/NAME"
        )
    return url


def broker_url(data: Path) -> str:
    url = env_str("NETCRON_BROKER_URL", f"netcron-fs://{data / 'broker'}")
    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss", "netcron-fs", "memory"):
        raise ConfigError(
            f"NETCRON_BROKER_URL: unsupported scheme {scheme or '(none)'!r}; use redis://HOST:PORT/DB "
            "or netcron-fs:///PATH (embedded, no server)"
        )
    return url


def cache(url: str) -> dict:
    """Django cache settings: redis(s):// URLs use Redis, anything else the netcron_cache table."""
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": "netcron"}
    if scheme not in ("netcron-fs", "memory", "db", ""):
        raise ConfigError(f"NETCRON_CACHE_URL: unsupported scheme {scheme!r}; use redis://HOST:PORT/DB or db://")
    return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "netcron_cache"}


def worker_queues() -> list[str]:
    raw = env_str("NETCRON_WORKER_QUEUES", ",".join(ALL_QUEUES))
    queues = [q.strip() for q in raw.split(",") if q.strip()]
    unknown = [q for q in queues if q not in ALL_QUEUES]
    if not queues or unknown:
        raise ConfigError(
            f"NETCRON_WORKER_QUEUES: unknown queue(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(ALL_QUEUES)}"
        )
    return list(dict.fromkeys(queues))


def secret_key(data: Path) -> str:
    """NETCRON_SECRET_KEY, or a key generated once and kept in the data dir (embedded mode)."""
    value = os.environ.get("NETCRON_SECRET_KEY", "").strip()
    if value:
        if len(value) < 32:
            raise ConfigError("NETCRON_SECRET_KEY: must be at least 32 characters long")
        return value
    key_file = data / "secret.key"
    if key_file.exists():
        return key_file.read_text().strip()
    data.mkdir(parents=True, exist_ok=True)
    # Write aside, then hard-link into place: the link is atomic and fails if another process won,
    # so every process sees either no file or the whole key.
    tmp = data / f".secret.key.{os.getpid()}"
    tmp.write_text(secrets.token_urlsafe(48))
    tmp.chmod(0o600)
    try:
        os.link(tmp, key_file)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return key_file.read_text().strip()
