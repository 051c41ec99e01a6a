"""The API tokens page: a new token is shown once; tokens are listed by prefix and can be revoked."""

from __future__ import annotations

import pytest

from netcron.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_and_works_for_the_api(alice, client_for):
    client = client_for(alice)
    response = client.post("/account/tokens/", {"name": "ansible", "expires_in_days": "30"}, follow=True)
    body = response.content.decode()
    token = ApiToken.objects.get(user=alice)
    raw = body.split('<code class="secret" id="new-token">')[1].split("</code>")[0]
    assert raw.startswith(token.prefix) and ApiToken.authenticate(raw) == alice
    assert token.name == "ansible" and token.expires_at is not None
    assert raw not in client.get("/account/tokens/").content.decode()  # never again


def test_the_list_shows_prefix_creation_and_last_use_but_never_the_value(alice, client_for):
    token, raw = ApiToken.issue(alice, "ci")
    ApiToken.authenticate(raw)
    body = client_for(alice).get("/account/tokens/").content.decode()
    assert f"{token.prefix}…" in body and "ci" in body and raw not in body and "never</span>" not in body


def test_users_only_see_their_own_tokens(alice, bob, client_for):
    ApiToken.issue(bob, "bobs")
    assert "bobs" not in client_for(alice).get("/account/tokens/").content.decode()


def test_revoking_a_token_stops_it_working(alice, client_for):
    token, raw = ApiToken.issue(alice, "old")
    response = client_for(alice).post(f"/account/tokens/{token.pk}/revoke", follow=True)
    assert "revoked" in response.content.decode()
    assert ApiToken.authenticate(raw) is None


def test_nobody_can_revoke_someone_elses_token(alice, bob, client_for):
    token, raw = ApiToken.issue(bob, "bobs")
    assert client_for(alice).post(f"/account/tokens/{token.pk}/revoke").status_code == 404
    assert ApiToken.authenticate(raw) == bob


def test_a_token_needs_a_name(alice, client_for):
    response = client_for(alice).post("/account/tokens/", {"name": "", "expires_in_days": "0"})
    assert response.status_code == 422 and not ApiToken.objects.exists()
    body = response.content.decode()
    assert 'id="id_name_error"' in body and 'id="id_expires_in_days_error"' in body


def test_a_user_without_any_permission_can_still_manage_tokens(nora, client_for):
    assert client_for(nora).get("/account/tokens/").status_code == 200
