"""sync_inventory through the real runner: NetBox/Nautobot over HTTP into netcron's inventory."""

from __future__ import annotations

import pytest

from netcron.inventory.models import Device
from tests.sources.conftest import DCIM_TOKEN, FAST, logs, make_device, outputs, run_job

pytestmark = pytest.mark.django_db


def netbox_params(server, **extra) -> dict:
    return {"source": "netbox", "url": server.url, "credential": "dcim", **FAST, **extra}


def test_a_netbox_sync_creates_devices_with_platform_ip_location_role_tags_serial_and_custom_fields(
        netbox, dcim_credential):
    netbox.add_device("r1", platform="Cisco IOS", site="Berlin", role="Core", ip="10.1.0.1/24", tags=["edge"],
                      serial="FDO1", custom_fields={"contract": "gold"})
    netbox.add_device("sw1", platform="Arista EOS", site="Hamburg", role="Access", ip="10.2.0.1/24")
    run = run_job("sync_inventory", netbox_params(netbox))
    assert run.status == "completed", run.error
    r1 = Device.objects.get(name="r1")
    assert (r1.host, r1.platform, r1.location.name, r1.role, r1.serial) == ("10.1.0.1", "cisco_ios", "Berlin", "Core",
                                                                             "FDO1")
    assert [t.name for t in r1.tags.all()] == ["edge"] and r1.custom_fields == {"contract": "gold"}
    assert (r1.source, r1.external_id, r1.is_active) == ("netbox", "1", True)
    assert Device.objects.get(name="sw1").platform == "arista_eos"
    assert run.result["created"] == 2 and run.result["skipped"] == 0
    assert any("2 fetched in 1 request(s): 2 created" in line for line in logs(run))


def test_unknown_platforms_and_devices_without_primary_ip_are_skipped_with_their_reasons(netbox, dcim_credential):
    netbox.add_device("fw1", platform="FortiOS")
    netbox.add_device("fw2", platform="FortiOS")
    netbox.add_device("noip", ip=None)
    netbox.add_device("bare", platform=None)
    netbox.add_device("ok")
    run = run_job("sync_inventory", netbox_params(netbox))
    assert run.status == "completed"
    assert list(Device.objects.values_list("name", flat=True)) == ["ok"]
    assert run.result["skipped_reasons"] == {
        "no platform": {"count": 1, "devices": ["bare"]},
        "no primary IP": {"count": 1, "devices": ["noip"]},
        "unknown platform 'fortios'": {"count": 2, "devices": ["fw1", "fw2"]},
    }
    assert "skipped 2 device(s): unknown platform 'fortios': fw1, fw2" in logs(run)


def test_platform_map_teaches_netcron_a_source_platform_and_use_name_reaches_devices_without_ip(
        netbox, dcim_credential):
    netbox.add_device("gw", platform="VyOS", ip=None)
    run = run_job("sync_inventory", netbox_params(netbox, platform_map={"vyos": "linux"},
                                                  without_primary_ip="use_name"))
    gw = Device.objects.get(name="gw")
    assert (gw.platform, gw.host) == ("linux", "gw") and run.result["created"] == 1


def test_a_second_sync_updates_what_changed_and_leaves_the_rest_alone(netbox, dcim_credential):
    r1 = netbox.add_device("r1", tags=["a"])
    netbox.add_device("r2")
    run_job("sync_inventory", netbox_params(netbox))
    r1.ip, r1.tags, r1.role = "10.9.9.9/24", ["a", "b"], "Edge"
    run = run_job("sync_inventory", netbox_params(netbox))
    assert (run.result["created"], run.result["updated"], run.result["unchanged"]) == (0, 1, 1)
    device = Device.objects.get(name="r1")
    assert (device.host, device.role, sorted(t.name for t in device.tags.all())) == ("10.9.9.9", "Edge", ["a", "b"])
    run = run_job("sync_inventory", netbox_params(netbox))
    assert (run.result["updated"], run.result["unchanged"]) == (0, 2)


def test_a_renamed_device_keeps_its_row_and_history_because_it_is_matched_by_source_id(netbox, dcim_credential):
    r1 = netbox.add_device("r1")
    run_job("sync_inventory", netbox_params(netbox))
    pk = Device.objects.get(name="r1").pk
    r1.name = "r1-new"
    run_job("sync_inventory", netbox_params(netbox))
    assert Device.objects.get(pk=pk).name == "r1-new" and Device.objects.count() == 1


