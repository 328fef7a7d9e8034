"""Options and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from storyexport.build.doit_types import DodoNamespace
from storyexport.config import ConfigError, Manifest, load_manifest
from storyexport.config.problems import print_problems
from storyexport.textsafe import for_terminal

DEFAULT_MANIFEST = "exports.yaml"


def add_manifest_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--manifest", type=Path, default=Path(DEFAULT_MANIFEST), metavar="MANIFEST",
                        help=f"the manifest to read (default: {DEFAULT_MANIFEST} in the current directory)")


def say(text: object) -> None:
    """Print a line for people on stdout; control characters in it (from a title, a file name) are shown as
    escapes. With ``fail`` (stderr), the one place CLI text meets the terminal."""
    print(for_terminal(str(text)))


def os_error_line(exc: OSError) -> str:
    """``PATH: reason`` for a failed file operation (the rename's target when there is one)."""
    return f"{exc.filename2 or exc.filename or ''}: {exc.strerror or exc}"


def fail(message: str, code: int = 1) -> int:
    """One line on stderr; control characters in the message (a file name, a value) are shown as escapes."""
    print(f"storyexport: {for_terminal(message, keep_newlines=False)}", file=sys.stderr)
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
        print_problems(exc.problems)
        return None


def in_project(manifest_arg: Path, progress: str, use: Callable[[DodoNamespace], int], *,
               plain_run: bool = False) -> int:
    """Run ``use(namespace)`` in the manifest's folder (doit's paths are relative to it); report bad input.

    ``plain_run``: ``use`` runs every task, so the up-to-date stamp may answer instead (returns 0) or be written."""
    from storyexport.build import stamp
    from storyexport.build.entry import LoadFailed, stamped_or_loaded
    from storyexport.build.runner import working_directory

    manifest = manifest_arg.resolve()
    if not manifest.is_file():
        return fail(f"manifest not found: {manifest_arg}", 2)
    with working_directory(manifest.parent):
        scope = stamp.StampScope.create(manifest)
        try:
            namespace = stamped_or_loaded(manifest, scope, plain_run=plain_run, progress=progress)
        except LoadFailed as exc:
            return 1 if exc.config else 2
        return 0 if namespace is None else use(namespace)
