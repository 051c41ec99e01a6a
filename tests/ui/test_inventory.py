"""Devices and credentials created, edited and deleted in the UI: the API's rules, permissions and audit."""

from __future__ import annotations

import pytest

from netcron.audit.models import AuditEntry
from netcron.inventory.models import Credential, Device, Location, Tag
from tests.ui.conftest import make_device, queries_for

pytestmark = pytest.mark.django_db
CANARY = "canary-Secret-7f3a9c"
KEY_CANARY = "-----BEGIN OPENSSH PRIVATE KEY-----\ncanary-key-material-51d2\n-----END OPENSSH PRIVATE KEY-----"


def device_post(**overrides) -> dict:
    return {"name": "edge9", "host": "192.0.2.99", "port": "22", "platform": "arista_eos", "role": "edge",
            "location": "", "credential": "", "serial": "", "description": "", "is_active": "on",
            "custom_fields": "", **overrides}


def test_an_operator_creates_a_device_with_tags_location_and_credential_and_it_is_audited(alice, client_for):
    berlin = Location.objects.create(name="Berlin")
    Tag.objects.create(name="core")
    Tag.objects.create(name="lab")
    credential = Credential.objects.create(name="ops")
    response = client_for(alice).post("/devices/new", device_post(
        location=berlin.pk, credential=credential.pk, tags=["core", "lab"], custom_fields='{"uplink": "Gi1/0/1"}'))
    device = Device.objects.get(name="edge9")
    assert response.status_code == 302 and response["Location"] == f"/devices/{device.pk}/"
    assert (device.location, device.credential, device.custom_fields) == (berlin, credential, {"uplink": "Gi1/0/1"})
    assert sorted(t.name for t in device.tags.all()) == ["core", "lab"]
    entry = AuditEntry.objects.get(object_type="device", action="create")
    assert (entry.via, entry.actor, entry.after["tags"]) == ("ui", alice, ["core", "lab"])


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"port": "70000"}, "port", "less than or equal to 65535"),
    ({"platform": "cisco_foo"}, "platform", "Select a valid choice"),
    ({"custom_fields": "[1, 2]"}, "custom_fields", "must be a JSON object"),
    ({"custom_fields": "{oops"}, "custom_fields", "not valid JSON"),
    ({"name": "taken"}, "name", "a device with this name already exists"),
    ({"host": ""}, "host", "This field is required"),
])
def test_bad_device_input_is_shown_inline_and_nothing_is_saved(alice, client_for, change, field, message):
    make_device("taken")
    response = client_for(alice).post("/devices/new", device_post(**change))
    assert response.status_code == 422
    assert message in response.context["form"].errors[field][0]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Device.objects.count() == 1


def test_editing_a_device_changes_it_and_records_what_changed(alice, client_for):
    device = make_device("core1", host="192.0.2.1", tags=["core"], location="Berlin")
    client = client_for(alice)
    form = client.get(f"/devices/{device.pk}/edit").content.decode()
    assert 'value="192.0.2.1"' in form and '<option value="core" selected>' in form
    response = client.post(f"/devices/{device.pk}/edit", device_post(
        name="core1", host="192.0.2.77", platform="cisco_ios", location=device.location_id, tags=[]))
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.host == "192.0.2.77" and not device.tags.exists()
    entry = AuditEntry.objects.get(object_type="device", action="update", via="ui")
    assert entry.before["host"] == "192.0.2.1" and entry.after["host"] == "192.0.2.77"
    assert entry.before["tags"] == ["core"] and entry.after["tags"] == []


def test_deleting_a_device_asks_first_then_deletes_and_audits(alice, client_for):
    device = make_device("old1")
    client = client_for(alice)
    assert "Delete device “old1”?" in client.get(f"/devices/{device.pk}/delete").content.decode()
    assert Device.objects.filter(pk=device.pk).exists()
    assert client.post(f"/devices/{device.pk}/delete").status_code == 302
    assert not Device.objects.filter(pk=device.pk).exists()
    assert AuditEntry.objects.filter(object_type="device", action="delete", via="ui").count() == 1


@pytest.mark.parametrize("path", ["/devices/new", "/devices/{pk}/edit", "/devices/{pk}/delete", "/credentials/new",
                                  "/credentials/{cred}/edit", "/credentials/{cred}/delete"])
def test_a_viewer_cannot_change_inventory(vera, client_for, path):
    device, credential = make_device("core1"), Credential.objects.create(name="ops")
    url = path.format(pk=device.pk, cred=credential.pk)
    client = client_for(vera)
    assert client.get(url).status_code == 403 and client.post(url, device_post()).status_code == 403
    assert Device.objects.filter(name="core1").exists() and Credential.objects.filter(name="ops").exists()


