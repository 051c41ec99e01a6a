"""Django EMAIL_* settings from NETCRON_EMAIL_URL or NETCRON_EMAIL_HOST/PORT/USER/PASSWORD/FROM.

NETCRON_EMAIL_URL: smtp://user:pass@host:587 (STARTTLS with ?tls=1), smtps://host:465 (implicit TLS),
console:// (print mails; the default), dummy:// (drop them). No Django imports: settings.py uses this.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from netcron.conf import ConfigError, env_bool, env_int, env_str

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def email_settings() -> dict:
    sender = env_str("NETCRON_EMAIL_FROM", "netcron@localhost")
    timeout = env_int("NETCRON_EMAIL_TIMEOUT", 10, minimum=1, maximum=300)
    url = env_str("NETCRON_EMAIL_URL", "")
    if url:
        return {**_from_url(url), "DEFAULT_FROM_EMAIL": sender, "SERVER_EMAIL": sender, "EMAIL_TIMEOUT": timeout}
    host = env_str("NETCRON_EMAIL_HOST", "")
    return {
        "EMAIL_BACKEND": BACKENDS["smtp" if host else "console"],
        "EMAIL_HOST": host or "localhost",
        "EMAIL_PORT": env_int("NETCRON_EMAIL_PORT", 25, minimum=1, maximum=65535),
        "EMAIL_HOST_USER": env_str("NETCRON_EMAIL_USER", ""),
        "EMAIL_HOST_PASSWORD": env_str("NETCRON_EMAIL_PASSWORD", ""),
        "EMAIL_USE_TLS": env_bool("NETCRON_EMAIL_USE_TLS", False),
        "EMAIL_USE_SSL": env_bool("NETCRON_EMAIL_USE_SSL", False),
        "DEFAULT_FROM_EMAIL": sender, "SERVER_EMAIL": sender, "EMAIL_TIMEOUT": timeout,
    }


def _from_url(url: str) -> dict:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigError("NETCRON_EMAIL_URL: not a valid URL") from None  # the URL may hold a password
    if parts.scheme not in BACKENDS:
        raise ConfigError(f"NETCRON_EMAIL_URL: unsupported scheme {parts.scheme or '(none)'!r}; "
                          "use smtp://, smtps://, console:// or dummy://")
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    if parts.scheme in ("smtp", "smtps") and not parts.hostname:
        raise ConfigError("NETCRON_EMAIL_URL: an smtp URL needs a host")
    ssl = parts.scheme == "smtps" or query.get("ssl") in ("1", "true", "yes")
    return {
        "EMAIL_BACKEND": BACKENDS[parts.scheme],
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": port or (465 if ssl else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": not ssl and query.get("tls") in ("1", "true", "yes"),
        "EMAIL_USE_SSL": ssl,
    }
