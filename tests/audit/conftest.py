"""Fixtures for the audit, settings and notification tests (the other two packages import these)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fresh_settings_cache():
    """Each test starts and ends without cached system settings (its database changes roll back)."""
    from netcron.system.models import invalidate

    invalidate()
    yield
    invalidate()


@pytest.fixture(autouse=True)
def static_root(settings):
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def auditor(make_user):
    """A user who may read the audit log and nothing else."""
    from django.contrib.auth.models import Permission

    user = make_user("ada", role=None)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="audit", codename="view_auditentry"))
    return user


@pytest.fixture
def settings_admin(make_user):
    """An operator who may also change the system settings."""
    from django.contrib.auth.models import Permission

    user = make_user("sam")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="system", codename="change_settings"))
    return user
