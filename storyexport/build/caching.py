"""The task graph with a store: cacheable tasks go through the action cache, and ``--shard i/N`` keeps one shard.

Applied at task creation, so doit's own checks are untouched: a task that is up to date locally never asks the
store; a stale one (a fresh checkout, another runner's shard) restores its outputs and doit's values from the cache
instead of running, or runs and uploads them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from storyexport.build.doit_types import DoitTask, SavedValues, TaskDict
from storyexport.build.generated import RECORD_META
from storyexport.build.uptodate import ConfigSlice
from storyexport.config.model import Manifest
from storyexport.store.settings import Shard, StoreSettings, StoreSettingsError, usage_problem


def store_location_problem(settings: StoreSettings, output_dir: Path) -> str | None:
    """A local store must be named by an absolute path (workers and scratch folders have other working
    directories), and not inside the output folder: ``doit clean`` would remove it, and it would sit beside the
    SQLite registry, which never lives on the store."""
    url = settings.url or ""
    if "://" in url and not url.startswith("file://"):
        return None
    path = url.removeprefix("file://")
    if not Path(path).is_absolute():
        return f"--store {url}: a local store needs an absolute path (file:///path/to/store)"
    folder = Path(path).resolve()
    out = output_dir.resolve()
    if folder == out or out in folder.parents:
        return f"--store {url}: the store must not live inside the output folder {output_dir}"
    return None


def check_store(settings: StoreSettings, manifest: Manifest) -> None:
    """Refuse, in one line and before any task runs, a store this build cannot or must not use."""
    problem = usage_problem(settings)
    if problem:
        raise StoreSettingsError(problem)
    if not settings.enabled:
        return
    problem = store_location_problem(settings, manifest.output_dir)
    if problem:
        raise StoreSettingsError(problem)
    from storyexport.store.cas import StoreError, check_url

    try:
        check_url(settings.url or "")
    except StoreError as exc:
        raise StoreSettingsError(str(exc)) from None


def shard_manifest(manifest: Manifest, shard: Shard) -> Manifest:
    """The stories of one shard, and only the sample clips their sources need."""
    stories = tuple(story for story in manifest.stories if shard.includes(story.id))
    sources = {story.source.resolve() for story in stories}
    samples = tuple(sample for sample in manifest.samples if sample.path.resolve() in sources)
    return replace(manifest, stories=stories, samples=samples)


class CachedConfigSlice(ConfigSlice):
    """A cached task's ``ConfigSlice`` that also carries digests between doit's main process and its workers, so a
    file is hashed once per build however many processes need its digest: when doit checks the task (in the main
    process, just before dispatching it) the digests this process already knows of its inputs go with the task to
    the worker; after the worker's answer arrived, before doit records the task, the digests the worker computed
    enter this process's hash cache (doit calls value savers there)."""

    def __init__(self, base: ConfigSlice, hash_cache: str):
        super().__init__(base.recipe, base.config, base.targets)
        self.hash_cache = hash_cache

    def configure_task(self, task: DoitTask) -> None:
        from storyexport.store.remote import adopt_digests

        super().configure_task(task)
        task.value_savers.append(functools.partial(adopt_digests, task, self.hash_cache))

    def __call__(self, task: DoitTask, values: SavedValues) -> bool:
        from storyexport.store.remote import attach_known_digests

        attach_known_digests(task, self.hash_cache)
        return super().__call__(task, values)


def through_cache(task: TaskDict, settings: StoreSettings, hash_cache: str) -> TaskDict:
    """``task`` with its action replaced by ``cached_action`` over the same function and arguments."""
    from storyexport.store.action_cache import ActionSpec
    from storyexport.store.remote import cached_action

    function, args = (task.get("actions") or [])[0]
    config_slice, *others = task["uptodate"]  # the task's recipe version and configuration slice come first
    if not isinstance(config_slice, ConfigSlice):
        raise TypeError(f"task {task['basename']}: its first uptodate item must be its ConfigSlice")
    record = (task.get("meta") or {}).get(RECORD_META)
    spec = ActionSpec.for_action(task["basename"], config_slice.recipe, config_slice.config, function, list(args),
                                 task["file_dep"], task["targets"], record if isinstance(record, str) else None)
    return {**task, "actions": [(cached_action, [spec.to_dict(), settings.url, settings.read_only, hash_cache])],
            "uptodate": [CachedConfigSlice(config_slice, hash_cache), *others]}


def with_store(tasks: Iterable[TaskDict], settings: StoreSettings | None, hash_cache: str) -> Iterator[TaskDict]:
    if settings is None or not settings.enabled:
        yield from tasks
        return
    from storyexport.store.action_cache import CACHED_KINDS

    for task in tasks:
        yield through_cache(task, settings, hash_cache) if task.get("basename") in CACHED_KINDS else task
