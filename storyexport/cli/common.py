"""Options and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from storyexport.config import ConfigError, Manifest, load_manifest

DEFAULT_MANIFEST = "exports.yaml"


def add_manifest_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--manifest", type=Path, default=Path(DEFAULT_MANIFEST), metavar="MANIFEST",
                        help=f"the manifest to read (default: {DEFAULT_MANIFEST} in the current directory)")


def fail(message: str, code: int = 1) -> int:
    print(f"storyexport: {message}", file=sys.stderr)
    return code


def load_manifest_or_report(path: Path, platforms_dir: Path | None = None, check_sources: bool = True,
                            ) -> Manifest | None:
    """Load the manifest; on bad input print one line per problem to stderr and return None."""
    if not path.is_file():
        fail(f"manifest not found: {path}")
        return None
    try:
        return load_manifest(path, platforms_dir, check_sources)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return None


def build_namespace_or_report(manifest: Path, progress: str) -> dict[str, Any] | None:
    """The doit namespace for a manifest (call inside its folder); on bad input print the problems, return None."""
    from storyexport.build.loader import build_namespace

    try:
        return build_namespace(manifest, progress=progress)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return None
