from tests.audit.conftest import auditor, fresh_settings_cache, settings_admin, static_root  # noqa: F401
