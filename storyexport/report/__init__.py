"""Reports over the registry and the output files: text, JSON and a static HTML gallery.

The build's ``report`` task calls ``write_report(manifest)``.
"""

from storyexport.report.html import render_html, write_report

__all__ = ["render_html", "write_report"]
