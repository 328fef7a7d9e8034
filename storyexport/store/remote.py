"""Running a cacheable action against the store: locally (``cached_action``, what doit runs when a store is set),
or hermetically on a worker that sees no project folder (``run_hermetic``), with the coordinator taking the outputs
back (``adopt``) before doit records the task.

Task paths are project-relative, so a worker fetches each declared input by digest into a scratch folder at the
same relative path, runs the action with the scratch folder as its working directory (Dask workers run one task per
process: the working directory is the process's own), uploads the targets and returns their digests with doit's
values; the scratch folder is removed whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from doit.exceptions import BaseFail, TaskFailed

from storyexport.build.generated import NotGeneratedError
from storyexport.store.action_cache import (
    ActionCache,
    ActionSpec,
    CacheEntry,
    action_key,
    input_digests,
    restore_targets,
    tool_mismatch,
    upload_targets,
)
from storyexport.store.cas import ContentStore, CorruptObject, StoreError, open_store, sha256_file
from storyexport.store.settings import CACHED_ATTR

DIGESTS_ATTR = "storyexport_digests"  # path -> [size, mtime_ns, sha256] of a cached task's inputs and targets
KNOWN_ATTR = "storyexport_known_digests"  # the same, known to the main process before dispatch

SCRATCH_PREFIX = "storyexport-scratch-"


@dataclass(frozen=True)
class Outcome:
    """What running a cacheable action gave: the action's return (or its ``TaskFailed``), the entry that now
    describes its outputs (None when it failed, or ran against a read-only store), and whether it came from the
    cache."""

    result: Any
    entry: CacheEntry | None
    cached: bool


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def run_cached(spec: ActionSpec, store: ContentStore, root: Path | str = ".",
               inputs: dict[str, str] | None = None) -> Outcome:
    """Restore the outputs of ``spec`` under ``root`` from the cache, or run the action and record them.

    A missing or corrupt object counts as a miss: the action runs again and its outputs replace the bad ones (unless
    the store is read-only). The action itself resolves its relative paths against the working directory, which
    must be ``root``."""
    key = action_key(spec, input_digests(spec, root) if inputs is None else inputs)
    cache = ActionCache(store)
    entry = restore_cached(store, key, root, spec.record)
    if entry is not None:
        return Outcome(entry.result, entry, cached=True)
    result = spec.resolve()(*spec.args)
    if isinstance(result, BaseFail) or store.read_only:
        return Outcome(result, None, cached=False)
    entry = CacheEntry(upload_targets(store, spec.targets, root), values=result if isinstance(result, dict) else {},
                       result=result)
    cache.put(key, entry)
    return Outcome(result, entry, cached=False)


def restore_cached(store: ContentStore, key: str, root: Path | str = ".", record: str | None = None,
                   ) -> CacheEntry | None:
    """The cache entry under ``key`` with its outputs restored under ``root``, or None on a miss (a missing or
    corrupt object is a miss, and its entry is forgotten). ``record``: see ``restore_targets``."""
    cache = ActionCache(store)
    entry = cache.get(key)
    if entry is None:
        return None
    try:
        restore_targets(store, entry, root, record)
    except (FileNotFoundError, CorruptObject):
        cache.forget(key)
        return None
    return entry


def restore_or_stage(spec: ActionSpec, store_url: str) -> tuple[CacheEntry | None, dict[str, str]]:
    """Coordinator side, before a task goes to a worker: (its cache entry with the outputs restored here, or None;
    the digests of its inputs). On a miss every input is uploaded, so a worker can fetch it by digest."""
    store = open_store(store_url)
    inputs = input_digests(spec)
    entry = restore_cached(store, action_key(spec, inputs), record=spec.record)
    if entry is None:
        for path, digest in inputs.items():
            store.put_file(path, digest)
    return entry, inputs


def cached_action(spec: dict[str, Any], store_url: str, read_only: bool, hash_cache: str | None, task: Any) -> Any:
    """The doit action of a cacheable task when a store is configured (doit passes ``task``): the same return
    value as the wrapped action, whether it ran or was restored; ``task.storyexport_cached`` tells which.

    Inputs are hashed through the build's persistent hash cache (``hash_cache``), and the digests of the inputs
    and targets go back to the main process on the task (``DIGESTS_ATTR``), so doit's checker there does not hash
    the same files again."""
    setattr(task, CACHED_ATTR, False)
    action = ActionSpec.from_dict(spec)
    try:
        inputs = _hashed(task, action.inputs, hash_cache)
        outcome = run_cached(action, open_store(store_url, read_only), ".", inputs)
    except NotGeneratedError as exc:  # the user's own file where a sample clip would be restored
        return TaskFailed(str(exc))
    except (StoreError, OSError) as exc:
        return TaskFailed(f"store {store_url}: {_one_line(exc)}")
    setattr(task, CACHED_ATTR, outcome.cached)
    targets = outcome.entry.targets if outcome.entry else {}
    setattr(task, DIGESTS_ATTR, {path: [*_stat(path), digest] for path, digest in {**inputs, **targets}.items()})
    return outcome.result


def _stat(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def _hashed(task: Any, paths: list[str], hash_cache: str | None) -> dict[str, str]:
    """Input digests: known to the main process (attached to the task), remembered, or computed."""
    if not hash_cache:
        return {path: sha256_file(path) for path in paths}
    from storyexport.build.checker import shared_cache

    cache = shared_cache(hash_cache)
    for path, (size, mtime_ns, digest) in (getattr(task, KNOWN_ATTR, None) or {}).items():
        cache.record(path, size, mtime_ns, digest)
    return {path: cache.digest(path, os.stat(path)) for path in paths}


def attach_known_digests(task: Any, hash_cache: str) -> None:
    """Main process, when doit checks ``task``: attach the digests its hash cache already holds for the task's
    inputs (a video another worker restored), so the worker does not hash them again. Hashes nothing."""
    from storyexport.build.checker import shared_cache

    cache = shared_cache(hash_cache)
    known = {}
    for path in task.file_dep:
        try:
            stat = os.stat(path)
        except OSError:
            continue
        digest = cache.known(path, stat)
        if digest:
            known[path] = [stat.st_size, stat.st_mtime_ns, digest]
    setattr(task, KNOWN_ATTR, known)


def adopt_digests(task: Any, hash_cache: str) -> dict[str, Any]:
    """A doit value saver (runs in the main process before doit records the task): the digests the worker computed
    enter the main process's hash cache. Adds no value."""
    from storyexport.build.checker import shared_cache

    cache = shared_cache(hash_cache)
    for path, (size, mtime_ns, digest) in (getattr(task, DIGESTS_ATTR, None) or {}).items():
        cache.record(path, size, mtime_ns, digest)
    return {}


