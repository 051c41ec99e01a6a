"""The UI in a real browser against a real `netcron up --demo`: log in, build a job, schedule it, run it,
compare two config backups of a lab device, manage notification rules and devices."""

from __future__ import annotations

import re

import pytest

from tests.ui.browser import backed_up_twice, launch, log_in, missing_browser, start_server

pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing_browser() is not None, reason=missing_browser() or "")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("browser") / "data")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, server.base)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_logging_in_shows_the_dashboard_with_demo_schedules_and_workers(page):
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#h-next + .table-wrap")).to_contain_text("demo: every minute")
    expect(page.locator("#runs-chart canvas")).to_have_count(1)  # uPlot drew the chart
    expect(page.get_by_text("alive").first).to_be_visible(timeout=20_000)


def test_creating_a_template_shows_parameter_errors_inline_then_saves(page, server):
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name", exact=True).fill("browser sleep")
    page.get_by_label("Job type").select_option("sleep")
    expect(page.get_by_label("Seconds", exact=True)).to_be_visible()  # htmx swapped in the sleep parameters
    page.get_by_label("Seconds", exact=True).fill("-1")
    page.get_by_label("Steps", exact=True).fill("6")
    devices = page.get_by_label("Devices", exact=True)
    chosen = devices.locator("option").all_inner_texts()[:2]  # whatever the demo inventory holds
    devices.select_option(label=chosen)
    page.get_by_role("button", name="Create template").click()
    expect(page.locator("#id_param__seconds_error")).to_contain_text("greater than or equal to 0")
    page.get_by_label("Seconds", exact=True).fill("3")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name="browser sleep")).to_be_visible()
    expect(page.locator("dl.facts .tag")).to_have_text(chosen)


def test_the_schedule_editor_previews_fires_as_you_type_and_saves(page, server):
    page.goto(server.base + "/schedules/new")
    page.get_by_label("Name", exact=True).fill("browser nightly")
    page.get_by_label("Template").select_option(label="demo: touch every device")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    cron = page.get_by_label("Cron expression", exact=True)
    cron.fill("30 2 * * *")
    preview = page.locator("#preview")
    expect(preview.locator("tbody tr:not(.dst)")).to_have_count(10)
    expect(preview).to_contain_text("02:30")
    cron.fill("15 4 * * 1")
    expect(preview).to_contain_text("04:15")
    expect(preview).not_to_contain_text("02:30")
    cron.fill("15 4 * *")
    expect(preview).to_contain_text("No preview yet")
    cron.fill("*/10 * * * *")
    page.get_by_label("Interval").check()
    expect(page.get_by_label("Every", exact=True)).to_be_visible()  # fields follow the kind
    expect(cron).to_be_hidden()
    page.locator("input[name=kind][value=cron]").check()
    page.get_by_role("button", name="Create schedule").click()
    expect(page.get_by_role("heading", name="browser nightly")).to_be_visible()
    expect(page.locator("table.preview tbody tr:not(.dst)")).to_have_count(10)


def _template_page(page, name: str) -> None:
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name=name, exact=True).click()


def test_running_a_template_moves_the_progress_bar_to_completed_and_stops_polling(page, server):
    server.api("POST", "/api/job-templates", {"name": "browser progress", "job_type": "sleep",
                                              "params": {"seconds": 3, "steps": 6}})
    _template_page(page, "browser progress")
    page.get_by_role("button", name="▶ Run now").click()
    expect(page.get_by_role("heading", name=re.compile(r"Run #\d+ · browser progress"))).to_be_visible()
    bar = page.locator("#run-summary progress")
    page.wait_for_function("() => { const p = document.querySelector('#run-summary progress');"
                           " return p && p.value > 0 && p.value < 100; }", timeout=20_000)
    expect(page.locator("#run-status")).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(bar).to_have_attribute("value", "100")
    expect(page.locator("#log-lines li").first).to_be_visible()
    expect(page.locator("#run-live")).to_have_attribute("data-finished", "completed")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "/live" in request.url else None)
    page.wait_for_timeout(2500)
    assert requests == [], "polling continued after the run finished"


def test_cancelling_the_slow_demo_job_while_it_runs(page):
    _template_page(page, "demo: slow job (20 s)")
    page.get_by_role("button", name="▶ Run now").click()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "running", timeout=20_000)
    page.get_by_role("button", name="■ Cancel run").click()
    expect(page.get_by_text("Cancel requested for run")).to_be_visible()
    expect(page.locator("#run-status")).to_have_attribute("data-status", "cancelled", timeout=15_000)
    expect(page.locator("#run-summary")).not_to_contain_text("Cancel run")


def test_the_full_log_of_a_run_can_be_read(page, server):
    run = server.api("POST", f"/api/job-templates/{_demo_template(server)}/run", {})
    page.goto(f"{server.base}/runs/{run['run_id']}/")
    expect(page.locator("#run-status")).to_have_attribute("data-status", "completed", timeout=20_000)
    page.get_by_role("link", name="full log").click()
    expect(page.get_by_role("heading", name=f"Log of run #{run['run_id']}")).to_be_visible()
    expect(page.locator("#log-lines li").first).to_be_visible()


