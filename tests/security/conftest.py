"""Fixtures for the security tests: a clean rate-limit cache, a static root for rendered pages."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def clean_cache(db):
    """Rate-limit counters live in the shared cache; every test starts from none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def static_root(settings):
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
