"""Django settings for netcron: everything comes from NETCRON_* variables (see netcron.conf)."""

from __future__ import annotations

import dj_database_url

from netcron import conf
from netcron.notifications.email_config import email_settings

DATA_DIR = conf.data_dir()
SECRET_KEY = conf.secret_key(DATA_DIR)
DEBUG = conf.env_bool("NETCRON_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in conf.env_str("NETCRON_ALLOWED_HOSTS", "*").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in conf.env_str("NETCRON_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
BASE_URL = conf.env_str("NETCRON_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs' Swagger UI from our static files, not a CDN (the CSP allows only 'self')
    "netcron.accounts",
    "netcron.inventory",
    "netcron.jobs",
    "netcron.monitoring",
    "netcron.configs",
    "netcron.reachability",
    "netcron.audit",
    "netcron.system",
    "netcron.notifications",
    "netcron.ui",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "netcron.api.limits.api_request_guard",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "netcron.audit.middleware.AuditContextMiddleware",
    "netcron.accounts.middleware.LoginThrottleMiddleware",
    "netcron.accounts.middleware.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "netcron.urls"
WSGI_APPLICATION = "netcron.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict:
    try:
        db = dj_database_url.parse(url, conn_max_age=60)
    except Exception as exc:  # dj_database_url raises several types for bad URLs
        raise conf.ConfigError(f"NETCRON_DATABASE_URL: cannot parse {url!r}: {exc}") from None
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["CONN_MAX_AGE"] = 0
        # Measured in shared/EMBEDDED.md: IMMEDIATE transactions + WAL + a busy timeout give zero
        # "database is locked" errors with web, scheduler and workers writing at once.
        # A file (not :memory:) so tests can share the test database with real worker processes.
        db["TEST"] = {"NAME": str(DATA_DIR / "test-netcron.sqlite3")}
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    else:
        db.setdefault("OPTIONS", {})
        db["CONN_HEALTH_CHECKS"] = True
        if db["ENGINE"] == "django.db.backends.postgresql":
            # Statements run through netcron.lib.dbcursor.prepared_cursor are prepared after this many
            # runs in a session (psycopg's default); Django's own cursors bind on the client, never prepare.
            db["OPTIONS"].setdefault("prepare_threshold", 5 if NETCRON_DATABASE_PREPARED_STATEMENTS else None)
    return db


# PostgreSQL: the runner's per-run statements are prepared once per session (netcron.lib.dbcursor).
NETCRON_DATABASE_PREPARED_STATEMENTS = conf.env_bool("NETCRON_DATABASE_PREPARED_STATEMENTS", True)
DATABASES = {"default": _database(conf.database_url(DATA_DIR))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = conf.env_str("NETCRON_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
WHITENOISE_USE_FINDERS = True
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# --- Security (docs/operations.md "Security") ----------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
NETCRON_CONTENT_SECURITY_POLICY = conf.env_str("NETCRON_CONTENT_SECURITY_POLICY", conf.DEFAULT_CSP)
if conf.env_bool("NETCRON_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = conf.env_bool("NETCRON_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = conf.env_int("NETCRON_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = conf.env_bool("NETCRON_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = conf.env_bool("NETCRON_HSTS_PRELOAD", True)
# Only behind a proxy that overwrites X-Forwarded-Proto/-For: otherwise any client could claim HTTPS or
# another address (and dodge the per-address login limit).
NETCRON_BEHIND_PROXY = conf.env_bool("NETCRON_BEHIND_PROXY", False)
if NETCRON_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
NETCRON_LOGIN_WINDOW_SECONDS = conf.env_int("NETCRON_LOGIN_WINDOW_SECONDS", 900, minimum=1)
NETCRON_LOGIN_MAX_FAILURES = conf.env_int("NETCRON_LOGIN_MAX_FAILURES", 5)  # per user name; 0: no limit
NETCRON_LOGIN_MAX_FAILURES_PER_IP = conf.env_int("NETCRON_LOGIN_MAX_FAILURES_PER_IP", 20)
NETCRON_TOKEN_MAX_FAILURES_PER_IP = conf.env_int("NETCRON_TOKEN_MAX_FAILURES_PER_IP", 30)  # bad API tokens
NETCRON_WEBHOOK_ALLOW_LOCAL = conf.env_bool("NETCRON_WEBHOOK_ALLOW_LOCAL", False)

DATA_UPLOAD_MAX_MEMORY_SIZE = conf.env_int("NETCRON_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024)
NETCRON_API_MAX_BODY_BYTES = conf.env_int("NETCRON_API_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = conf.broker_url(DATA_DIR)
# Celery's Django fixup closes the database connection around every task unless this is set, which
# costs a new PostgreSQL connection per run. With it, connections follow Django's own rules instead:
# netcron.jobs.tasks calls close_old_connections() around each task (CONN_MAX_AGE, and a broken
# connection is health-checked and replaced, CONN_HEALTH_CHECKS); the fixup still recycles them
# after this many tasks.
CELERY_DB_REUSE_MAX = 1000
NETCRON_WORKER_QUEUES = conf.worker_queues()
NETCRON_WORKER_CONCURRENCY = conf.env_int("NETCRON_WORKER_CONCURRENCY", 2, minimum=1, maximum=256)
# Shared by every process (login rate limits): Redis next to a Redis broker, else a database table.
CACHES = {"default": conf.cache(conf.env_str("NETCRON_CACHE_URL", CELERY_BROKER_URL))}

# --- Engine timings (seconds) ------------------------------------------------------------------
NETCRON_SCHEDULER_INTERVAL = float(conf.env_int("NETCRON_SCHEDULER_INTERVAL_MS", 1000, minimum=10)) / 1000
NETCRON_SCHEDULER_BATCH = conf.env_int("NETCRON_SCHEDULER_BATCH", 500, minimum=1)
NETCRON_HEARTBEAT_SECONDS = conf.env_int("NETCRON_HEARTBEAT_SECONDS", 5, minimum=1)
NETCRON_LEASE_SECONDS = conf.env_int("NETCRON_LEASE_SECONDS", 60, minimum=2)
NETCRON_METRICS_TOKEN = conf.env_str("NETCRON_METRICS_TOKEN", "")
NETCRON_REPUBLISH_AFTER_SECONDS = conf.env_int("NETCRON_REPUBLISH_AFTER_SECONDS", 60, minimum=1)

# --- Email (notifications): NETCRON_EMAIL_URL or NETCRON_EMAIL_HOST/PORT/USER/PASSWORD/FROM ------------
_email = email_settings()
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST, EMAIL_PORT = _email["EMAIL_HOST"], _email["EMAIL_PORT"]
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_USER"], _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_TIMEOUT = _email["EMAIL_USE_TLS"], _email["EMAIL_USE_SSL"], _email["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL, SERVER_EMAIL = _email["DEFAULT_FROM_EMAIL"], _email["SERVER_EMAIL"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": conf.env_str("NETCRON_LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
