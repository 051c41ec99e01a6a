"""Secrets of NetBox, Nautobot and CheckMK live in encrypted Credentials only: never in parameters, run logs,
errors, results or device results — even when a server echoes the Authorization header back."""

from __future__ import annotations

import json
import logging

import pytest

from netcron.inventory.models import Credential
from tests.sources.conftest import CMK_SECRET, DCIM_TOKEN, FAST, checkmk_params, make_device, outputs, run_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_no_secret(run, caplog) -> None:
    text = outputs(run) + json.dumps(run.params) + caplog.text
    assert CMK_SECRET not in text and DCIM_TOKEN not in text


def test_the_credential_stores_the_automation_secret_encrypted(cmk_credential):
    raw = Credential.objects.filter(pk=cmk_credential.pk).values_list("secrets_sealed", flat=True).get()
    assert CMK_SECRET not in raw and cmk_credential.get_secret("token") == CMK_SECRET


def test_a_successful_sync_compare_and_inventory_sync_show_no_secret(checkmk, netbox, cmk_credential,
                                                                      dcim_credential, everything_logged):
    netbox.add_device("r1")
    make_device("r2", location="Berlin")
    runs = [run_job("sync_inventory", {"source": "netbox", "url": netbox.url, "credential": "dcim", **FAST}),
            run_job("sync_devices", checkmk_params(checkmk, activate_changes_after_sync=True)),
            run_job("compare_devices", checkmk_params(checkmk))]
    for run in runs:
        assert run.status == "completed", run.error
        assert_no_secret(run, everything_logged)


def test_a_wrong_automation_secret_fails_the_run_clearly_without_showing_it(checkmk, cmk_credential,
                                                                             everything_logged):
    checkmk.secret = "the-real-secret"
    make_device("r1")
    for job_type in ("sync_devices", "compare_devices"):
        run = run_job(job_type, checkmk_params(checkmk))
        assert run.status == "failed"
        assert run.error == ("CheckMK: GET /domain-types/host_config/collections/all returned 401 Unauthorized: "
                             "Wrong credentials (Bearer header) (check the credential and its permissions)")
        assert_no_secret(run, everything_logged)


def test_a_server_echoing_the_authorization_header_in_errors_cannot_leak_it(checkmk, cmk_credential,
                                                                             everything_logged):
    make_device("r1")
    echoed = {"title": "Bad Request", "status": 400, "detail": f"refused header: Bearer automation {CMK_SECRET}"}
    checkmk.fail_next(1, status=400, path="bulk-create", body=echoed)
    run = run_job("sync_devices", checkmk_params(checkmk))
    assert run.status == "failed" and "Bearer automation ***" in run.error
    assert_no_secret(run, everything_logged)
    checkmk.reject_hosts["r1"] = f"secret was {CMK_SECRET}"
    run = run_job("sync_devices", checkmk_params(checkmk))
    assert run.count_failed == 1
    assert_no_secret(run, everything_logged)


def test_a_rejected_source_token_fails_without_showing_it(netbox, dcim_credential, everything_logged):
    netbox.token = "another-token"
    run = run_job("sync_inventory", {"source": "netbox", "url": netbox.url, "credential": "dcim", **FAST})
    assert run.status == "failed" and "403: Invalid token" in run.error
    assert_no_secret(run, everything_logged)


def test_a_credential_without_username_or_token_is_named_in_the_error(checkmk, db):
    make_device("r1")
    Credential.objects.create(name="cmk", username="")
    run = run_job("sync_devices", checkmk_params(checkmk))
    assert run.error == "credential 'cmk' has no username (the CheckMK automation user)"
    Credential.objects.filter(name="cmk").update(username="automation")
    run = run_job("sync_devices", checkmk_params(checkmk))
    assert run.error == "credential 'cmk' has no `token` secret"


def test_a_secret_that_cannot_go_in_a_header_is_refused_without_quoting_it(checkmk, db, everything_logged):
    make_device("r1")
    credential = Credential(name="cmk", username="automation")
    credential.set_secrets(token=CMK_SECRET + "\nX-Injected: 1")
    credential.save()
    run = run_job("sync_devices", checkmk_params(checkmk))
    assert run.error == ("CheckMK: the credential holds characters not allowed in an HTTP header "
                         "(a line break or non-ASCII character?)")
    assert_no_secret(run, everything_logged)
    assert checkmk.requests == []
