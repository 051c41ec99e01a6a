"""The settings page: read-only for readers, a validated form for those who may change settings."""

from __future__ import annotations

import pytest

from netcron.system.models import SystemSettings

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def test_a_viewer_sees_the_settings_but_no_form(client, viewer):
    response = logged_in(client, viewer).get("/settings/")
    assert response.status_code == 200
    assert b"lease_seconds" in response.content and b"Save settings" not in response.content


def test_a_user_without_permissions_gets_403(client, charlie):
    assert logged_in(client, charlie).get("/settings/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/settings/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_viewer_cannot_post_changes(client, viewer):
    assert logged_in(client, viewer).post("/settings/", {"param__lease_seconds": "30"}).status_code == 403
    assert SystemSettings.load().values == {}


def form_data(**changes) -> dict:
    from netcron.system import spec

    data = {}
    for name, value in {**spec.defaults(), **changes}.items():
        if isinstance(value, bool):
            if value:
                data[f"param__{name}"] = "on"
        elif isinstance(value, list):
            data[f"param__{name}"] = "\n".join(value)
        else:
            data[f"param__{name}"] = "" if value is None else str(value)
    return data


def test_a_settings_admin_changes_a_value_and_only_it_is_stored(client, settings_admin):
    client = logged_in(client, settings_admin)
    page = client.get("/settings/")
    assert page.status_code == 200 and b"Save settings" in page.content
    response = client.post("/settings/", form_data(lease_seconds=45, notify_email_recipients=["noc@example.com"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SystemSettings.load().values == {"lease_seconds": 45, "notify_email_recipients": ["noc@example.com"]}


def test_an_invalid_value_shows_the_form_again_with_the_error_at_the_field(client, admin):
    response = logged_in(client, admin).post("/settings/", form_data(lease_seconds=1))
    assert response.status_code == 422
    assert b'id="id_param__lease_seconds_error"' in response.content
    assert SystemSettings.load().values == {}


def test_the_navigation_links_to_settings_and_to_the_audit_log_only_for_those_who_may_see_them(client, viewer,
                                                                                                 admin):
    page = logged_in(client, viewer).get("/")
    assert b'href="/settings/"' in page.content and b'href="/audit/"' not in page.content
    page = logged_in(client, admin).get("/")
    assert b'href="/settings/"' in page.content and b'href="/audit/"' in page.content