def _demo_template(server) -> int:
    items = server.api("GET", "/api/job-templates?q=touch")["items"]
    return next(t["id"] for t in items if t["name"] == "demo: touch every device")


@pytest.mark.parametrize("path", ["/", "/templates/", "/templates/new", "/schedules/", "/schedules/new", "/runs/",
                                  "/devices/", "/account/tokens/", "/devices/new", "/credentials/", "/credentials/new",
                                  "/notifications/", "/notifications/new", "/compare/"])
def test_pages_fit_a_phone_screen_without_scrolling_sideways(browser, server, path):
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    log_in(page, server.base)
    page.goto(server.base + path)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 375, f"{path} is {width} px wide"


def test_a_run_page_fits_a_phone_screen(browser, server):
    run = server.api("GET", "/api/job-runs?page_size=1")["items"][0]
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    log_in(page, server.base)
    page.goto(f"{server.base}/runs/{run['id']}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 375


def test_forms_can_be_used_with_the_keyboard_alone(page, server):
    page.goto(server.base + "/account/tokens/")
    page.get_by_label("Name").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("keyboard token")
    page.keyboard.press("Enter")
    expect(page.locator("#new-token")).to_contain_text("nc_")


@pytest.fixture(scope="module")
def lab_device(server, tmp_path_factory):
    """A lab router of our own, backed up twice by the server's worker with a description changed in between."""
    yield from backed_up_twice(server, tmp_path_factory.mktemp("browser-lab"))


def test_opening_a_device_diff_of_two_chosen_versions_marks_the_changed_line(page, server, lab_device):
    page.goto(server.base + "/devices/")
    page.get_by_role("link", name=lab_device["name"], exact=True).click()
    expect(page.get_by_role("heading", name="Config versions")).to_be_visible()
    newest, oldest = lab_device["commits"][-1][:10], lab_device["commits"][0][:10]
    page.get_by_label(f"Compare from {oldest}").check()
    page.get_by_label(f"Compare to {newest}").check()
    page.get_by_label("side by side").check()
    page.get_by_role("button", name="Compare selected versions").click()
    expect(page.get_by_role("heading", name=f"Config diff of {lab_device['name']}")).to_be_visible()
    expect(page.locator("td.d-added")).to_have_count(1)
    expect(page.locator("td.d-added")).to_contain_text(lab_device["new_line"])
    expect(page.locator("td.d-added mark")).to_have_text(re.compile(lab_device["marker"]))
    expect(page.locator("td.d-removed")).to_contain_text(lab_device["old_line"])
    page.get_by_role("link", name="Unified").click()
    expect(page.locator("table.diff.unified td.d-added")).to_contain_text(lab_device["new_line"])


def test_a_device_diff_fits_a_phone_screen(browser, server, lab_device):
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    log_in(page, server.base)
    page.goto(f"{server.base}/devices/{lab_device['id']}/configs/diff")
    expect(page.locator("td.d-added")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 375


def test_creating_a_notification_rule_shows_errors_inline_then_lists_it(page, server):
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Name", exact=True).fill("browser: tell the noc")
    page.get_by_label("Template").select_option(label="demo: touch every device")
    page.get_by_label("Run completed without failures").check()
    page.get_by_label("Send to").fill("noc@example.com, nope")
    page.get_by_role("button", name="Create rule").click()
    expect(page.locator("#id_target_error")).to_contain_text("is not an email address")
    page.get_by_label("Send to").fill("noc@example.com")
    page.get_by_role("button", name="Create rule").click()
    expect(page.get_by_text("Notification rule “browser: tell the noc” created.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("browser: tell the noc"))
    expect(row).to_contain_text("success")
    row.get_by_role("button", name="Disable browser: tell the noc").click()
    expect(page.get_by_role("row", name=re.compile("browser: tell the noc"))).to_contain_text("disabled")


def test_editing_a_device_through_the_browser(page, server):
    device = server.api("POST", "/api/devices", {"name": "browser-edit", "host": "192.0.2.200",
                                                 "platform": "cisco_ios"})
    page.goto(f"{server.base}/devices/{device['id']}/")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Port").fill("0")
    page.get_by_role("button", name="Save device").click()
    expect(page.locator("#id_port_error")).to_contain_text("greater than or equal to 1")
    page.get_by_label("Host").fill("192.0.2.201")
    page.get_by_label("Port").fill("830")
    page.get_by_label("Platform").select_option("juniper_junos")
    page.get_by_label("Role").fill("edge")
    page.get_by_role("button", name="Save device").click()
    expect(page.get_by_role("heading", name="browser-edit")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("192.0.2.201:830")
    assert server.api("GET", f"/api/devices/{device['id']}")["platform"] == "juniper_junos"
