"""One build of a project at a time: an exclusive lock beside doit's database.

Two builds of the same outputs would remove each other's temp files and race on doit's database. Every command
that runs tasks or rewrites the database (``doit`` and ``doit clean/forget/ignore``, ``storyexport build``,
``BatchExporter``) takes an exclusive ``flock`` on ``{output_dir}/.storyexport/build.lock`` first. A second build
**waits** for the first to finish, after saying so in one line on stderr (Ctrl-C stops waiting). Read-only commands
(``storyexport plan`` and ``validate``, ``doit list/info/help``) take no lock, and neither does a no-op answered by
the up-to-date stamp. The operating system releases the lock when its process ends, however it ends.

The lock is re-entrant within a process (``BatchExporter`` holds it around the doit run that takes it again).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "build.lock"
READ_ONLY_DOIT_COMMANDS = frozenset({"list", "info", "help", "tabcompletion", "dumpdb"})



@dataclass
class _Held:
    handle: IO[str]
    depth: int = 1


_held: dict[str, _Held] = {}  # by the lock file's real path


def lock_file_for(dep_file: Path | str) -> Path:
    """The lock beside doit's database: what two builds of one project share is that database and its outputs."""
    return Path(dep_file).parent / LOCK_NAME


def acquire(path: Path) -> None:
    """Take the project lock at ``path`` (waiting, with a message, while another process holds it)."""
    key = os.path.realpath(path)
    if key in _held:
        _held[key].depth += 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release() or process exit
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"storyexport: another build of this project is running ({_holder(handle)}); waiting for it to "
                  f"finish (lock {os.path.relpath(path)})", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} since {time.strftime('%H:%M:%S')}\n")
    handle.flush()
    _held[key] = _Held(handle)


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "pid unknown"


def release(path: Path) -> None:
    key = os.path.realpath(path)
    entry = _held.get(key)
    if entry is None:
        return
    entry.depth -= 1
    if entry.depth == 0:
        del _held[key]
        entry.handle.close()  # closing the file releases the lock


@contextlib.contextmanager
def project_lock(path: Path) -> Iterator[None]:
    acquire(path)
    try:
        yield
    finally:
        release(path)
