"""Credentials: secrets are write-only, flagged by has_*, and encrypted at rest."""

from __future__ import annotations

import pytest
from django.db import connection

from netcron.inventory.models import Credential
from tests.api.conftest import make_credential, make_device

pytestmark = pytest.mark.django_db

PASSWORD = "Sup3r-S3cret-Passw0rd!"
ENABLE = "en4ble-s3cret-value"
COMMUNITY = "c0mmunity-string-xyz"


def raw_sealed_column(credential_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets_sealed FROM inventory_credential WHERE id = %s", [credential_id])
        return cursor.fetchone()[0]


def assert_no_secret_in(response, *secrets):
    text = response.content.decode()
    for secret in secrets:
        assert secret not in text, f"secret leaked in {response.request['PATH_INFO']}"


def test_a_created_credential_reports_which_secrets_are_set_but_never_their_values(alice, api_as):
    response = api_as(alice).post("/api/credentials", json={
        "name": "lab", "username": "netops", "password": PASSWORD, "enable_secret": ENABLE,
        "snmp_community": COMMUNITY})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_password"] is True
    assert body["has_enable_secret"] is True
    assert body["has_snmp_community"] is True
    assert body["has_private_key"] is False and body["has_token"] is False
    assert body["username"] == "netops" and body["host_key_policy"] == "tofu"
    assert_no_secret_in(response, PASSWORD, ENABLE, COMMUNITY)
    assert "password" not in body and "enable_secret" not in body


def test_secrets_appear_in_no_response_of_get_list_or_update(alice, api_as):
    api = api_as(alice)
    created = api.post("/api/credentials", json={"name": "lab", "password": PASSWORD, "token": ENABLE})
    credential_id = created.json()["id"]
    responses = [
        created,
        api.get(f"/api/credentials/{credential_id}"),
        api.get("/api/credentials"),
        api.get("/api/credentials", q="lab"),
        api.put(f"/api/credentials/{credential_id}", json={"name": "lab", "description": "updated"}),
    ]
    for response in responses:
        assert response.status_code in (200, 201)
        assert_no_secret_in(response, PASSWORD, ENABLE)


def test_updating_without_a_password_keeps_the_stored_one(alice, api_as):
    credential = make_credential("lab", password=PASSWORD)
    response = api_as(alice).put(f"/api/credentials/{credential.pk}", json={"name": "lab", "username": "new"})
    assert response.status_code == 200
    assert response.json()["has_password"] is True
    credential.refresh_from_db()
    assert credential.get_secret("password") == PASSWORD
    assert credential.username == "new"


def test_updating_with_an_empty_password_clears_it(alice, api_as):
    credential = make_credential("lab", password=PASSWORD)
    response = api_as(alice).put(f"/api/credentials/{credential.pk}", json={"name": "lab", "password": ""})
    assert response.status_code == 200
    assert response.json()["has_password"] is False
    credential.refresh_from_db()
    assert credential.get_secret("password") == ""


def test_updating_with_a_new_password_replaces_it_and_keeps_the_others(alice, api_as):
    credential = make_credential("lab", password=PASSWORD)
    credential.set_secrets(enable_secret=ENABLE)
    credential.save()
    response = api_as(alice).put(f"/api/credentials/{credential.pk}", json={"name": "lab", "password": "other-pw"})
    assert response.json()["has_password"] is True and response.json()["has_enable_secret"] is True
    assert_no_secret_in(response, "other-pw", ENABLE)
    credential.refresh_from_db()
    assert credential.get_secrets() == {"password": "other-pw", "enable_secret": ENABLE}


def test_secrets_are_encrypted_at_rest(alice, api_as):
    credential_id = api_as(alice).post("/api/credentials", json={"name": "lab", "password": PASSWORD}).json()["id"]
    raw = raw_sealed_column(credential_id)
    assert raw, "the sealed secrets column is empty"
    assert PASSWORD not in raw
    assert Credential.objects.get(pk=credential_id).get_secret("password") == PASSWORD


def test_a_credential_without_secrets_stores_nothing(alice, api_as):
    credential_id = api_as(alice).post("/api/credentials", json={"name": "lab"}).json()["id"]
    assert raw_sealed_column(credential_id) == ""


def test_the_device_count_counts_devices_using_the_credential(alice, api_as):
    credential = make_credential("lab")
    make_device("r1", credential=credential)
    make_device("r2", credential=credential)
    assert api_as(alice).get(f"/api/credentials/{credential.pk}").json()["device_count"] == 2


def test_deleting_a_credential_detaches_it_from_devices(alice, api_as):
    credential = make_credential("lab", password=PASSWORD)
    device = make_device("r1", credential=credential)
    api = api_as(alice)
    assert api.delete(f"/api/credentials/{credential.pk}").status_code == 204
    assert api.get(f"/api/credentials/{credential.pk}").status_code == 404
    device.refresh_from_db()
    assert device.credential is None


def test_validation_errors_do_not_echo_a_secret(alice, api_as):
    response = api_as(alice).post("/api/credentials", json={"name": "", "password": PASSWORD,
                                                            "host_key_policy": "sometimes"})
    assert response.status_code == 422
    assert_no_secret_in(response, PASSWORD)
    assert {tuple(e["loc"])[-1] for e in response.json()["detail"]} == {"name", "host_key_policy"}


def test_an_oversized_secret_is_rejected_without_echoing_it(alice, api_as):
    huge = "x" * 2000
    response = api_as(alice).post("/api/credentials", json={"name": "lab", "password": huge})
    assert response.status_code == 422
    assert huge not in response.content.decode()


def test_viewers_can_list_credentials_but_not_change_them(viewer, api_as):
    credential = make_credential("lab", password=PASSWORD)
    api = api_as(viewer)
    listed = api.get("/api/credentials")
    assert listed.status_code == 200 and listed.json()["items"][0]["has_password"] is True
    assert_no_secret_in(listed, PASSWORD)
    assert api.put(f"/api/credentials/{credential.pk}", json={"name": "lab"}).status_code == 403
    assert api.delete(f"/api/credentials/{credential.pk}").status_code == 403
    assert api.post("/api/credentials", json={"name": "other"}).status_code == 403