def test_devices_gone_from_the_source_are_deactivated_never_deleted_and_come_back_active(netbox, dcim_credential):
    netbox.add_device("r1")
    gone = netbox.add_device("r2")
    manual = make_device("manual")
    run_job("sync_inventory", netbox_params(netbox))
    netbox.devices.remove(gone)
    run = run_job("sync_inventory", netbox_params(netbox))
    assert run.result["deactivated"] == 1
    assert dict(Device.objects.values_list("name", "is_active")) == {"r1": True, "r2": False, "manual": True}
    netbox.devices.append(gone)
    run_job("sync_inventory", netbox_params(netbox))
    assert Device.objects.get(name="r2").is_active and Device.objects.get(pk=manual.pk).is_active


def test_an_empty_answer_deactivates_nothing_in_case_a_filter_is_wrong(netbox, dcim_credential):
    netbox.add_device("r1")
    run_job("sync_inventory", netbox_params(netbox))
    netbox.devices.clear()
    run = run_job("sync_inventory", netbox_params(netbox))
    assert Device.objects.get(name="r1").is_active
    assert run.result["warnings"] == ["the source returned no devices; nothing deactivated (check the filters)"]


def test_devices_of_another_source_name_are_not_deactivated(netbox, dcim_credential):
    netbox.add_device("berlin1", site="Berlin")
    netbox.add_device("hamburg1", site="Hamburg")
    run_job("sync_inventory", netbox_params(netbox, sites=["berlin"], source_name="netbox-berlin"))
    run_job("sync_inventory", netbox_params(netbox, sites=["hamburg"], source_name="netbox-hamburg"))
    assert Device.objects.filter(is_active=True).count() == 2


def test_a_rejected_token_fails_the_run_with_a_clear_message_and_no_secret(netbox, dcim_credential):
    dcim_credential.set_secrets(token="wrong-" + DCIM_TOKEN)
    dcim_credential.save()
    run = run_job("sync_inventory", netbox_params(netbox))
    assert run.status == "failed"
    assert run.error == ("NetBox: GET /api/dcim/devices/ returned 403: Invalid token "
                         "(check the credential and its permissions)")
    assert DCIM_TOKEN not in outputs(run)


def test_a_missing_credential_or_token_fails_the_run_before_any_request(netbox, db):
    run = run_job("sync_inventory", netbox_params(netbox, credential="nope"))
    assert (run.status, run.error) == ("failed", "credential 'nope' does not exist")
    assert netbox.requests == []


def test_the_templates_credential_is_used_when_the_params_name_none(netbox, dcim_credential):
    netbox.add_device("r1")
    params = netbox_params(netbox)
    del params["credential"]
    run = run_job("sync_inventory", params, credential=dcim_credential)
    assert run.status == "completed" and Device.objects.filter(name="r1").exists()


def test_a_source_down_for_a_moment_is_retried_and_the_sync_completes(netbox, dcim_credential):
    netbox.add_device("r1")
    netbox.fail_next(2, status=503)
    run = run_job("sync_inventory", netbox_params(netbox))
    assert run.status == "completed" and run.result["created"] == 1


def test_a_source_that_stays_down_fails_the_run_as_retryable(netbox, dcim_credential):
    netbox.fail_next(10, status=500)
    run = run_job("sync_inventory", netbox_params(netbox), max_retries=1)
    assert run.status == "failed" and "returned 500" in run.error
    assert run.retries.count() == 1


def test_a_nautobot_sync_imports_locations_roles_and_uuid_external_ids(nautobot, dcim_credential):
    added = nautobot.add_device("leaf1", platform="Juniper Junos", network_driver="juniper_junos", site="Frankfurt",
                                role="Leaf", ip="10.3.0.1/31")
    nautobot.add_device("old", status="Decommissioning")
    run = run_job("sync_inventory", {"source": "nautobot", "url": nautobot.url, "credential": "dcim", **FAST})
    assert run.status == "completed", run.error
    leaf = Device.objects.get()
    assert (leaf.name, leaf.platform, leaf.location.name, leaf.role) == ("leaf1", "juniper_junos", "Frankfurt", "Leaf")
    assert (leaf.source, leaf.external_id) == ("nautobot", added.id)


def test_parameters_reject_sites_for_nautobot_and_unknown_keys(nautobot, dcim_credential):
    run = run_job("sync_inventory", {"source": "nautobot", "url": nautobot.url, "sites": ["x"]})
    assert run.status == "failed" and "Nautobot 2.x has no sites" in run.error
    run = run_job("sync_inventory", {"source": "netbox", "url": nautobot.url, "token": "s3cret"})
    assert run.status == "failed" and "token" in run.error and "s3cret" not in run.error
