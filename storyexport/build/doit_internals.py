"""doit's database and invocation, fenced: every use of doit's internals outside its runners (``doit_runner``).

Checked by ``tests/build/test_doit_db.py`` and ``tests/build/test_doit_contract.py``, so a doit upgrade fails there.

**The database made crash-safe**: atomic saves, automatic recovery, and a journal that survives ``kill -9``.

doit 0.37's JSON backend rewrites ``doit-db.json`` in place (a full disk leaves a 0-byte file), refuses to start on
a corrupt file with a traceback, and writes only when a run ends (``kill -9`` forgets every finished task). Here:

* **Saves** go to a temp file beside the database, are fsync'ed, then renamed over it: the file on disk is always a
  complete database. A save that fails (disk full) prints one line and leaves the previous file and the journal.
* **Loading** an empty, truncated or garbage file (or one that cannot be read) prints one warning line and starts
  from an empty database: every task is re-verified (rerun) instead of the run stopping.
* **Journal**: after each finished task the reporter calls :func:`checkpoint`, which appends that task's entry
  (or its removal) as one JSON line to ``doit-db.json.journal``, fsync'ed at most every ``FSYNC_INTERVAL_S``. The
  cost is one small write per task, whatever the project's size. Loading replays the journal over the database it
  was started from (its first line names that file's stat), so a killed build loses only the tasks that were
  running. A successful save removes the journal. A torn last line is skipped.
* Inputs that change while their task runs: :func:`before_task` lets the checker note each input's stat before
  doit checks the task; :func:`refuse_changed_input` (the checker calls it when doit records a changed input)
  fails the task, and :func:`failure_reason` turns doit's "saving success" error into that one line.

doit internals this module relies on (doit is pinned to 0.37.x; ``tests/build/test_doit_db.py`` checks them):

* ``doit.dependency.JsonDB``: its attributes ``name``, ``codec`` (``encode``/``decode``) and ``_db`` (task name ->
  dict of that task's saved values); its ``__init__(name, codec, *, module_name)`` and ``dump()`` are replaced.
* ``doit.globals.Globals.dep_manager``: the running command's ``Dependency``, with ``backend`` and ``checker``.
* ``Runner.select_task`` calls the reporter's ``get_status(task)`` in doit's main process before
  ``Dependency.get_status`` and before the task is dispatched to a worker.
* ``Runner.process_task_result`` turns a ``FileNotFoundError`` raised while saving a task's state into a failure
  of that task with the message "ERROR: Task '<name>' saving success: Dependent file '<filename>' does not exist."
* Invocation: the ``run`` command and its options are read from ``DoitCmdBase.execute``'s frame while the dodo file
  is imported (only a plain run may use the up-to-date stamp).
* The JSON database's layout (``{task: {"_values_:": {...}}}``), read by ``clean orphans``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from doit.dependency import JsonDB
from doit.globals import Globals

JOURNAL_SUFFIX = ".journal"
JOURNAL_FORMAT = 1
FSYNC_INTERVAL_S = 2.0
_SAVING_SUCCESS = re.compile(r"saving success: Dependent file '(.+)' does not exist\.")

_original_init = JsonDB.__init__
_original_dump = JsonDB.dump
_last_save_failed = False
_changed_inputs: dict[str, str] = {}  # path -> one-line reason, filled by the checker


def warn(message: str) -> None:
    print(f"storyexport: warning: {message}", file=sys.stderr, flush=True)


# -- loading ------------------------------------------------------------------------------------------------------

def _stat_id(path: str) -> list[int] | None:
    """What identifies one version of the database file: a save replaces it (new inode, mtime)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _read_database(db: Any) -> dict[str, Any]:
    """The saved database, or an empty one (with a warning) if it is empty, torn or not doit's."""
    try:
        with open(db.name, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        if os.path.exists(f"{db.name}.hashes.json"):  # a build ran here before: say why everything reruns
            warn(f"doit's database {db.name} is missing; every task will be re-verified")
        return {}
    except (OSError, ValueError) as exc:
        return _unusable(db, str(exc))
    if not text.strip():
        return _unusable(db, "it is empty")
    try:
        data = db.codec.decode(text)
    except ValueError as exc:
        return _unusable(db, str(exc).splitlines()[0])
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        return _unusable(db, "not a doit database")
    db._storyexport_loaded = text
    return data


def _unusable(db: Any, reason: str) -> dict[str, Any]:
    warn(f"doit's database {db.name} is unreadable ({reason}); every task will be re-verified")
    return {}


def _replay_journal(db: Any) -> None:
    """Apply the entries a killed or failed run journaled after the database file it started from."""
    path = db.name + JOURNAL_SUFFIX
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return
    header = _decode_line(lines[0]) if lines else None
    if not header or header.get("journal") != JOURNAL_FORMAT or header.get("base") != _stat_id(db.name):
        with contextlib.suppress(OSError):
            os.unlink(path)  # written against another version of the database: already saved, or unusable
        return
    for line in lines[1:]:
        entry = _decode_line(line)
        if entry is None or not isinstance(entry.get("task"), str):
            continue  # a line torn by the kill
        if isinstance(entry.get("data"), dict):
            db._db[entry["task"]] = entry["data"]
        else:
            db._db.pop(entry["task"], None)


def _decode_line(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _init(self: Any, name: str, codec: Any, *, module_name: str | None = None) -> None:
    self.name = name
    self.codec = codec
    self._db = _read_database(self)
    _replay_journal(self)


# -- saving -------------------------------------------------------------------------------------------------------

def _fsync_folder(folder: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _dump(self: Any) -> None:
    global _last_save_failed
    journaled = _close_journal(self)
    text = self.codec.encode(self._db)
    if not journaled and text == self.__dict__.get("_storyexport_loaded"):
        _last_save_failed = False
        return  # unchanged (a no-op run): the file on disk is already this database
    try:
        _write_atomically(self.name, text)
    except OSError as exc:
        _last_save_failed = True
        warn(f"cannot save doit's database {self.name} ({exc.strerror or exc}); the previous one is kept and "
             "this run's tasks will be re-verified")
        return
    _last_save_failed = False
    with contextlib.suppress(OSError):
        os.unlink(self.name + JOURNAL_SUFFIX)


def last_save_failed() -> bool:
    """Whether the last save of doit's database in this process failed (then no up-to-date stamp is written)."""
    return _last_save_failed


# -- the journal --------------------------------------------------------------------------------------------------

class _Journal:
    """The open journal of one database object: appended with unbuffered writes, fsync'ed now and then."""

    def __init__(self, db: Any):
        path = db.name + JOURNAL_SUFFIX
        fresh = not os.path.exists(path)
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.synced_at = time.monotonic()
        if fresh:
            self.append({"journal": JOURNAL_FORMAT, "base": _stat_id(db.name)})
        elif not _ends_with_newline(path):
            os.write(self.fd, b"\n")  # after a line torn by a kill

    def append(self, entry: dict[str, Any]) -> None:
        os.write(self.fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode("utf-8"))
        if time.monotonic() - self.synced_at >= FSYNC_INTERVAL_S:
            os.fsync(self.fd)
            self.synced_at = time.monotonic()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _close_journal(db: Any) -> bool:
    """Close the journal this database object appended to; True if there was one."""
    journal = db.__dict__.pop("_storyexport_journal", None)
    if journal is not None:
        journal.close()
    return journal is not None


def checkpoint(task_name: str) -> None:
    """Journal what doit now holds for ``task_name`` (called after doit saved or removed a finished task)."""
    manager = Globals.dep_manager
    db = getattr(manager, "backend", None)
    if not isinstance(db, JsonDB):
        return
    try:
        journal = db.__dict__.get("_storyexport_journal")
        if journal is None:
            journal = db._storyexport_journal = _Journal(db)
        journal.append({"task": task_name, "data": db._db.get(task_name)})
    except (OSError, TypeError, ValueError) as exc:
        _close_journal(db)
        db._storyexport_journal = _NoJournal()
        warn(f"cannot journal doit's database ({exc}); a killed build would rerun its finished tasks")


class _NoJournal:
    """Stands in after a journal write failed: the run goes on, saved at its end as doit always does."""

    def append(self, entry: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


# -- inputs that changed while their task ran ---------------------------------------------------------------------

class InputChangedWhileRunning(FileNotFoundError):
    """Raised by the checker while doit saves a task: doit 0.37 turns a ``FileNotFoundError`` from that step into
    a failure of the task (and forgets its state) instead of aborting the run."""


def refuse_changed_input(path: str, reason: str) -> None:
    """Fail the task being saved because ``path`` changed while it ran: its result must not count as done."""
    _changed_inputs[path] = reason
    raise InputChangedWhileRunning(2, reason, path)


def before_task(task: Any) -> None:
    """doit is about to check ``task`` (and run it if stale): let the checker note its inputs' stats.

    Called from the reporter's ``get_status`` hook, which doit calls in its main process before it decides."""
    note = getattr(getattr(Globals.dep_manager, "checker", None), "note_before", None)
    if note is not None:
        note(task.file_dep)


def failure_reason(fail: Any) -> str | None:
    """One line for doit's "saving success" error when the checker refused to record a changed input."""
    match = _SAVING_SUCCESS.search(str(getattr(fail, "message", "") or fail))
    return _changed_inputs.get(match.group(1)) if match else None


def install() -> None:
    """Idempotent: every JSON database doit opens in this process gets atomic saves, recovery and the journal.
    Called for each new task graph, so what a previous run of this process noted is forgotten."""
    JsonDB.__init__ = _init
    JsonDB.dump = _dump
    _changed_inputs.clear()


# -- invocation ------------------------------------------------------------------------------------------------------
# Options that cannot change which tasks a run finds up to date, nor what it prints.
HARMLESS_OPTIONS = frozenset({"verbosity", "failure_verbosity", "num_process", "par_type", "continue", "single",
                              "pdb", "auto_delayed_regex", "dodoFile", "cwdPath", "seek_file", "scheduler",
                              "store", "store_read_only"})


@dataclass(frozen=True)
class DodoInvocation:
    plain_run: bool
    dodo_file: str | None
    command: str | None = None  # doit's command name ("run", "list", ...), None outside doit


def _doit_execute_frame(frame: FrameType | None) -> FrameType | None:
    from doit.cmd_base import DoitCmdBase

    code = DoitCmdBase.execute.__code__
    while frame is not None and frame.f_code is not code:
        frame = frame.f_back
    return frame


def is_plain_run(command: Any, params: Any, args: Any) -> bool:
    """doit's ``run`` (or the project's ``run`` plugin, which only adds where tasks execute) of the default tasks,
    with nothing that changes what is checked or printed. Anything unexpected counts as not plain."""
    from doit.cmd_run import Run

    explicit = getattr(params, "_non_default_keys", None)
    return (isinstance(command, Run) and command.get_name() == "run" and not args and isinstance(explicit, set)
            and explicit <= HARMLESS_OPTIONS and not params.get("always")
            and params.get("outfile") in (None, sys.stdout))


def dodo_invocation(depth: int = 2) -> DodoInvocation:
    """Which doit command is loading the dodo file. doit tells a dodo file nothing about its command line; the
    command object and its parsed options (command line and config files together) are the locals of
    ``DoitCmdBase.execute``, which is on the stack while the dodo module is imported. ``depth`` 2 is the dodo
    module's frame when called from the dodo file's helper."""
    caller = sys._getframe(depth)
    dodo_file = caller.f_globals.get("__file__")
    frame = _doit_execute_frame(caller)
    if frame is None:
        return DodoInvocation(False, dodo_file)
    local = frame.f_locals
    command = local.get("self")
    return DodoInvocation(is_plain_run(command, local.get("params"), local.get("args")), dodo_file,
                          getattr(command, "name", None))


# -- the JSON database -----------------------------------------------------------------------------------------------
VALUES_KEY = "_values_:"  # doit's key for a task's saved values in its JSON backend


def recorded_values(dep_file: Path) -> dict[str, dict[str, Any]]:
    """Each task's saved values in doit's JSON database ({} when it is missing or unreadable)."""
    try:
        db = json.loads(Path(dep_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(db, dict):
        return {}
    return {name: entry.get(VALUES_KEY) or {} for name, entry in db.items() if isinstance(entry, dict)}
