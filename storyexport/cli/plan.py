"""``storyexport plan``: what a build would rebuild, and why, without running anything."""

from __future__ import annotations

import argparse

from storyexport.build.doit_types import DodoNamespace
from storyexport.build.plan import format_plan_json, format_plan_text, make_plan
from storyexport.cli.common import add_manifest_option, in_project, say


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
    def plan(namespace: DodoNamespace) -> int:
        entries, considered = make_plan(namespace)
        text = format_plan_json(entries, considered) if args.format == "json" else format_plan_text(entries, considered)
        say(text)
        return 0

    return in_project(args.manifest, "quiet", plan)
