"""Tell the media layer how many tasks share the CPU, so ``doit -n N`` does not oversubscribe it.

A thumbnail set splits its frame extraction over a few ffmpeg processes to finish sooner on an idle machine. Under
``doit -n 4`` on 2 cores, four such tasks already keep every core busy, and splitting each one further only adds
processes (and CPU time). doit's parallel runner knows ``N`` but tells no task, so this wraps ``MRunner.run_tasks``
to export it as ``STORYEXPORT_JOBS`` while the workers run (forked and spawned workers inherit the environment;
``-P thread`` workers share it), and to restore the variable afterwards (a build may run inside a longer-lived
program, see ``BatchExporter``). doit is pinned to 0.37.x.
"""

from __future__ import annotations

import os
from typing import Any

from doit.runner import MRunner

JOBS_ENV = "STORYEXPORT_JOBS"  # read by storyexport.media.ffmpeg.cpu_share (not imported: media loads slowly)

_original_run_tasks = MRunner.run_tasks


def _run_tasks(self: MRunner, task_dispatcher: Any) -> Any:
    previous = os.environ.get(JOBS_ENV)
    os.environ[JOBS_ENV] = str(max(1, int(self.num_process)))
    try:
        return _original_run_tasks(self, task_dispatcher)
    finally:
        if previous is None:
            os.environ.pop(JOBS_ENV, None)
        else:
            os.environ[JOBS_ENV] = previous


def install() -> None:
    """Idempotent; the serial runner is not wrapped (one job: the media layer's default)."""
    MRunner.run_tasks = _run_tasks
