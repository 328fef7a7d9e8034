"""``storyexport validate``: check a manifest and its platform rules, reporting every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from storyexport.cli.common import add_manifest_option, fail, say
from storyexport.config import check_manifest
from storyexport.config.problems import format_json, format_text


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check the manifest and platform rules",
        description="Check the manifest and the platform rules it uses. Prints every problem as "
        "FILE:LINE:COL: message (at $.path); exits 0 when valid, 1 when not, 2 on usage errors.",
    )
    add_manifest_option(parser)
    parser.add_argument("-p", "--platforms", type=Path, default=None, metavar="PLATFORMS_DIR",
                        help="platform rules folder (default: platforms/ beside the manifest, else built-in)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.manifest.is_file():
        return fail(f"manifest not found: {args.manifest}", 2)
    if args.platforms is not None and not args.platforms.is_dir():
        return fail(f"platform rules folder not found: {args.platforms}", 2)
    problems = check_manifest(args.manifest, args.platforms).problems
    if args.format == "json":
        print(format_json(problems))
    elif problems:
        say(format_text(problems))
    else:
        say(f"{args.manifest}: valid")
    return 1 if problems else 0
