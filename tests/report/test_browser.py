"""Open the generated report in real headless Chromium from file://: images load, the console stays clean.

Needs /usr/bin/chromium (the Debian package; CI installs it). Without it the test is skipped, unless
STORYEXPORT_REQUIRE_BROWSER=1 says a browser must be there, in which case it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storyexport.report import write_report

pytestmark = pytest.mark.slow  # a real Chromium

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def require_browser() -> None:
    if CHROMIUM.is_file():
        return
    message = f"{CHROMIUM} not found: install the Debian package 'chromium' to run the browser test"
    if os.environ.get("STORYEXPORT_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (STORYEXPORT_REQUIRE_BROWSER=1)")
    pytest.skip(message)


def test_report_renders_in_chromium(project, tmp_path):
    require_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    report = write_report(project)
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
                    if msg.type in ("error", "warning") else None)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
            page.goto(report.as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({src: e.getAttribute('src'), ok: e.complete && e.naturalWidth > 0}))")
            cards = page.locator("article.card").count()
            svg_points = page.locator("svg circle").count()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert len(images) == 6
    assert [i["src"] for i in images if not i["ok"]] == []
    assert problems == []
    assert cards == 3 and svg_points == 4 + 1  # full: three youtube and one tiktok update; partial: one
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_missing_browser_skips_or_fails_when_required(monkeypatch, tmp_path):
    import sys

    module = sys.modules[__name__]
    monkeypatch.setattr(module, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("STORYEXPORT_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install the Debian package 'chromium'"):
        require_browser()
    monkeypatch.setenv("STORYEXPORT_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="STORYEXPORT_REQUIRE_BROWSER=1"):
        require_browser()


def test_hostile_url_is_no_link_in_chromium(project):
    """A ``javascript:`` URL in the registry: the page has no link to it and clicking its text runs nothing."""
    require_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    import sqlite3

    from storyexport.registry import registry_path

    with sqlite3.connect(registry_path(project.output_dir)) as conn:
        conn.execute("UPDATE platforms SET url = 'javascript:alert(document.domain)' WHERE platform = 'youtube'")
    report = write_report(project)
    dialogs: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(report.as_uri(), wait_until="load")
            protocols = page.eval_on_selector_all("a[href]", "els => els.map(a => a.protocol)")
            inert = page.get_by_text("javascript:alert(document.domain)")
            tags = [inert.nth(n).evaluate("el => el.tagName") for n in range(inert.count())]
            for n in range(inert.count()):
                inert.nth(n).click()
            page.wait_for_timeout(200)
        finally:
            browser.close()
    assert set(protocols) <= {"http:", "https:"}
    assert tags == ["SPAN", "SPAN"] and dialogs == []
