"""Device pages: reachability list and a detail page with status and recent job results."""

from __future__ import annotations

import pytest
from django.utils import timezone

from netcron.inventory.models import DeviceRuntimeStatus, ReachabilityResult
from tests.ui.conftest import make_device, make_run, make_template, queries_for

pytestmark = pytest.mark.django_db


def test_the_list_shows_reachability_as_text_and_the_last_backup(alice, client_for):
    make_device("core1", state="up", tags=["core"], location="Berlin", role="core")
    down = make_device("edge1", state="down")
    DeviceRuntimeStatus.objects.filter(device=down).update(last_backup_at=timezone.now())
    make_device("new1")
    body = client_for(alice).get("/devices/").content.decode()
    assert "▲</span> up" in body and "▼</span> down" in body and "?</span> unknown" in body
    assert "core1" in body and "Berlin" in body and '<span class="tag">core</span>' in body and "1.5 ms" in body
    assert body.count("<time datetime=") >= 3  # checks and the backup


@pytest.mark.parametrize(("query", "names"), [
    ("state=up", {"core1"}), ("state=unknown", {"new1"}), ("platform=arista_eos", {"edge1"}),
    ("location=Berlin", {"core1"}), ("tag=core", {"core1"}), ("q=edge", {"edge1"}),
])
def test_the_list_filters(alice, client_for, query, names):
    make_device("core1", state="up", tags=["core"], location="Berlin")
    make_device("edge1", platform="arista_eos", state="down")
    make_device("new1")
    body = client_for(alice).get(f"/devices/?{query}").content.decode()
    assert {n for n in ("core1", "edge1", "new1") if f">{n}</a>" in body} == names


def test_the_list_runs_the_same_number_of_queries_for_5_and_50_devices(alice, client_for):
    client = client_for(alice)
    for i in range(5):
        make_device(f"d{i}", state="up", tags=["a", "b"], location="Berlin")
    few = queries_for(client, "/devices/")
    for i in range(5, 50):
        make_device(f"d{i}", state="down" if i % 2 else None, tags=["a"], location="Paris")
    assert queries_for(client, "/devices/") == few


def test_the_detail_shows_status_checks_and_recent_results_of_visible_runs(alice, charlie, client_for):
    device = make_device("core1", state="degraded")
    ReachabilityResult.objects.create(device=device, check_type="ping", state="degraded", latency_avg_ms=12.5,
                                      packet_loss=20)
    shared = make_run(make_template("shared", owner=alice), "completed", results={device: "ok"})
    private = make_run(make_template("mine", owner=alice, is_global=False), "failed", results={device: "failed"})
    body = client_for(charlie).get(f"/devices/{device.pk}/").content.decode()
    assert "◆</span> degraded" in body and "12.5 ms" in body and "20 %" in body
    assert f"#{shared.pk} shared" in body and f"#{private.pk} mine" not in body
    assert f"#{private.pk} mine" in client_for(alice).get(f"/devices/{device.pk}/").content.decode()


def test_the_detail_shows_no_job_results_without_jobs_read(groups, client_for):
    from django.contrib.auth.models import Permission, User

    inventory_only = User.objects.create_user("ivy")
    inventory_only.user_permissions.add(Permission.objects.get(content_type__app_label="inventory", codename="read"))
    device = make_device("core1")
    make_run(make_template("shared"), "completed", results={device: "ok"})
    body = client_for(inventory_only).get(f"/devices/{device.pk}/").content.decode()
    assert "Recent job results" not in body and "Never checked" in body


def test_a_missing_device_is_404(alice, client_for):
    assert client_for(alice).get("/devices/999/").status_code == 404


def test_the_detail_page_has_an_extension_point_for_more_panels(alice, client_for, monkeypatch, tmp_path, settings):
    from netcron.ui.views import devices

    device = make_device("core1")
    (tmp_path / "panel.html").write_text("<section>configs of {{ panel.name }}</section>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    monkeypatch.setattr(devices, "DEVICE_PANELS", [("panel.html", lambda request, d: {"name": d.name}),
                                                   ("panel.html", lambda request, d: None)])
    body = client_for(alice).get(f"/devices/{device.pk}/").content.decode()
    assert body.count("configs of core1") == 1
