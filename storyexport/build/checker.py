"""A doit file checker backed by a persistent hash cache, for exact and cheap incremental builds in CI.

doit's MD5Checker trusts an unchanged mtime, but when the mtime changed and the size did not it re-hashes the file,
and it stores the new state only when the task runs. After a fresh checkout (every mtime new) or a content-neutral
``touch``, every later no-op run re-hashes every source, forever. This checker remembers the digest of each file
keyed by (path, size, mtime_ns) in a small JSON file beside doit's database, so each file is hashed at most once per
change of its stat. It also refuses to record an input that changed while its task ran (see ``CachedHashChecker``).

The digest is SHA-256 rather than doit's md5: hashlib runs it on the CPU's SHA instructions (x86 SHA-NI, ARMv8),
2-3 times faster than md5, and a build hashes every video it reads or writes.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from doit.dependency import MD5Checker

from storyexport.build import doit_internals, stamp
from storyexport.fsutil import write_text_atomic
from storyexport.jsontypes import JSONValue

FileState = tuple[float, int, str] | list[float | int | str]  # doit's saved state of a file: mtime, size, digest
FORMAT = "sha256"  # entries of another format (older storyexport: md5) are dropped on load


def file_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class HashCache:
    """File digests by (path, size, mtime_ns), loaded lazily and saved once at exit if anything was added."""

    def __init__(self, path: Path):
        self.path = path
        self._entries: dict[str, JSONValue] | None = None
        self._dirty = False

    def _load(self) -> dict[str, JSONValue]:
        if self._entries is None:
            try:
                self._entries = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._entries = {}
            if not isinstance(self._entries, dict) or self._entries.get("format") != FORMAT:
                self._entries = {"format": FORMAT}
            atexit.register(self.save)
        return self._entries

    def known(self, file_path: str, stat: os.stat_result) -> str | None:
        """The remembered digest of ``file_path`` if its size and mtime still match, without hashing."""
        entry = self._load().get(os.path.abspath(file_path))  # [size, mtime_ns, digest]
        if isinstance(entry, list) and len(entry) == 3 and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return str(entry[2])
        return None

    def digest(self, file_path: str, stat: os.stat_result) -> str:
        known = self.known(file_path, stat)
        if known:
            return known
        entries = self._load()
        key = os.path.abspath(file_path)
        digest = file_digest(file_path)
        entries[key] = [stat.st_size, stat.st_mtime_ns, digest]
        self._dirty = True
        return digest

    def record(self, file_path: str, size: int, mtime_ns: int, digest: str) -> None:
        """Remember a digest computed elsewhere (a worker that hashed or verified the file), so it is not hashed
        again here."""
        self._load()[os.path.abspath(file_path)] = [size, mtime_ns, digest]
        self._dirty = True

    def memo(self, key: str) -> JSONValue:
        """A value remembered under ``key`` (for derived digests, e.g. of a set of files' stats)."""
        return self._load().get(f"memo:{key}")

    def remember(self, key: str, value: JSONValue) -> None:
        entries = self._load()
        if entries.get(f"memo:{key}") != value:
            entries[f"memo:{key}"] = value
            self._dirty = True

    def save(self) -> None:
        if self._dirty and self._entries is not None:
            with contextlib.suppress(OSError):
                write_text_atomic(self.path, json.dumps(self._entries, sort_keys=True))
            self._dirty = False


_CACHES: dict[Path, HashCache] = {}


def shared_cache(path: Path | str) -> HashCache:
    """One cache object per file in a process, shared by the checker and ``InputsDigest``."""
    path = Path(path).resolve()
    if path not in _CACHES:
        _CACHES[path] = HashCache(path)
    return _CACHES[path]


def save_caches() -> None:
    """Write every cache that learned something (called when a run completes, and at exit)."""
    for cache in _CACHES.values():
        cache.save()


def cache_path_for(dep_file: Path) -> Path:
    return Path(f"{dep_file}.hashes.json")


class CachedHashChecker(MD5Checker):
    """doit's MD5Checker logic (mtime first, then size, then content), hashing through a persistent ``HashCache``.

    doit records a file's state after its task ran, so an input replaced while the task ran (``mv new.mp4 src.mp4``
    during an encode) would be recorded as the state the output was built from. The checker keeps the stat it saw
    when doit checked the task (before the action) and refuses to record a file whose stat changed since: the
    task fails with one line and stays stale. An unchanged stat (mtime, ctime, size, inode) means unchanged content,
    so the digest taken afterwards is the digest of what the action read.
    """

    cache_path: ClassVar[Path] = Path(".storyexport-hashes.json")

    def __init__(self) -> None:
        self._before: dict[str, stamp.StatKey] = {}  # each file's stat when doit first looked at it in this run
        self._fresh: dict[str, os.stat_result] = {}  # taken by ``note_before`` for doit's check that follows

    @classmethod
    def cache(cls) -> HashCache:
        return shared_cache(cls.cache_path)

    def note_before(self, paths: Iterable[str]) -> None:
        """doit is about to check a task (and run it if stale): remember its inputs' stats as they are now."""
        for path in paths:
            try:
                stat = os.stat(path)
            except OSError:
                continue
            self._fresh[path] = stat
            self._before.setdefault(path, stamp.stat_key(stat))

    def info(self, file_path: str) -> os.stat_result:
        stat = self._fresh.pop(file_path, None) or os.stat(file_path)
        self._before.setdefault(file_path, stamp.stat_key(stat))
        return stat

    def check_modified(self, file_path: str, file_stat: os.stat_result, state: FileState) -> bool:
        stamp.observe(file_path, file_stat)
        timestamp, size, digest = state
        if file_stat.st_mtime == timestamp:
            return False
        if file_stat.st_size != size:
            return True
        return digest != self.cache().digest(file_path, file_stat)

    def get_state(self, dep: str, current_state: FileState | None) -> FileState | None:
        stat = os.stat(dep)
        before = self._before.get(dep)
        if before is not None and stamp.stat_key(stat) != before:
            doit_internals.refuse_changed_input(dep, f"input {dep} changed while the task ran; its output was not "
                                                     "recorded as up to date (run again)")
        stamp.observe(dep, stat)
        if current_state and current_state[0] == stat.st_mtime:
            return None
        return stat.st_mtime, stat.st_size, self.cache().digest(dep, stat)


def checker_for(dep_file: Path) -> type[CachedHashChecker]:
    """A checker class whose cache sits beside ``dep_file`` (doit instantiates checkers itself)."""
    return type("CachedHashChecker", (CachedHashChecker,), {"cache_path": cache_path_for(dep_file)})
