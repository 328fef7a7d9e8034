"""Make ``doit -n N`` share the CPU well: tell tasks how many jobs run at once, and start workers ready to work.

A thumbnail set splits its frame extraction over a few ffmpeg processes to finish sooner on an idle machine. Under
``doit -n 4`` on 2 cores, four such tasks already keep every core busy, and splitting each one further only adds
processes (and CPU time). doit's parallel runner knows ``N`` but tells no task, so ``run_tasks`` is wrapped to
export it as ``STORYEXPORT_JOBS`` while the workers run (forked and spawned workers inherit the environment;
``-P thread`` workers share it) and to restore the environment afterwards (a build may run inside a longer-lived
program, see ``BatchExporter``). doit is pinned to 0.37.x.

Two start-up costs are cut too. Each worker would import numpy and OpenCV on its first media task (~0.3 s of CPU
each); with ``fork`` they are imported once, just before the first worker starts (``_run_start_processes`` and
``get_next_job`` are wrapped to see that a task with actions is about to run, so a no-op never pays for them).
And numpy's OpenBLAS starts one spinning thread per core at import, for linear algebra storyexport never does:
``OPENBLAS_NUM_THREADS=1`` for the run, unless the user set it.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

from doit.runner import JobTask, JobTaskPickle, MRunner

from storyexport.build import actions
from storyexport.environment import JOBS_ENV

BLAS_ENV = "OPENBLAS_NUM_THREADS"

_original_run_tasks = MRunner.run_tasks
_original_start_processes = MRunner._run_start_processes
_original_get_next_job = MRunner.get_next_job


def _run_tasks(self: MRunner, task_dispatcher: Any) -> Any:
    saved = {name: os.environ.get(name) for name in (JOBS_ENV, BLAS_ENV)}
    os.environ[JOBS_ENV] = str(max(1, int(self.num_process)))
    os.environ.setdefault(BLAS_ENV, "1")
    try:
        return _original_run_tasks(self, task_dispatcher)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_start_processes(self: MRunner, job_q: Any, result_q: Any) -> Any:
    """doit takes one job per worker, then starts that worker: the jobs taken here decide whether to preload."""
    self._storyexport_preload = multiprocessing.get_start_method() == "fork"
    try:
        return _original_start_processes(self, job_q, result_q)
    finally:
        self._storyexport_preload = False


def _get_next_job(self: MRunner, completed: Any) -> Any:
    """A job may be "hold on" (nothing runnable yet) or a group task without actions: only a task with actions
    makes the workers worth preparing, so a no-op never imports OpenCV."""
    job = _original_get_next_job(self, completed)
    if getattr(self, "_storyexport_preload", False) and isinstance(job, JobTask | JobTaskPickle) \
            and self.tasks[job.name].actions:
        actions.preload()
        self._storyexport_preload = False
    return job


def install() -> None:
    """Idempotent; the serial runner is not wrapped (one job: the media layer's default). Only methods are
    wrapped, never ``Child``: doit's workers compare it with ``Process`` to decide how to report."""
    MRunner.run_tasks = _run_tasks
    MRunner._run_start_processes = _run_start_processes
    MRunner.get_next_job = _get_next_job
