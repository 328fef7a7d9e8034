"""``storyexport plan``: what a build would rebuild, and why, without running anything."""

from __future__ import annotations

import argparse

from storyexport.build.plan import format_plan_json, format_plan_text, make_plan
from storyexport.build.runner import working_directory
from storyexport.cli.common import add_manifest_option, build_namespace_or_report, fail


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="dry run: list what would be rebuilt and why",
        description="List every task a build would run, with the file or configuration key that made it stale "
        "(propagated downstream). Runs nothing.",
    )
    add_manifest_option(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    manifest = args.manifest.resolve()
    if not manifest.is_file():
        return fail(f"manifest not found: {args.manifest}", 2)
    with working_directory(manifest.parent):
        namespace = build_namespace_or_report(manifest, "quiet")
        if namespace is None:
            return 1
        entries, considered = make_plan(namespace)
    print(format_plan_json(entries, considered) if args.format == "json" else format_plan_text(entries, considered))
    return 0
