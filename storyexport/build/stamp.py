"""Answer a no-op build without loading the task graph: the up-to-date stamp.

doit checks a project file by file, task by task; for 1,000 stories that is 19,000 file entries and most of a
no-op's time. After a run that ended with every task done and none failed, the stamp keeps the stat (mtime, ctime,
size, inode) of every file that could change doit's answer: each task's ``file_dep`` and ``targets``, the manifest,
the platform rules, storyexport's own code, the dodo file, and doit's database. The next plain run re-stats those
files first; if every stat is the same, nothing doit would look at has changed, doit would find every task up to
date again, and the run ends there.

Why it is exact:
* doit trusts an unchanged mtime (``CachedHashChecker``); the stamp compares more than that, and ctime cannot be
  set back, so any write, even one that restores mtime and size, shows.
* A stamp records a file only if its stat at the end of the run equals every stat doit saw of it during the run
  (``observe``: the checker reports each file it compares or records). A file edited after doit looked at it
  therefore leaves no stamp, instead of one that would hide the edit. Configuration files are held to their stat
  before they were read.
* doit's database is stat'ed after doit saved it, so ``doit forget``, ``doit ignore`` or any other run changes it.
* Only a plain ``doit``/``doit run`` of the default tasks reads or writes a stamp (``invocation``); any other run
  leaves it alone, and every run that is not a clean finish removes it.

``STORYEXPORT_STAMP=off`` turns the stamp off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from storyexport.build.doit_types import TaskDict
from storyexport.resources import rules_files

STAMP_ENV = "STORYEXPORT_STAMP"
FORMAT = 1

StatKey = tuple[int, int, int, int]


def enabled() -> bool:
    return os.environ.get(STAMP_ENV, "on").strip().lower() not in ("0", "off", "no", "false")


def stat_key(stat: os.stat_result) -> StatKey:
    """What must stay equal for a file to count as untouched (ctime changes on every write and cannot be reset)."""
    return stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino


def current_key(path: str) -> StatKey | None:
    try:
        return stat_key(os.stat(path))
    except OSError:
        return None


def digest(keys: Iterable[StatKey | None]) -> str:
    values = array("q")
    for key in keys:
        if key is None:
            values.extend((-1, -1, -1, -1))
        else:
            mtime, ctime, size, inode = key
            values.extend((mtime, ctime, size, inode & 0x7FFF_FFFF_FFFF_FFFF))
    return hashlib.sha256(values.tobytes()).hexdigest()


def package_files() -> list[str]:
    """storyexport's own code and data (and their folders, so an added file shows): the graph is built by it."""
    root = Path(__file__).resolve().parent.parent
    found: list[str] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        found.append(folder)
        found += [os.path.join(folder, name) for name in sorted(files) if not name.endswith(".pyc")]
    return found


@dataclass(frozen=True)
class StampScope:
    """Which runs a stamp answers for: one manifest, working directory, dodo file and set of tool versions."""

    manifest: str
    dodo_file: str | None = None

    @classmethod
    def create(cls, manifest: Path | str, dodo_file: str | None = None) -> StampScope:
        return cls(os.path.realpath(manifest), os.path.realpath(dodo_file) if dodo_file else None)

    def file(self) -> Path:
        """Beside the validated-manifest cache, where a run finds it before reading the manifest."""
        manifest = Path(self.manifest)
        return manifest.parent / ".storyexport" / f"up-to-date.{manifest.name}.json"

    def identity(self) -> str:
        from doit import __version__ as doit_version

        from storyexport import __version__

        # the interpreter by its binary and environment: ``doit`` (python3) and ``python -m doit`` are the same one
        parts = [FORMAT, __version__, doit_version, sys.version, os.path.realpath(sys.executable), sys.prefix,
                 os.getcwd(), self.manifest, self.dodo_file]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def config_files(self) -> list[str]:
        """What the graph is built from, as far as it is known before the manifest is read."""
        local_rules = os.path.join(os.path.dirname(self.manifest), "platforms")  # the usual rules folder
        return [self.manifest, *([self.dodo_file] if self.dodo_file else []), *rules_paths(local_rules),
                *package_files()]


def rules_paths(folder: str) -> list[str]:
    """A platform rules folder and its rule files (the folder too: a rules file added or removed shows there)."""
    try:
        files = rules_files(folder)
    except OSError:
        return [folder]
    return [folder, *(os.path.join(folder, path.name) for path in files.values())]


