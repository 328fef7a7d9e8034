"""What ``dodo.py`` and ``storyexport build`` call: answer a no-op from the up-to-date stamp, or load the manifest
and its task graph.

Kept apart from ``loader`` so that a stamped no-op imports nothing heavy: no YAML, no JSON Schema, no task graph.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from storyexport.build import stamp
from storyexport.build.doit_internals import dodo_invocation
from storyexport.build.doit_types import DodoNamespace
from storyexport.build.lock import READ_ONLY_DOIT_COMMANDS, acquire, lock_file_for
from storyexport.build.reporter import BuildReporter
from storyexport.build.signals import handle_sigterm
from storyexport.store.settings import SHARD_ENV, StoreSettingsError


def answer_from_stamp(scope: stamp.StampScope, progress: str) -> bool:
    """Print what a no-op prints and return True when the stamp shows that nothing changed."""
    names = stamp.fresh_tasks(scope)
    if names is None:
        return False
    BuildReporter(sys.stdout, mode=progress).report_up_to_date(names)
    return True


def load_namespace(manifest_path: Path | str, scope: stamp.StampScope, *, plain_run: bool,
                   progress: str) -> DodoNamespace:
    """The dodo namespace; a plain run (every task) writes a new stamp if it finishes cleanly. Raises
    ``ConfigError`` on a bad manifest. Call after :func:`answer_from_stamp` declined."""
    from storyexport.build.loader import build_namespace

    return build_namespace(manifest_path, progress=progress, stamp_start=stamp.start(scope) if plain_run else None)


class LoadFailed(Exception):
    """The manifest, its rules or the store settings cannot be used; the problems are already printed.
    ``config`` tells a ``ConfigError`` (the files' contents) from a missing file or bad store settings."""

    def __init__(self, config: bool):
        super().__init__("could not load the project")
        self.config = config


def stamped_or_loaded(manifest_path: Path | str, scope: stamp.StampScope, *, plain_run: bool,
                      progress: str) -> DodoNamespace | None:
    """None when the stamp answered a plain run (the no-op is already reported), else the dodo namespace. On bad
    input print one line per problem and raise ``LoadFailed``: what ``dodo.py`` and the CLI both do first."""
    if plain_run and answer_from_stamp(scope, progress):
        return None
    from storyexport.config.problems import ConfigError, print_problems  # only now: it loads the config stack
    from storyexport.textsafe import for_terminal

    try:
        return load_namespace(manifest_path, scope, plain_run=plain_run, progress=progress)
    except ConfigError as exc:
        print_problems(exc.problems)
        raise LoadFailed(config=True) from None
    except (FileNotFoundError, StoreSettingsError) as exc:
        print(f"storyexport: {for_terminal(str(exc), keep_newlines=False)}", file=sys.stderr)
        raise LoadFailed(config=False) from None


def dodo_namespace(manifest_path: str, progress: str = "auto") -> DodoNamespace:
    """For ``dodo.py``: the namespace doit loads tasks from. A plain run that the stamp answers ends here (exit 0);
    on a bad manifest print one line per problem and exit 3 (doit's load-error code). Any doit command but a
    read-only one then takes the project lock (``lock``), waiting while another build runs."""
    handle_sigterm()
    invocation = dodo_invocation()
    scope = stamp.StampScope.create(manifest_path, invocation.dodo_file)
    plain_run = invocation.plain_run and not os.environ.get(SHARD_ENV)  # a shard is a selection of tasks
    try:
        namespace = stamped_or_loaded(manifest_path, scope, plain_run=plain_run, progress=progress)
    except LoadFailed:
        raise SystemExit(3) from None
    if namespace is None:
        raise SystemExit(0)
    if invocation.command is not None and invocation.command not in READ_ONLY_DOIT_COMMANDS:
        acquire(lock_file_for(namespace["DOIT_CONFIG"]["dep_file"]))  # held until doit exits (not when the dodo
        # file is imported outside a doit command, e.g. by a worker process: that would wait for its own parent)
    return namespace
