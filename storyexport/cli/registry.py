"""``storyexport registry``: inspect and update the export registry (publish status, performance, imports).

The registry is found through the manifest's ``output_dir`` (``-m``), given directly (``--registry``), or, with
neither and no ``exports.yaml`` here, is the API's default ``data/final/export_registry.sqlite``.
Errors print one line and exit 1; usage errors exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from storyexport.cli.common import DEFAULT_MANIFEST, add_manifest_option, fail, os_error_line, say
from storyexport.registry import ExportRegistry, RegistryError, registry_path
from storyexport.registry.inputs import MAX_COUNT
from storyexport.registry.registry import DEFAULT_PATH
from storyexport.textsafe import for_terminal, json_for_terminal

Command = Callable[[ExportRegistry, argparse.Namespace], int | None]  # a subcommand's body; None means exit 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "registry", help="show and update the export registry",
        description="Show and update the export registry (SQLite, with a JSON snapshot in the original guide's "
                    "format beside it).")
    commands = parser.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    add_manifest_option(common)
    common.set_defaults(manifest=None)  # to tell "no -m" (fall back to data/final/) from a mistyped -m
    common.add_argument("--registry", type=Path, metavar="PATH",
                        help="the registry's .sqlite file (default: the one in the manifest's output folder, or "
                             f"{DEFAULT_PATH} when there is no {DEFAULT_MANIFEST}, as ExportRegistry() does)")

    def command(name: str, help_text: str, func: Command, creates: bool = False) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(func=lambda args: _run(func, args, creates))
        return sub

    listing = command("list", "list registered videos", _list)
    _add_filters(listing)
    listing.add_argument("--status", help="only videos with this status (the platform's with --platform)")
    command("show", "show one video with its performance history (JSON)", _show).add_argument("id")
    publish = command("publish", "set a platform's publish status", _publish)
    publish.add_argument("id")
    publish.add_argument("--platform", required=True)
    publish.add_argument("--status", required=True, help="pending, scheduled, published, failed, removed, ...")
    publish.add_argument("--url")
    perf = command("perf", "record a performance snapshot", _perf)
    perf.add_argument("id")
    for name in ("views", "likes", "shares"):
        perf.add_argument(f"--{name}", type=_count, required=True)
    perf.add_argument("--comments", type=_count, default=0)
    perf.add_argument("--platform", help="platform the numbers are for (default: unattributed)")
    command("stats", "print registry statistics", _stats)
    imp = command("import", "import an analytics CSV export (YouTube Studio, TikTok, Instagram)", _import_csv)
    imp.add_argument("csv", type=Path, metavar="CSV")
    imp.add_argument("--platform", help="the CSV's platform (default: recognised by its header)")
    imp.add_argument("--date", help="when the numbers were taken, ISO-8601 (default: now)")
    export = command("export-json", "rewrite export_registry.json from the store", _export_json)
    export.add_argument("-o", "--output", type=Path, help="write here instead of beside the database")
    command("import-json", "import a registry JSON written by the guide's tool (creates the registry if needed)",
            _import_json, creates=True).add_argument("file", type=Path, metavar="FILE")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--segment")
    parser.add_argument("--age-group", dest="age_group")
    parser.add_argument("--platform")


def _count(text: str) -> int:
    """A whole number >= 0. One too large for the store is left for the registry to refuse in one line; one
    longer than the largest count is passed on as the first number over it (``int()`` refuses 4,300 digits)."""
    digits = text.strip().lstrip("+")
    if digits.startswith("-") and digits[1:].isdigit():
        raise argparse.ArgumentTypeError(f"must be >= 0: {text:.40}")
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r:.40}")
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= len(str(MAX_COUNT)) else MAX_COUNT + 1


def open_registry(args: argparse.Namespace, creates: bool = False) -> ExportRegistry:
    """The registry named by ``--registry``, else the one in the manifest's output folder, else (no manifest and
    no ``-m``) the API's default ``data/final/``. Only ``creates`` commands may start a new database: a mistyped
    path must be an error, not a new empty registry."""
    path = _registry_file(args)
    if path.is_dir():
        raise RegistryError(f"registry {path} is a folder, not a database file")
    if not creates and not path.exists():
        raise RegistryError(f"registry not found: {path} (nothing registered there yet: build first, or pass "
                            "--registry PATH)")
    return ExportRegistry(path)


def _registry_file(args: argparse.Namespace) -> Path:
    if args.registry is not None:
        return args.registry
    manifest_path = args.manifest or Path(DEFAULT_MANIFEST)
    if not manifest_path.is_file():
        if args.manifest is None:
            return DEFAULT_PATH
        raise RegistryError(f"manifest not found: {manifest_path} (or pass --registry PATH)")
    from storyexport.config import ConfigError, load_manifest

    try:
        manifest = load_manifest(manifest_path, check_sources=False)
    except ConfigError as exc:
        raise RegistryError(exc.one_line()) from exc
    return registry_path(manifest.output_dir)


def _run(func: Command, args: argparse.Namespace, creates: bool = False) -> int:
    try:
        registry = open_registry(args, creates)
        try:
            return func(registry, args) or 0
        finally:
            registry.close()
    except RegistryError as exc:
        return fail(str(exc))
    except sqlite3.Error as exc:  # e.g. still locked after the busy timeout, disk full
        return fail(f"registry database error: {exc}")
    except OSError as exc:  # e.g. export-json -o onto a folder
        return fail(os_error_line(exc))


def _list(registry: ExportRegistry, args: argparse.Namespace) -> int:
    videos = registry.list_videos(args.segment, args.age_group, args.status, args.platform)
    rows: list[tuple[str, ...]] = [("ID", "SEGMENT", "AGE", "STATUS", "VIEWS", "ENGAGEMENT", "TITLE")]
    rows += [(v["title_id"], v["segment"], v["age_group"], v["publish_status"], f"{v['performance']['views']:,}",
              f"{v['performance']['engagement_rate']}%", v["title"]) for v in videos]
    rows = [tuple(for_terminal(str(cell), keep_newlines=False) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0


def _show(registry: ExportRegistry, args: argparse.Namespace) -> int:
    print(json_for_terminal(json.dumps(registry.get_video_info(args.id), indent=2, sort_keys=True,
                                       ensure_ascii=False)))
    return 0


def _publish(registry: ExportRegistry, args: argparse.Namespace) -> int:
    entry = registry.update_publish_status(args.id, args.platform, args.status, args.url)
    say(f"{args.id}: {args.platform} {entry['platforms'][args.platform]['status']} "
        f"(overall {entry['publish_status']})")
    return 0


def _perf(registry: ExportRegistry, args: argparse.Namespace) -> int:
    perf = registry.update_performance(args.id, args.views, args.likes, args.shares, args.comments, args.platform)
    say(f"{args.id}: {perf['views']:,} views, engagement {perf['engagement_rate']}%")
    return 0


def _stats(registry: ExportRegistry, args: argparse.Namespace) -> int:
    sys.stdout.write(for_terminal(registry.generate_report()))
    return 0


def _import_csv(registry: ExportRegistry, args: argparse.Namespace) -> int:
    from storyexport.registry.csv_import import import_csv

    result = import_csv(registry, args.csv, args.platform, args.date)
    say(result.summary())
    for line in result.unmatched:
        say(f"  unmatched: {for_terminal(line, keep_newlines=False)}")
    return 0


def _export_json(registry: ExportRegistry, args: argparse.Namespace) -> int:
    say(registry.export_json(args.output))
    return 0


def _import_json(registry: ExportRegistry, args: argparse.Namespace) -> int:
    from storyexport.registry.json_import import import_guide_json

    count = import_guide_json(registry, args.file)
    say(f"imported {count} videos from {args.file} into {registry.path}")
    return 0