def test_a_viewer_sees_no_edit_buttons_but_an_operator_does(vera, alice, client_for):
    device = make_device("core1")
    assert "/edit" not in client_for(vera).get(f"/devices/{device.pk}/").content.decode()
    assert "New device" not in client_for(vera).get("/devices/").content.decode()
    assert f"/devices/{device.pk}/edit" in client_for(alice).get(f"/devices/{device.pk}/").content.decode()


def test_missing_devices_and_credentials_are_404(alice, client_for):
    client = client_for(alice)
    assert client.get("/devices/999/edit").status_code == 404
    assert client.post("/credentials/999/delete").status_code == 404


def credential_post(**overrides) -> dict:
    return {"name": "ops", "username": "netops", "description": "", "host_key_policy": "tofu",
            "snmp_version": "2c", "snmp_auth_protocol": "", "snmp_priv_protocol": "", **overrides}


def test_credential_secrets_are_write_only_and_never_in_any_page(alice, client_for):
    client = client_for(alice)
    response = client.post("/credentials/new", credential_post(password=CANARY, private_key=KEY_CANARY))
    assert response.status_code == 302
    credential = Credential.objects.get(name="ops")
    assert credential.get_secret("password") == CANARY and credential.get_secret("private_key") == KEY_CANARY
    pages = [client.get("/credentials/"), client.get(f"/credentials/{credential.pk}/edit"),
             client.post("/credentials/new", credential_post(password=CANARY, private_key=KEY_CANARY)),  # taken
             client.post(f"/credentials/{credential.pk}/edit", credential_post(name="", password=CANARY,
                                                                               private_key=KEY_CANARY))]
    assert [p.status_code for p in pages] == [200, 200, 422, 422]
    for page in pages:
        html = page.content.decode()
        assert CANARY not in html and "canary-key-material" not in html
    assert "Password" in pages[0].content.decode()  # the list says which secrets are set
    assert "Stored — leave empty to keep it" in pages[1].content.decode()
    assert CANARY not in str(list(AuditEntry.objects.values("before", "after")))


def test_a_blank_secret_keeps_the_stored_one_a_checkbox_removes_it_and_a_value_replaces_it(alice, client_for):
    credential = Credential(name="ops")
    credential.set_secrets(password=CANARY, enable_secret="en-1")
    credential.save()
    client = client_for(alice)
    url = f"/credentials/{credential.pk}/edit"
    assert client.post(url, credential_post(username="changed", password="")).status_code == 302
    credential.refresh_from_db()
    assert (credential.username, credential.get_secret("password")) == ("changed", CANARY)
    assert client.post(url, credential_post(clear_password="on", enable_secret="en-2")).status_code == 302
    credential.refresh_from_db()
    assert credential.get_secrets() == {"enable_secret": "en-2"}
    entry = AuditEntry.objects.filter(object_type="credential", via="ui").order_by("-id").first()
    assert entry.action == "update" and entry.actor == alice


def test_a_duplicate_or_invalid_credential_is_shown_inline(alice, client_for):
    Credential.objects.create(name="ops")
    client = client_for(alice)
    response = client.post("/credentials/new", credential_post())
    assert response.status_code == 422 and "already exists" in response.context["form"].errors["name"][0]
    response = client.post("/credentials/new", credential_post(name="x", snmp_version="9"))
    assert response.status_code == 422 and "snmp_version" in response.context["form"].errors


def test_deleting_a_credential_leaves_its_devices_without_one(alice, client_for):
    credential = Credential.objects.create(name="ops")
    device = make_device("core1", credential=credential)
    client = client_for(alice)
    assert "1 device(s) use it" in client.get(f"/credentials/{credential.pk}/delete").content.decode()
    assert client.post(f"/credentials/{credential.pk}/delete").status_code == 302
    device.refresh_from_db()
    assert device.credential is None
    assert AuditEntry.objects.filter(object_type="credential", action="delete", via="ui").exists()


def test_the_credential_list_runs_the_same_number_of_queries_for_2_and_20_credentials(alice, client_for):
    client = client_for(alice)
    for i in range(2):
        Credential.objects.create(name=f"c{i}")
        make_device(f"d{i}", credential=Credential.objects.get(name=f"c{i}"))
    few = queries_for(client, "/credentials/")
    for i in range(2, 20):
        Credential.objects.create(name=f"c{i}")
        make_device(f"d{i}", credential=Credential.objects.get(name=f"c{i}"))
    assert queries_for(client, "/credentials/") == few
