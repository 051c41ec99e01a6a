"""Login and API-token rate limits: N failures in the window refuse further attempts, clearly, and are audited."""

from __future__ import annotations

import html
import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from netcron.accounts.models import ApiToken
from netcron.audit.models import AuditEntry

PASSWORD = "alice-password-123"


@pytest.fixture
def limits(settings):
    settings.NETCRON_LOGIN_MAX_FAILURES = 3
    settings.NETCRON_LOGIN_MAX_FAILURES_PER_IP = 5
    settings.NETCRON_TOKEN_MAX_FAILURES_PER_IP = 4
    settings.NETCRON_LOGIN_WINDOW_SECONDS = 900
    return settings


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_it_refuses_a_user_name_after_too_many_failed_logins_even_with_the_right_password(alice, limits):
    client = Client()
    for _ in range(3):
        assert login(client, "alice", "wrong-guess-1").status_code == 200  # the form again, with its error
    refused = login(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert "too many failed logins for 'alice'; try again in 15 minutes" in html.unescape(refused.content.decode())
    assert 840 <= int(refused["Retry-After"]) <= 900
    assert "_auth_user_id" not in client.session


def test_a_lock_on_one_user_name_does_not_lock_other_users(alice, bob, limits):
    client = Client()
    for _ in range(3):
        login(client, "alice", "wrong")
    assert login(client, "bob", "bob-password-123").status_code == 302


def test_it_refuses_an_address_that_tries_many_user_names(alice, limits):
    client = Client(REMOTE_ADDR="10.9.8.7")
    for n in range(5):
        assert login(client, f"user{n}", "wrong").status_code == 200
    refused = login(client, "alice", PASSWORD)
    assert refused.status_code == 429 and "from your address" in refused.content.decode()
    assert login(Client(REMOTE_ADDR="10.9.8.8"), "alice", PASSWORD).status_code == 302


def test_the_lock_ends_with_the_window(alice, limits):
    client = Client()
    for _ in range(3):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(seconds=901)):
        assert login(Client(), "alice", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_user_names_failures(alice, limits):
    client = Client()
    for _ in range(2):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302
    for _ in range(2):
        assert login(Client(), "alice", "wrong").status_code == 200
    assert login(Client(), "alice", PASSWORD).status_code == 302


def test_the_admin_login_shares_the_limit(alice, limits):
    client = Client()
    for _ in range(3):
        login(client, "alice", "wrong")
    assert client.post("/admin/login/", {"username": "alice", "password": PASSWORD}).status_code == 429


def test_failed_logins_are_audited_and_logged_without_the_password(alice, limits, caplog):
    with caplog.at_level(logging.DEBUG):
        login(Client(REMOTE_ADDR="10.1.2.3"), "alice", "canary-pw-7f3e9")
    entry = AuditEntry.objects.get(action="login_failed")
    assert (entry.object_repr, entry.details["client"], entry.remote_addr) == ("alice", "10.1.2.3", "10.1.2.3")
    assert "login failed for user 'alice' from 10.1.2.3" in caplog.text
    rows = str(list(AuditEntry.objects.values()))
    assert "canary-pw-7f3e9" not in rows and "canary-pw-7f3e9" not in caplog.text


def test_a_limit_of_zero_turns_the_check_off(alice, limits):
    limits.NETCRON_LOGIN_MAX_FAILURES = 0
    client = Client()
    for _ in range(4):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302


def test_the_proxys_client_address_is_used_only_when_netcron_is_told_it_is_behind_one(alice, limits):
    behind = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.1"}
    for n in range(5):
        Client(REMOTE_ADDR="10.0.0.254", **behind).post("/login/", {"username": f"u{n}", "password": "x"})
    # Not behind a proxy: every attempt counted against 10.0.0.254, whatever the header says.
    assert login(Client(REMOTE_ADDR="10.0.0.254"), "alice", PASSWORD).status_code == 429
    limits.NETCRON_BEHIND_PROXY = True
    client = Client(REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.9")
    assert login(client, "alice", PASSWORD).status_code == 302


def test_repeated_bad_api_tokens_get_429_with_a_clear_message(alice, limits):
    client = Client(REMOTE_ADDR="10.5.5.5")
    for n in range(4):
        response = client.get("/api/devices", headers={"Authorization": f"Bearer nc_not-a-token-{n}"})
        assert response.status_code == 401
    refused = client.get("/api/devices", headers={"Authorization": "Bearer nc_not-a-token-5"})
    assert refused.status_code == 429
    assert refused.json() == {"detail": "too many failed API token attempts from your address; "
                                        "try again in 15 minutes"}
    assert int(refused["Retry-After"]) > 0
    assert AuditEntry.objects.filter(action="token_locked", details__client="10.5.5.5").count() == 1


def test_good_tokens_and_other_addresses_are_not_counted(alice, limits):
    _, raw = ApiToken.issue(alice)
    client = Client(REMOTE_ADDR="10.5.5.6")
    for _ in range(6):
        assert client.get("/api/devices", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    for _ in range(4):
        client.get("/api/devices", headers={"Authorization": "Bearer nc_bad"})
    assert Client(REMOTE_ADDR="10.5.5.7").get("/api/devices", headers={"Authorization": f"Bearer {raw}"}
                                              ).status_code == 200


def test_anonymous_api_calls_without_a_token_are_not_counted(limits):
    client = Client(REMOTE_ADDR="10.5.5.8")
    for _ in range(6):
        assert client.get("/api/devices").status_code == 401


@pytest.fixture
def redis_cache(settings):
    """The production cache: Redis (a db of its own, flushed), as settings choose next to a Redis broker."""
    import redis

    from netcron import conf
    from tests.e2e.conftest import REDIS_URL, redis_available

    if not redis_available():
        pytest.skip("Redis is not running")
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings.CACHES = {"default": conf.cache(REDIS_URL)}
    yield
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_with_redis_the_counts_are_shared_and_expire_with_the_window(alice, limits, redis_cache):
    import redis
    from django.core.cache import caches

    from tests.e2e.conftest import REDIS_URL

    assert type(caches["default"]).__name__ == "RedisCache"
    for _ in range(3):
        login(Client(), "alice", "wrong")
    refused = login(Client(), "alice", PASSWORD)
    assert refused.status_code == 429 and 890 <= int(refused["Retry-After"]) <= 900
    [key] = [k for k in redis.Redis.from_url(REDIS_URL).keys("*") if b"login-user" in k]
    assert 0 < redis.Redis.from_url(REDIS_URL).ttl(key) <= 900  # the first failure set the window
    assert redis.Redis.from_url(REDIS_URL).get(key) == b"3"  # an atomic INCR counter, not read-modify-write
