"""``storyexport report``: export statistics and performance analytics as text, JSON or a static HTML page."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from storyexport.cli.common import add_manifest_option, fail, os_error_line, say
from storyexport.fsutil import dumps_json, write_text_atomic
from storyexport.registry import RegistryError
from storyexport.registry.analytics import Filters
from storyexport.textsafe import for_terminal, json_for_terminal

if TYPE_CHECKING:
    from storyexport.config import Manifest


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write the export and performance report",
        description="Report export statistics (from build events) and performance analytics (from the registry). "
        "html (default) writes a self-contained page, {output_dir}/report.html unless -o is given; "
        "text and json print to stdout unless -o is given.")
    add_manifest_option(parser)
    parser.add_argument("--format", choices=("text", "json", "html"), default="html", help="output format")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT", help="write the report here")
    parser.add_argument("--top", type=_positive, default=5, metavar="N", help="how many top videos (default 5)")
    parser.add_argument("--segment", help="only this audience segment")
    parser.add_argument("--age-group", dest="age_group", help="only this age group")
    parser.add_argument("--platform", help="only this platform's numbers and metadata")
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1: {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    from storyexport.config import ConfigError, load_manifest

    if not args.manifest.is_file():
        return fail(f"manifest not found: {args.manifest}")
    filters = Filters(args.segment, args.age_group, args.platform)
    try:
        manifest = load_manifest(args.manifest, check_sources=False)
        if args.format == "html":
            from storyexport.report.html import write_report

            say(write_report(manifest, args.output, filters, args.top))
            return 0
        return _write_data(manifest, args, filters)
    except ConfigError as exc:
        return fail(exc.one_line())
    except OSError as exc:
        return fail(os_error_line(exc))
    except (RegistryError, sqlite3.Error) as exc:
        return fail(str(exc))


def _write_data(manifest: Manifest, args: argparse.Namespace, filters: Filters) -> int:
    from storyexport.report.data import report_data
    from storyexport.report.text import format_text

    base = (args.output.resolve().parent if args.output else manifest.output_dir)
    data = report_data(manifest, base, filters, args.top)
    text = json_for_terminal(dumps_json(data)) if args.format == "json" else for_terminal(format_text(data))
    if args.output:
        write_text_atomic(args.output, text)
        say(args.output)
    else:
        sys.stdout.write(text)
    return 0