def spec_of(task: Any) -> tuple[ActionSpec, str, bool] | None:
    """(spec, store URL, read-only) when ``task``'s action is :func:`cached_action`, else None (a runner sends
    only such tasks to remote workers)."""
    for action in getattr(task, "actions", None) or []:
        if getattr(action, "py_callable", None) is cached_action:
            spec, url, read_only = action.args[:3]  # the 4th is the hash cache of the build that made the task
            return ActionSpec.from_dict(spec), url, bool(read_only)
    return None


def _relative(path: str) -> PurePosixPath:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise StoreError(f"refusing path {path!r}: remote tasks take project-relative paths only")
    return pure


@contextlib.contextmanager
def scratch_folder(parent: str | None = None) -> Iterator[Path]:
    """A fresh folder made the working directory while the action runs; removed afterwards, whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=parent))
    previous = os.getcwd()
    try:
        os.chdir(folder)
        yield folder
    finally:
        os.chdir(previous)
        shutil.rmtree(folder, ignore_errors=True)


class VersionMismatch(StoreError):
    """Coordinator and worker run different storyexport, ffmpeg or OpenCV versions."""


def run_hermetic(spec: dict[str, Any], inputs: dict[str, str], store_url: str,
                 scratch_parent: str | None = None, tools: dict[str, str] | None = None) -> dict[str, Any]:
    """Worker side: fetch ``inputs`` (path -> digest) into a scratch folder, restore or run the action there, upload
    its targets. Returns a JSON-safe dict: ``targets`` (path -> digest), ``values``, ``result``, ``cached``, and
    ``failure`` (the action's one-line reason, or None). ``tools``: the coordinator's ``tool_versions()``; a worker
    with other versions raises ``VersionMismatch`` (one line naming both) before touching anything."""
    if tools is not None:
        mismatch = tool_mismatch(tools)
        if mismatch:
            raise VersionMismatch(mismatch)
    action = ActionSpec.from_dict(spec)
    store = open_store(store_url)
    for path in (*inputs, *action.targets):
        _relative(path)
    with scratch_folder(scratch_parent) as scratch:
        for path, digest in inputs.items():
            store.fetch(digest, scratch / path)
        outcome = run_cached(action, store, ".", inputs)
    if isinstance(outcome.result, BaseFail):
        return {"targets": {}, "values": {}, "result": None, "cached": False,
                "failure": _one_line(outcome.result) if not getattr(outcome.result, "message", None)
                else outcome.result.message}
    assert outcome.entry is not None  # a writable store always yields an entry
    return {**outcome.entry.to_record(), "cached": outcome.cached, "failure": None}


def adopt(task: Any, outcome: dict[str, Any], store_url: str, root: Path | str = ".") -> BaseFail | None:
    """Coordinator side: download and verify the targets a worker reported, then give ``task`` the values and
    result doit records, as if the action had run here. Returns the task's failure, or None."""
    if outcome.get("failure"):
        return TaskFailed(outcome["failure"])
    entry = CacheEntry.from_record(outcome)
    if entry is None:
        return TaskFailed(f"store {store_url}: the worker's answer for {task.name} is malformed")
    found = spec_of(task)
    try:
        restore_targets(open_store(store_url, read_only=True), entry, root, found[0].record if found else None)
    except NotGeneratedError as exc:
        return TaskFailed(str(exc))
    except (StoreError, OSError) as exc:
        return TaskFailed(f"store {store_url}: {_one_line(exc)}")
    task.values.update(entry.values)
    task.result = entry.result
    setattr(task, CACHED_ATTR, bool(outcome.get("cached")))
    return None
