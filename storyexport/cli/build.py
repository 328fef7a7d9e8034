"""``storyexport build``: what ``doit -n N`` does in a project, for users who installed the package."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from unittest import mock

from storyexport.build.doit_types import DodoNamespace
from storyexport.build.renderers import MODES
from storyexport.build.runner import doit_argv, run_doit
from storyexport.cli.common import add_manifest_option, fail, in_project
from storyexport.store import settings as store_settings

# doit: 0 ok, 1 a task failed, 2 a dependency error (e.g. a missing source), 3 a load or usage error.
DOIT_EXIT_CODES = {0: 0, 1: 1, 2: 1, 3: 2}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "build",
        help="export every story in the manifest (only what is stale)",
        description="Build videos, thumbnails, metadata, registry and report for every story in the manifest. "
        "Only stale outputs are rebuilt. Exits 1 if any task failed (the others still finish).",
    )
    add_manifest_option(parser)
    parser.add_argument("-n", "--workers", type=int, default=2, metavar="N",
                        help="tasks run in parallel (default: 2)")
    parser.add_argument("-P", "--parallel-type", choices=("process", "thread", "dask"), default="process",
                        help="how parallel tasks run (default: process); dask: videos, thumbnails and samples run "
                        "on Dask workers (needs: pip install 'storyexport[distributed]'; see docs/distributed.md)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT", default="",
                        help="with -P dask: a running 'dask scheduler' (default: an embedded local cluster of -n "
                        "worker processes)")
    parser.add_argument("--min-workers", type=int, default=0, metavar="N",
                        help="with -P dask: send no task before N Dask workers are connected (default: 0, at once)")
    parser.add_argument("--progress", choices=MODES, default="auto",
                        help="progress output: bar on a terminal, plain lines in logs, jsonl for machines")
    parser.add_argument("--store", metavar="URL", default=None,
                        help="shared store and action cache (file:///path, s3://bucket/prefix; default: "
                        f"${store_settings.STORE_ENV}): media outputs another build already made are restored, "
                        "new ones uploaded")
    parser.add_argument("--store-read-only", action="store_true", default=None,
                        help="read the store, never write it (untrusted builds such as pull requests)")
    parser.add_argument("--shard", metavar="i/N", default=None,
                        help="build only the story tasks of shard i of N (stable by story id; needs --store); a "
                        "final run without --shard restores them all and builds registry and report")
    parser.add_argument("tasks", nargs="*", metavar="TASK",
                        help="build only these tasks (e.g. video:morning-run, platform:morning-run:tiktok)")
    parser.set_defaults(func=run)


def settings_from(args: argparse.Namespace) -> store_settings.StoreSettings:
    """The command line over the environment's ``STORYEXPORT_STORE*`` variables."""
    return store_settings.overridden(args.store, args.store_read_only, args.shard)


@contextlib.contextmanager
def exported(settings: store_settings.StoreSettings) -> Iterator[None]:
    """The settings in the environment while the build runs (doit's workers inherit it); the environment is
    restored afterwards (a build may run inside a longer-lived program)."""
    with mock.patch.dict(os.environ):
        store_settings.apply(settings)
        yield


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
    except store_settings.StoreSettingsError as exc:
        return fail(str(exc), 2)

    def build(namespace: DodoNamespace) -> int:
        options = ["--scheduler", args.scheduler] if args.scheduler else []
        options += ["--min-workers", str(args.min_workers)] if args.min_workers else []
        code = run_doit(namespace, doit_argv("run", args.workers, args.parallel_type, args.tasks, options))
        return DOIT_EXIT_CODES.get(code, 1)

    with exported(settings):
        return in_project(args.manifest, args.progress, build, plain_run=not args.tasks and not settings.shard)
