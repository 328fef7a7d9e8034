"""``storyexport init DIR``: scaffold a project that builds at once.

The new project gets the example manifest (with generated sample clips, so it needs no media), editable copies of
the built-in platform rules and the schemas (so editors autocomplete), a ``dodo.py`` for ``doit -n 4``, and a
``doit.cfg`` that gives ``doit`` storyexport's ``run`` command (``-P dask``).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from storyexport.cli.common import fail, say
from storyexport.resources import builtin_platforms_dir, example_file, schemas_dir

GITIGNORE = "data/\nmedia/\n.storyexport/\n.doit*\n__pycache__/\n"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="scaffold a new project",
        description="Create DIR with exports.yaml, platforms/, schemas/, dodo.py and doit.cfg. "
        "Then: cd DIR && doit -n 4 (or storyexport build).",
    )
    parser.add_argument("directory", type=Path, metavar="DIR", help="folder to create (may exist if empty)")
    parser.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    parser.set_defaults(func=run)


def scaffold(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("exports.yaml", "dodo.py", "doit.cfg"):
        shutil.copyfile(example_file(name), target / name)
        written.append(target / name)
    for source, folder in ((builtin_platforms_dir(), "platforms"), (schemas_dir(), "schemas")):
        shutil.copytree(source, target / folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        written.append(target / folder)
    (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    written.append(target / ".gitignore")
    return written


def run(args: argparse.Namespace) -> int:
    target: Path = args.directory
    if target.exists() and not target.is_dir():
        return fail(f"{target} exists and is not a folder", 2)
    if target.is_dir() and any(target.iterdir()) and not args.force:
        return fail(f"{target} is not empty (use --force to write into it)", 1)
    for path in scaffold(target):
        say(f"created {path}")
    say(f"\nNext: cd {target} && doit -n 4    (or: storyexport build -m {target / 'exports.yaml'})")
    return 0
