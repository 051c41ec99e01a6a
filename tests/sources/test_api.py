"""The monitoring and sources routers over HTTP (mounted by tests/sources/urls.py as netcron's API will)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from netcron.accounts.models import ApiToken
from netcron.inventory.models import Device
from netcron.jobs.models import JobRun
from netcron.monitoring.models import Comparison
from netcron.sources.reconcile import DIFFERENT, IN_SYNC, MISSING_IN_MONITORING, MISSING_IN_SOURCE, Item, Record
from tests.sources.conftest import make_device

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sources.urls")]
DASHBOARD = "/api/job-runs/dashboard/compare-devices"


def comparison(owner=None, is_global=True, names=("r1", "r2", "r3", "ghost")) -> Comparison:
    run = JobRun.objects.create(job_name="compare", job_type="compare_devices", triggered_by="manual",
                                queue="heavy", is_global=is_global, owner=owner, status="completed")
    berlin = Record("x", location="Berlin")
    items = [Item(names[0], IN_SYNC, desired=berlin), Item(names[1], DIFFERENT, {"ipaddress": {
        "source": "10.0.0.2", "monitoring": "10.0.0.9"}}, desired=berlin),
        Item(names[2], MISSING_IN_MONITORING, desired=Record("x", location="Hamburg")),
        Item(names[3], MISSING_IN_SOURCE, actual=Record(names[3]))]
    return Comparison.record(run.pk, "checkmk", "CheckMK https://cmk.example.com/prod", items)


def test_the_dashboard_returns_the_latest_comparison_with_counts_and_rows(api_as, alice):
    comparison(names=("old1", "old2", "old3", "old4"))
    latest = comparison()
    body = api_as(alice).get(DASHBOARD).json()
    assert body["comparison"]["id"] == latest.pk and body["comparison"]["run_id"] == latest.run_id
    assert body["comparison"]["counts"] == {"in_sync": 1, "different": 1, "missing_in_monitoring": 1,
                                            "missing_in_source": 1}
    assert [i["name"] for i in body["items"]] == ["ghost", "r1", "r2", "r3"] and body["count"] == 4
    r2 = next(i for i in body["items"] if i["name"] == "r2")
    assert r2 == {"name": "r2", "device_id": None, "status": "different", "location": "Berlin",
                  "summary": "ipaddress: 10.0.0.9 → 10.0.0.2",
                  "diff": {"ipaddress": {"source": "10.0.0.2", "monitoring": "10.0.0.9"}}}


def test_rows_filter_by_status_by_part_of_the_device_name_and_by_location(api_as, viewer):
    comparison()
    client = api_as(viewer)
    names = lambda **q: [i["name"] for i in client.get(DASHBOARD, **q).json()["items"]]  # noqa: E731
    assert names(status="different,missing_in_source") == ["ghost", "r2"]
    assert names(device="R") == ["r1", "r2", "r3"]
    assert names(location="Hamburg") == ["r3"]
    assert names(location="Berlin", status="in_sync") == ["r1"]


def test_an_unknown_status_is_a_422_naming_the_allowed_values(api_as, alice):
    comparison()
    response = api_as(alice).get(DASHBOARD, status="broken")
    assert response.status_code == 422 and "allowed: in_sync, different" in response.json()["detail"]


def test_the_comparison_of_a_given_run_can_be_asked_for(api_as, alice):
    first = comparison()
    comparison()
    assert api_as(alice).get(DASHBOARD, run_id=first.run_id).json()["comparison"]["id"] == first.pk
    assert api_as(alice).get(DASHBOARD, run_id=999999).status_code == 404


def test_nothing_compared_yet_is_an_empty_answer_not_an_error(api_as, alice):
    assert api_as(alice).get(DASHBOARD).json() == {"comparison": None, "count": 0, "page": 1, "page_size": 100,
                                                   "items": []}


def test_a_private_runs_comparison_is_hidden_from_other_users(api_as, alice, bob):
    public = comparison()
    comparison(owner=alice, is_global=False)
    assert api_as(bob).get(DASHBOARD).json()["comparison"]["id"] == public.pk
    assert api_as(alice).get(DASHBOARD).json()["comparison"]["id"] != public.pk


def test_the_dashboard_needs_jobs_read_and_a_login(api_as, charlie):
    assert api_as(charlie).get(DASHBOARD).status_code == 403
    assert api_as(None).get(DASHBOARD).status_code == 401


def test_prometheus_http_sd_lists_active_devices_filtered_with_an_optional_port(api_as, viewer):
    make_device("r1", host="10.0.0.1", location="Berlin", tags=("edge",))
    make_device("r2", host="10.0.0.2", location="Hamburg")
    off = make_device("r3", host="10.0.0.3", location="Berlin", tags=("edge",))
    Device.objects.filter(pk=off.pk).update(is_active=False)
    body = api_as(viewer).get("/api/monitoring/prometheus-targets", tags="edge", port=9100).json()
    assert body == [{"targets": ["10.0.0.1:9100"], "labels": {
        "netcron_device": "r1", "netcron_platform": "cisco_ios", "netcron_location": "Berlin",
        "netcron_tags": ",edge,"}}]
    assert len(api_as(viewer).get("/api/monitoring/prometheus-targets").json()) == 2


def test_prometheus_http_sd_needs_inventory_read(api_as, charlie):
    assert api_as(charlie).get("/api/monitoring/prometheus-targets").status_code == 403


CSV = "name,host,platform,location,tags\nr1,10.0.0.1,cisco_ios,Berlin,edge;core\nr2,10.0.0.2,arista_eos,,\n"


def raw_post(user, path: str, data, content_type: str):
    _, token = ApiToken.issue(user, name="csv")
    return Client().post(path, data=data, content_type=content_type, headers={"Authorization": f"Bearer {token}"})


def test_csv_upload_imports_devices_and_export_returns_them_without_secrets(api_as, alice):
    response = raw_post(alice, "/api/sources/csv", CSV, "text/csv")
    assert response.status_code == 200
    assert response.json() == {"imported": True, "created": 2, "updated": 0, "errors": []}
    export = api_as(alice).get("/api/sources/csv")
    assert export["Content-Type"].startswith("text/csv")
    lines = export.content.decode().splitlines()
    assert lines[0] == "name,host,port,platform,location,role,tags,credential,serial,description,is_active"
    assert lines[1] == "r1,10.0.0.1,22,cisco_ios,Berlin,,core;edge,,,,true"


def test_csv_upload_with_an_invalid_row_imports_nothing_and_names_the_line(alice):
    bad = CSV + "r3,10.0.0.3,windows,,\n"
    response = raw_post(alice, "/api/sources/csv", bad, "text/csv")
    assert response.status_code == 422
    assert response.json()["errors"] == ["line 4: unknown platform 'windows'"]
    assert Device.objects.count() == 0
    response = raw_post(alice, "/api/sources/csv?skip_invalid=true", bad, "text/csv")
    assert response.json()["created"] == 2 and Device.objects.count() == 2


def test_csv_upload_accepts_a_multipart_file(alice):
    upload = SimpleUploadedFile("devices.csv", CSV.encode(), content_type="text/csv")
    _, token = ApiToken.issue(alice, name="csv")
    response = Client().post("/api/sources/csv", {"file": upload}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["created"] == 2


def test_csv_upload_needs_inventory_write(viewer):
    assert raw_post(viewer, "/api/sources/csv", CSV, "text/csv").status_code == 403
