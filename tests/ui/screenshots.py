"""Take the README screenshots of the main pages: `python -m tests.ui.screenshots [output dir]`.

Starts `netcron up --demo` in a temporary data dir, runs a few jobs so the pages have something to
show, and saves PNGs (light, one dark, one phone) to docs/screenshots/ by default.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.ui.browser import backed_up_twice, launch, log_in, missing_browser, start_server, wait_finished

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def seed(server) -> dict:
    """A finished run with a failed device, a few more runs, reachability states, and a slow run going."""
    names = [d["name"] for d in server.api("GET", "/api/devices?page_size=6")["items"]]
    failing = server.api("POST", "/api/job-templates", {
        "name": "core: show version", "job_type": "noop", "description": "Collect the version of some devices",
        "targets": {"devices": names[:4]}, "params": {"message": "show version", "fail_devices": names[3:4]}})
    server.api("POST", "/api/notification-rules", {
        "name": "core failures to the NOC", "template_id": failing["id"], "events": ["failure"], "channel": "email",
        "target": "noc@example.com"})
    touch = next(t for t in server.api("GET", "/api/job-templates")["items"] if t["name"] == "demo: touch every device")
    for _ in range(3):
        server.api("POST", f"/api/job-templates/{touch['id']}/run", {})
    failed = server.api("POST", f"/api/job-templates/{failing['id']}/run", {})
    server.api("POST", "/api/job-schedules", {
        "name": "nightly core check", "template_id": failing["id"], "kind": "cron", "cron_expr": "30 2 * * *",
        "timezone": "Europe/Berlin"})
    _set_reachability(server.data_dir)
    return {"failed_run": failed["run_id"], "compare_run": _compare(server)}


def _compare(server) -> int:
    """Write the Prometheus SD file with sync_devices, then drift it by hand and compare: every status shows."""
    monitor = {"prometheus": {"file": "demo.json"}}
    sync = server.api("POST", "/api/job-templates", {"name": "prometheus: sync lab devices", "job_type": "sync_devices",
                                                     "params": monitor, "targets": {"tags": ["lab"]}})
    wait_finished(server, server.api("POST", f"/api/job-templates/{sync['id']}/run", {})["run_id"])
    path = server.data_dir / "prometheus" / "demo.json"
    groups = json.loads(path.read_text())[2:]  # two devices dropped from monitoring
    groups[0]["targets"] = ["10.99.0.1"]  # one moved
    groups[1]["labels"]["netcron_role"] = "spare"  # one relabelled
    groups.append({"targets": ["10.99.0.2"], "labels": {"netcron_device": "old-router-9"}})  # one retired
    path.write_text(json.dumps(groups))
    compare = server.api("POST", "/api/job-templates", {"name": "prometheus: compare lab devices",
                                                        "job_type": "compare_devices", "params": monitor,
                                                        "targets": {"tags": ["lab"]}})
    run = server.api("POST", f"/api/job-templates/{compare['id']}/run", {})["run_id"]
    wait_finished(server, run)
    return run


def _set_reachability(data_dir: Path) -> None:
    # No job type checks reachability yet; write states directly so the pages show each of them.
    os.environ["NETCRON_DATA_DIR"] = str(data_dir)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcron.settings")
    django.setup()
    from django.utils import timezone

    from netcron.inventory.models import Device, DeviceRuntimeStatus

    states = [("up", 1.2), ("up", 0.9), ("degraded", 48.0), ("down", None), ("up", 7.4)]
    for device, (state, latency) in zip(Device.objects.order_by("name"), states, strict=False):
        DeviceRuntimeStatus.objects.update_or_create(device=device, defaults={
            "state": state, "since": timezone.now(), "last_check_at": timezone.now(), "last_latency_ms": latency,
            "last_error": "timeout after 3 probes" if state == "down" else ""})


def main(out: Path = OUT) -> None:
    if reason := missing_browser():
        raise SystemExit(f"cannot take screenshots: {reason}")
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data")
        try:
            seeded = seed(server)
            wait_finished(server, seeded["failed_run"])
            lab = backed_up_twice(server, Path(tmp) / "lab")
            seeded["lab_device"] = next(lab)
            with sync_playwright() as playwright:
                browser = launch(playwright)
                shoot(browser, server, seeded, out)
                browser.close()
            lab.close()
        except Exception:
            print(server.log.read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            server.stop()
    print(f"screenshots written to {out}")


def shoot(browser, server, seeded: dict, out: Path) -> None:
    def page_for(scheme: str = "light", width: int = 1280, height: int = 860):
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                      timezone_id="Europe/Berlin", locale="en-GB", is_mobile=width < 500)
        page = context.new_page()
        log_in(page, server.base)
        return page

    page = page_for()
    time.sleep(2)  # let the demo schedule and the runs above show up
    for name, path in [("dashboard", "/"), ("templates", "/templates/"), ("runs", "/runs/"),
                       ("devices", "/devices/"), ("run-detail-failed", f"/runs/{seeded['failed_run']}/")]:
        page.goto(server.base + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"{name}.png", full_page=True)

    page.goto(server.base + "/templates/new?job_type=noop")
    page.screenshot(path=out / "template-editor.png", full_page=True)

    device = seeded["lab_device"]
    for name, path in [("device-detail", f"/devices/{device['id']}/"),
                       ("device-diff", f"/devices/{device['id']}/configs/diff"),
                       ("compare-devices", "/compare/"), ("notifications", "/notifications/"),
                       ("credential-editor", "/credentials/new")]:
        page.goto(server.base + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out / f"{name}.png", full_page=True)

    page.goto(server.base + "/schedules/new")
    page.get_by_label("Name", exact=True).fill("nightly backup")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Cron expression", exact=True).fill("30 2 * * *")
    page.locator("#preview tbody tr").first.wait_for()
    page.screenshot(path=out / "schedule-editor.png", full_page=True)

    slow = next(t for t in server.api("GET", "/api/job-templates")["items"] if t["name"].startswith("demo: slow"))
    run = server.api("POST", f"/api/job-templates/{slow['id']}/run", {})
    page.goto(f"{server.base}/runs/{run['run_id']}/")
    page.wait_for_function("() => { const p = document.querySelector('#run-summary progress');"
                           " return p && p.value >= 25; }", timeout=30_000)
    page.screenshot(path=out / "run-detail-running.png", full_page=True)

    dark = page_for("dark")
    dark.goto(server.base + "/")
    dark.wait_for_load_state("networkidle")
    dark.screenshot(path=out / "dashboard-dark.png", full_page=True)
    dark.goto(f"{server.base}/runs/{run['run_id']}/")
    dark.screenshot(path=out / "run-detail-dark.png", full_page=True)
    dark.goto(f"{server.base}/devices/{device['id']}/configs/diff")
    dark.screenshot(path=out / "device-diff-dark.png", full_page=True)

    phone = page_for(width=375, height=800)
    phone.goto(f"{server.base}/runs/{run['run_id']}/")
    phone.screenshot(path=out / "run-detail-phone.png", full_page=True)
    phone.goto(f"{server.base}/devices/{device['id']}/configs/diff?view=unified")
    phone.screenshot(path=out / "device-diff-phone.png", full_page=True)
    server.api("POST", f"/api/job-runs/{run['run_id']}/cancel")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
