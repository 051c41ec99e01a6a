"""The Content-Security-Policy fits the UI: Chromium reports no violation on the main pages (htmx, uPlot)."""

from __future__ import annotations

import pytest

from tests.ui.browser import launch, log_in, missing_browser, start_server

pytestmark = [pytest.mark.slow, pytest.mark.skipif(missing_browser() is not None, reason=missing_browser() or "")]

PAGES = ["/", "/templates/", "/templates/new", "/schedules/", "/schedules/new", "/runs/", "/devices/",
         "/account/tokens/", "/settings/", "/api/docs"]


def test_the_main_pages_load_without_a_single_csp_violation(tmp_path):
    from playwright.sync_api import sync_playwright

    server = start_server(tmp_path / "data")
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.on("pageerror", lambda exc: console.append(str(exc)))
            log_in(page, server.base)
            for path in PAGES:
                console.append(f"--- {path}")
                response = page.goto(server.base + path)
                assert "script-src 'self'" in response.headers["content-security-policy"], path
                page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        server.stop()
    violations = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    assert violations == [], "\n".join(console)
