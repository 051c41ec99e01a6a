"""EMAIL_* settings from NETCRON_EMAIL_URL or NETCRON_EMAIL_HOST and friends; console mail by default."""

from __future__ import annotations

import pytest

from netcron.conf import ConfigError
from netcron.notifications.email_config import email_settings

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("URL", "HOST", "PORT", "USER", "PASSWORD", "FROM", "USE_TLS", "USE_SSL", "TIMEOUT"):
        monkeypatch.delenv(f"NETCRON_EMAIL_{name}", raising=False)
    return monkeypatch


def test_without_configuration_mail_is_printed_to_the_console():
    assert email_settings()["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_an_smtp_url_with_starttls_and_credentials(clean_env):
    clean_env.setenv("NETCRON_EMAIL_URL", "smtp://mailer:p%40ss@mail.example.com:587?tls=1")
    clean_env.setenv("NETCRON_EMAIL_FROM", "netcron@example.com")
    config = email_settings()
    assert (config["EMAIL_BACKEND"], config["EMAIL_HOST"], config["EMAIL_PORT"]) == (SMTP, "mail.example.com", 587)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("mailer", "p@ss")
    assert config["EMAIL_USE_TLS"] and not config["EMAIL_USE_SSL"]
    assert config["DEFAULT_FROM_EMAIL"] == "netcron@example.com"


def test_smtps_means_implicit_tls_on_port_465(clean_env):
    clean_env.setenv("NETCRON_EMAIL_URL", "smtps://mail.example.com")
    config = email_settings()
    assert (config["EMAIL_PORT"], config["EMAIL_USE_SSL"], config["EMAIL_USE_TLS"]) == (465, True, False)


def test_separate_variables_configure_smtp(clean_env):
    clean_env.setenv("NETCRON_EMAIL_HOST", "relay.internal")
    clean_env.setenv("NETCRON_EMAIL_PORT", "2525")
    config = email_settings()
    assert (config["EMAIL_BACKEND"], config["EMAIL_HOST"], config["EMAIL_PORT"]) == (SMTP, "relay.internal", 2525)


def test_an_unsupported_scheme_fails_loudly_without_echoing_the_password(clean_env):
    clean_env.setenv("NETCRON_EMAIL_URL", "imap://u:secret-pw@host")
    with pytest.raises(ConfigError, match="NETCRON_EMAIL_URL: unsupported scheme") as error:
        email_settings()
    assert "secret-pw" not in str(error.value)


def test_a_bad_port_names_the_variable(clean_env):
    clean_env.setenv("NETCRON_EMAIL_HOST", "relay.internal")
    clean_env.setenv("NETCRON_EMAIL_PORT", "smtp")
    with pytest.raises(ConfigError, match="NETCRON_EMAIL_PORT"):
        email_settings()
