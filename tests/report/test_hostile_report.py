"""Hostile registry content in the report: only http(s) URLs become links, control characters never reach the
page (a registry written before these checks existed, or edited by hand, may hold anything)."""

from __future__ import annotations

import re
import sqlite3

import pytest
from markupsafe import escape

from storyexport.registry import registry_path
from storyexport.report import write_report
from storyexport.textsafe import is_web_url

HOSTILE_URLS = ("javascript:alert(1)", " javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
                "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/x")


def store_url(manifest, story: str, platform: str, url: str) -> None:
    """Write straight into the store, bypassing the API's check, as an old or hand-edited registry would."""
    with sqlite3.connect(registry_path(manifest.output_dir)) as conn:
        conn.execute("UPDATE platforms SET url = ? WHERE title_id = ? AND platform = ?", (url, story, platform))


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_stored_non_web_url_is_shown_as_inert_text(project, url):
    store_url(project, "full", "youtube", url)
    html = write_report(project).read_text(encoding="utf-8")
    assert [h for h in hrefs(html) if h != "data:,"] == []  # the favicon placeholder is the only href left
    card = html[html.index('id="story-full"'):html.index('id="story-partial"')]
    assert "not an http(s) address, so not a link" in card
    assert str(escape(url)) in card and "<script>" not in card


def test_web_urls_stay_links(project):
    html = write_report(project).read_text(encoding="utf-8")
    assert '<a href="https://youtube.com/shorts/abc" rel="noopener noreferrer">' in html


def test_control_characters_never_reach_the_page(project):
    store_url(project, "full", "youtube", "https://youtube.com/shorts/abc")
    with sqlite3.connect(registry_path(project.output_dir)) as conn:
        conn.execute("UPDATE videos SET title = ? WHERE title_id = 'partial'", ("Bell\x07 NUL\x00 ESC\x1b[2J C1\x9b",))
    html = write_report(project).read_text(encoding="utf-8")
    assert re.findall(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", html) == []


def test_web_url_predicate():
    assert is_web_url("https://www.tiktok.com/@a/video/1") and is_web_url("HTTP://example.com")
    for url in (*HOSTILE_URLS, "https:/x", "http://", "https://a b", "https://a\x00b", "", None, 7):
        assert not is_web_url(url), url
