"""The ``storyexport`` command: a thin dispatcher over one module per sub-command.

Each module in ``COMMANDS`` exposes ``add_parser(subparsers)``, which registers its parser and sets
``func(args) -> int`` as the default. Exit codes: 0 success, 1 failure (invalid config, failed tasks), 2 usage.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from storyexport import __version__

COMMANDS = ("validate", "build", "plan", "init", "samples", "registry", "report")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or with ``only`` (a command name) just that command's: each command module imports what
    it needs (doit, OpenCV, SQLite), and ``validate`` in an editor hook should not pay for ``registry``'s."""
    parser = argparse.ArgumentParser(
        prog="storyexport",
        description="Export vertical story videos for YouTube Shorts, TikTok and Instagram Reels from a manifest.",
    )
    parser.add_argument("--version", action="version", version=f"storyexport {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (only,) if only in COMMANDS else COMMANDS:
        try:
            module = importlib.import_module(f"storyexport.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"storyexport.cli.{name}":
                raise
            continue
        module.add_parser(subparsers)
    return parser


def requested_command(argv: list[str]) -> str | None:
    """The sub-command named on the command line (the first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(requested_command(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        from storyexport.build.signals import exit_after_interrupt

        exit_after_interrupt()
        return 130


if __name__ == "__main__":
    sys.exit(main())
