"""Every use of doit's internals (beyond its documented task, reporter, checker and ``DoitMain`` API) except the
Dask runner (``dask_runner``), in one place. doit is pinned to 0.37.x; ``tests/build/test_doit_contract.py`` checks
each assumption below against the installed doit, so an upgrade fails there, loudly, before anything misbehaves.

* Tolerant aggregates: ``ExecNode.parent_status`` is wrapped so that the registry and the report run after a failed
  story (doit has no "order-only" dependency).
* Parallel runs: ``MRunner.run_tasks``, ``_run_start_processes`` and ``get_next_job`` are wrapped (jobs count for the
  media code, BLAS threads, one preload of OpenCV before forking).
* Invocation: the ``run`` command and its options are read from ``DoitCmdBase.execute``'s frame while the dodo file
  is imported (only a plain run may use the up-to-date stamp).
* The JSON database's layout (``{task: {"_values_:": {...}}}``), read by ``clean orphans``.
* ``Run._execute`` picks its parallel runner through the module global ``doit.cmd_run.MRunner``.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from storyexport.environment import JOBS_ENV

# doit is imported only when needed: a stamped no-op of ``storyexport build`` reads the invocation without it.
_originals: dict[str, Any] = {}  # the doit methods ``install`` wrapped, as doit defined them

# -- tolerant aggregates -------------------------------------------------------------------------------------------
AFTER_FAILURES = "storyexport_after_failures"  # in a task's ``meta``: its task_dep are order-only


def _parent_status(self: Any, parent_node: Any) -> None:
    """doit (with ``--continue``) marks every dependent of a failed task "UnmetDependency"; right for a story's
    chain, wrong for the aggregates: one bad story must not stop the registry and report of all the others."""
    if parent_node.run_status == "failure" and (self.task.meta or {}).get(AFTER_FAILURES):
        return
    _originals["parent_status"](self, parent_node)


# -- parallel runs ---------------------------------------------------------------------------------------------------
BLAS_ENV = "OPENBLAS_NUM_THREADS"


def _run_tasks(self: Any, task_dispatcher: Any) -> Any:
    """Tell tasks how many jobs run at once (``STORYEXPORT_JOBS``: a thumbnail set splits its frame extraction
    only over its share of the cores) and keep numpy's OpenBLAS from spinning a thread per core; restore both after
    (a build may run inside a longer-lived program, see ``BatchExporter``)."""
    saved = {name: os.environ.get(name) for name in (JOBS_ENV, BLAS_ENV)}
    os.environ[JOBS_ENV] = str(max(1, int(self.num_process)))
    os.environ.setdefault(BLAS_ENV, "1")
    try:
        return _originals["run_tasks"](self, task_dispatcher)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_start_processes(self: Any, job_q: Any, result_q: Any) -> Any:
    """doit takes one job per worker, then starts that worker: the jobs taken here decide whether to preload."""
    self._storyexport_preload = multiprocessing.get_start_method() == "fork"
    try:
        return _originals["_run_start_processes"](self, job_q, result_q)
    finally:
        self._storyexport_preload = False


def _get_next_job(self: Any, completed: Any) -> Any:
    """Only a task with actions makes forked workers worth preparing (numpy and OpenCV imported once, before the
    fork, instead of once per worker), so a no-op never imports OpenCV."""
    from doit.runner import JobTask, JobTaskPickle

    job = _originals["get_next_job"](self, completed)
    if getattr(self, "_storyexport_preload", False) and isinstance(job, JobTask | JobTaskPickle) \
            and self.tasks[job.name].actions:
        from storyexport.build import actions

        actions.preload()
        self._storyexport_preload = False
    return job


def install() -> None:
    """Idempotent. Only methods are wrapped, never ``MRunner.Child``: doit's workers compare it with ``Process``
    to decide how to report. The serial runner is left alone (one job: the media layer's default)."""
    from doit.control import ExecNode
    from doit.runner import MRunner

    for owner, name, wrapper in ((ExecNode, "parent_status", _parent_status), (MRunner, "run_tasks", _run_tasks),
                                 (MRunner, "_run_start_processes", _run_start_processes),
                                 (MRunner, "get_next_job", _get_next_job)):
        _originals.setdefault(name, getattr(owner, name))
        setattr(owner, name, wrapper)


@contextlib.contextmanager
def parallel_runner_class(runner: type) -> Iterator[None]:
    """``Run._execute`` instantiates ``doit.cmd_run.MRunner`` for ``-P process``: the Dask runner takes its place
    for one run."""
    import doit.cmd_run

    original = doit.cmd_run.MRunner
    doit.cmd_run.MRunner = runner
    try:
        yield
    finally:
        doit.cmd_run.MRunner = original


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
