"""What ``dodo.py`` and ``storyexport build`` share: manifest -> DOIT_CONFIG and task creators."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from storyexport.build import doit_internals, doit_runner, stamp
from storyexport.build.caching import check_store
from storyexport.build.checker import checker_for
from storyexport.build.doit_types import DodoNamespace, DoitConfig, TaskDict
from storyexport.build.listeners import StampSettler
from storyexport.build.reporter import BuildReporter
from storyexport.build.tasks import BuildOptions, generate_tasks, rel
from storyexport.config.manifest import load_for_build
from storyexport.config.model import Manifest
from storyexport.config.rules_model import RulesByPlatform
from storyexport.layout import REGISTRY_DB
from storyexport.store import settings as store_settings

BASENAMES = ("sample", "video", "thumbnails", "metadata", "platform", "registry", "report")


def dep_file_for(manifest: Manifest) -> Path:
    """doit's database lives with the outputs, so a CI cache of output_dir carries both."""
    return manifest.output_dir / ".storyexport" / "doit-db.json"


def doit_config(manifest: Manifest, reporter: BuildReporter, tasks: list[TaskDict]) -> DoitConfig:
    dep_file = dep_file_for(manifest)
    dep_file.parent.mkdir(parents=True, exist_ok=True)
    present = {task["basename"] for task in tasks}
    return {
        "dep_file": rel(dep_file),
        "backend": "json",
        "check_file_uptodate": checker_for(Path(rel(dep_file))),
        "continue": True,
        "reporter": reporter,
        "default_tasks": [name for name in BASENAMES if name in present],
        "minversion": "0.37.0",
    }


def apply_start_method() -> None:
    """STORYEXPORT_MP_START=spawn|forkserver|fork forces a start method (to test the macOS/Windows path)."""
    method = os.environ.get("STORYEXPORT_MP_START")
    if method:
        multiprocessing.set_start_method(method, force=True)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The task graph allocates many small objects that all live on; the cyclic GC would rescan them over and over
    (a third of the load time for 1,000 stories). Pause it while building, then freeze what was built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def build_namespace(manifest_path: Path | str, *, progress: str = "auto", reporter: BuildReporter | None = None,
                    manifest: Manifest | None = None, rules: RulesByPlatform | None = None,
                    options: BuildOptions | None = None,
                    stamp_start: stamp.StampStart | None = None) -> DodoNamespace:
    """The globals of a dodo module: ``DOIT_CONFIG`` and one task creator.

    With ``stamp_start`` (a plain run of every task) the run writes an up-to-date stamp if it finishes cleanly.
    The store settings come from the environment (``storyexport.store.settings``); a bad one raises
    ``StoreSettingsError``."""
    apply_start_method()
    doit_runner.install()
    doit_internals.install()
    stamp.discard()
    with paused_gc():
        if manifest is None or rules is None:
            manifest, rules = load_for_build(Path(manifest_path))
        dep_file = dep_file_for(manifest)
        store = store_settings.from_env()
        check_store(store, manifest)
        tasks = list(generate_tasks(manifest, rules, dep_file, options or BuildOptions(), store))
    if reporter is None:
        reporter = BuildReporter(sys.stdout, mode=progress, events_db=manifest.output_dir / REGISTRY_DB)
    if stamp_start is not None:
        # the registry database is watched like doit's: deleting it must reach the registry task's check
        databases = [rel(dep_file), rel(manifest.output_dir / REGISTRY_DB)]
        pending = stamp_start.begin(tasks, databases, late_config=stamp.rules_paths(str(manifest.platforms_dir)))
        if pending is not None:
            reporter.listeners.append(StampSettler(pending.settle))

    def task_storyexport() -> Iterator[TaskDict]:
        yield from tasks

    return {"DOIT_CONFIG": doit_config(manifest, reporter, tasks), "task_storyexport": task_storyexport}
