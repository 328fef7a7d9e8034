"""The HTML report: content, escaping, relative image paths, tolerance of missing files, determinism."""

from __future__ import annotations

import re
from pathlib import Path

from storyexport import layout
from storyexport.registry.analytics import Filters
from storyexport.report import write_report
from storyexport.report.html import environment


def image_sources(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', html)


def test_report_shows_every_story_with_its_data(project):
    path = write_report(project)
    assert path == project.output_dir / layout.REPORT_HTML
    html = path.read_text(encoding="utf-8")
    assert html.count('<article class="card"') == 3
    full = html[html.index('id="story-full"'):html.index('id="story-partial"')]
    assert "★ best frame" in full and "at 2.00 s" in full
    assert re.search(r'<figure class="best">\s*<img src="women/18-23/thumbnails/full_option3.jpg"', full)
    assert full.count('<figure class="best">') == 1
    assert "sharpness" in full and "<dd>30</dd>" in full
    assert "full_grid.jpg" in full
    # lengths in the platform's unit (characters = code points by default; the ZWJ emoji is 4 of them, 5 UTF-16
    # units), against the platform's limit, flagged when over
    assert '<span class="count over">title 57/20 characters</span>' in full
    assert '<span class="count">title 57/100 characters</span>' in full
    assert '<span class="count">title 58/100 utf16 units</span>' in full
    assert full.count('<div class="headline">combined 0.6</div>') == 2  # best frame and option 3
    assert "title too long" in full and "checks failed" in full and "checks ok" in full
    assert "https://youtube.com/shorts/abc" in full
    assert "<polyline points=" in full and "<circle" in full
    assert "11,500</b> views" in full
    partial = html[html.index('id="story-partial"'):html.index('id="story-nothing"')]
    assert partial.count("platform metadata not built yet") == 2
    assert partial.count('<div class="placeholder">not built yet</div>') == 3
    nothing = html[html.index('id="story-nothing"'):]
    assert "video not built yet" in nothing and "thumbnail not built yet" in nothing
    assert "not registered" in nothing
    assert "caption too long" in html and "25.0%" in html  # one of four build tasks failed


def test_user_text_is_escaped(project):
    html = write_report(project).read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "Night &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34; 🏃‍♀️" in html


def test_images_are_relative_to_the_report_and_exist(project, tmp_path):
    for target in (None, tmp_path / "elsewhere" / "deep" / "r.html"):
        path = write_report(project, target)
        sources = image_sources(path.read_text(encoding="utf-8"))
        assert len(sources) == 1 + 3 + 1 + 1  # full: best, 3 options, grid; partial: best
        for src in sources:
            assert not src.startswith(("/", "file:", "http")), src
            assert (path.parent / src).is_file(), src


def test_same_inputs_same_bytes_and_no_network(project, tmp_path):
    first = write_report(project).read_bytes()
    second = write_report(project).read_bytes()
    assert first == second
    assert re.search(rb"(src|href)=\"(https?:)?//", first.replace(b'href="https://youtube.com/shorts/abc"', b""))\
        is None


def test_filters_limit_cards_and_platforms(project, tmp_path):
    html = write_report(project, tmp_path / "r.html", Filters(segment="women", platform="youtube")).read_text()
    assert 'id="story-full"' in html and 'id="story-nothing"' in html and 'id="story-partial"' not in html
    assert '"platform-name">tiktok' not in html and '"platform-name">youtube' in html
    assert "segment=women" in html and "platform=youtube" in html


def test_missing_registry_still_reports(project):
    for name in (layout.REGISTRY_DB, layout.REGISTRY_JSON):
        Path(project.output_dir / name).unlink()
    html = write_report(project).read_text(encoding="utf-8")
    assert html.count('<article class="card"') == 3 and "no build events recorded yet" in html
    assert not (project.output_dir / layout.REGISTRY_DB).exists()


def test_template_environment_is_sandboxed_strict_and_autoescaping():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = environment()
    assert isinstance(env, SandboxedEnvironment) and env.undefined is StrictUndefined
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
