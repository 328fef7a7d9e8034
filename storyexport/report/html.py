"""The static HTML report: one self-contained page (inline CSS and SVG, no network), rendered with Jinja2.

The template runs in a ``SandboxedEnvironment`` with autoescaping and ``StrictUndefined``: story titles and
captions are user text, and a misspelt variable must fail the build rather than render as an empty string. Only
``http``/``https`` URLs become links (``link``); any other stored URL is shown as inert text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from storyexport import layout
from storyexport.config.model import Manifest
from storyexport.fsutil import write_text_atomic
from storyexport.registry.analytics import NO_FILTERS, Filters
from storyexport.report.data import ReportData, report_data
from storyexport.textsafe import for_html

TEMPLATES = Path(__file__).with_name("templates")


@cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                               finalize=_without_controls)
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


def _without_controls(value: object) -> object:
    """Every value printed into the page loses the control characters HTML forbids (NUL, ESC, ...): escaping
    handles markup, not these. Removing characters from already-escaped markup cannot create markup."""
    if isinstance(value, Markup):
        return Markup(for_html(str(value)))
    return for_html(value) if isinstance(value, str) else value


def render_html(data: ReportData) -> str:
    return environment().get_template("report.html.j2").render(**data)


def write_report(manifest: Manifest, target: Path | None = None, filters: Filters = NO_FILTERS,
                 top: int = 5) -> Path:
    """Write the HTML report (default ``{output_dir}/report.html``) atomically; same inputs, same bytes."""
    target = Path(target) if target is not None else manifest.output_dir / layout.REPORT_HTML
    target = target.resolve()
    data = report_data(manifest, target.parent, filters, top)
    write_text_atomic(target, render_html(data))
    return target