def fresh_tasks(scope: StampScope) -> list[str] | None:
    """The task names the stamp answers "up to date" for, or None when doit must check."""
    if not enabled():
        return None
    try:
        stamp = json.loads(scope.file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("identity") != scope.identity():
        return None
    paths = stamp.get("paths")
    if not isinstance(paths, list) or digest(current_key(path) for path in paths) != stamp.get("digest"):
        return None
    return list(stamp.get("tasks") or [])


@dataclass
class PendingStamp:
    """The stamp a run will write if it finishes cleanly; it collects what doit saw of each file meanwhile."""

    scope: StampScope
    config: dict[str, StatKey | None]
    file_deps: list[str]
    targets: list[str]
    database: list[str]
    tasks: list[str]
    seen: dict[str, StatKey] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)

    def observe(self, path: str, stat: os.stat_result) -> None:
        key = stat_key(stat)
        if self.seen.setdefault(path, key) != key:
            self.changed.add(path)

    def settle(self, clean: bool) -> bool:
        """Write the stamp after a clean run whose files are as doit saw them; otherwise remove any old one."""
        global _pending
        if _pending is self:
            _pending = None
        paths, keys = self._final_stats() if clean else (None, None)
        if paths is None or keys is None:
            with contextlib.suppress(OSError):
                self.scope.file().unlink()
            return False
        from storyexport.fsutil import write_text_atomic

        stamp = {"identity": self.scope.identity(), "digest": digest(keys), "tasks": self.tasks, "paths": paths}
        with contextlib.suppress(OSError):
            write_text_atomic(self.scope.file(), json.dumps(stamp, ensure_ascii=False))
            return True
        return False

    def _final_stats(self) -> tuple[list[str], list[StatKey | None]] | tuple[None, None]:
        """Every file's stat now, if each is as doit saw it (or, for configuration, as before it was read)."""
        if self.changed or any(path not in self.seen for path in self.file_deps):
            return None, None  # doit compares or records every file_dep of a finished task; it did not here
        paths: list[str] = []
        keys: list[StatKey | None] = []
        for path in dict.fromkeys([*self.file_deps, *self.targets]):
            key = current_key(path)
            if key is None or self.seen.get(path, key) != key:
                return None, None
            paths.append(path)
            keys.append(key)
        for path, before in self.config.items():
            if current_key(path) != before:
                return None, None
            paths.append(path)
            keys.append(before)
        for path in self.database:  # stat'ed after doit saved it; a missing database is a state too
            paths.append(path)
            keys.append(current_key(path))
        return paths, keys


_pending: PendingStamp | None = None  # the run this process is building, told what doit sees by ``observe``

# A configuration file found only after the manifest was read (the platform rules) must have been changed at least
# this long before the run started; otherwise it may have changed while it was being read.
LATE_CONFIG_MARGIN_NS = 2_000_000_000


@dataclass
class StampStart:
    """Taken before the manifest is read, so an edit made while the graph is built shows at the end."""

    scope: StampScope
    config: dict[str, StatKey | None]
    started_ns: int

    def begin(self, tasks: Sequence[TaskDict], database: Sequence[str],
              late_config: Sequence[str] = ()) -> PendingStamp | None:
        """Start collecting for a stamp over these task dicts (call before doit checks anything)."""
        global _pending
        config = dict(self.config)
        for path in late_config:
            if path in config:
                continue
            key = current_key(path)
            if key is not None and key[1] > self.started_ns - LATE_CONFIG_MARGIN_NS:
                _pending = None
                return None
            config[path] = key
        names = [f"{task['basename']}:{task['name']}" if task.get("name") else task["basename"]
                 for task in tasks if task.get("actions")]
        _pending = PendingStamp(self.scope, config,
                                file_deps=[path for task in tasks for path in task.get("file_dep") or ()],
                                targets=[path for task in tasks for path in task.get("targets") or ()],
                                database=list(database), tasks=names)
        return _pending


def start(scope: StampScope) -> StampStart | None:
    if not enabled():
        return None
    return StampStart(scope, {path: current_key(path) for path in scope.config_files()}, time.time_ns())


def observe(path: str, stat: os.stat_result) -> None:
    """Called by the checker (doit's main process) for each file doit compares or records."""
    if _pending is not None:
        _pending.observe(path, stat)


def discard() -> None:
    """Forget a pending stamp (a new graph is being loaded in this process)."""
    global _pending
    _pending = None
