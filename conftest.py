"""Shared fixtures: users alice (owner), bob (same permissions), charlie (no job permissions)."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from netcron.jobs.system import ensure_groups

    ensure_groups()

    def make(name: str, role: str | None = "operators", superuser: bool = False):
        user = get_user_model().objects.create_user(name, password=f"{name}-password-123",
                                                    is_superuser=superuser, is_staff=superuser)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def charlie(make_user):
    return make_user("charlie", role=None)


@pytest.fixture
def viewer(make_user):
    return make_user("vera", role="viewers")


@pytest.fixture
def admin(make_user):
    return make_user("root", role=None, superuser=True)


class ApiClient:
    """Django test client speaking JSON with a bearer token."""

    def __init__(self, user=None):
        from django.test import Client

        from netcron.accounts.models import ApiToken

        self.client = Client()
        self.headers = {}
        if user is not None:
            _, raw = ApiToken.issue(user, name="test")
            self.headers["Authorization"] = f"Bearer {raw}"

    def _call(self, method: str, path: str, json=None, **params):
        kwargs = {"headers": self.headers}
        if json is not None:
            kwargs.update(data=json, content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, **params):
        return self._call("get", path, **params)

    def post(self, path, json=None):
        return self._call("post", path, json=json if json is not None else {})

    def put(self, path, json=None):
        return self._call("put", path, json=json)

    def delete(self, path):
        return self._call("delete", path)


@pytest.fixture
def api_as(db):
    """api_as(user) → a JSON client authenticated as user (None: anonymous)."""
    return ApiClient
