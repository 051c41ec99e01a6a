"""Fixtures for every test under tests/: publishing to an in-process broker, cheap password hashing."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def in_memory_broker():
    """Publishing goes to kombu's in-process memory transport: the real publish code path, no server.

    Tests that need a real broker switch to it with netcron.celery.use_broker (see tests/e2e/conftest.py).
    """
    from netcron.celery import use_broker

    previous = use_broker("memory://")
    yield
    use_broker(previous)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The user fixtures hash passwords; PBKDF2 would make up much of the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """Context manager: run on_commit callbacks (publishing) at the end of the block, inside the test."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
