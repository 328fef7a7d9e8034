"""Run doit programmatically over a manifest (``storyexport build``, ``BatchExporter``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from doit.cmd_base import ModuleTaskLoader
from doit.doit_cmd import DoitMain

from storyexport.build.doit_types import DodoNamespace
from storyexport.build.lock import lock_file_for, project_lock
from storyexport.build.signals import sigterm_as_interrupt


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def doit_argv(command: str = "run", workers: int = 0, par_type: str = "process",
              tasks: list[str] | None = None, options: list[str] | None = None) -> list[str]:
    """``-P dask`` runs on Dask even with one worker (a LocalCluster of one process, or a scheduler's cluster)."""
    argv = [command]
    if command == "run" and (workers > 1 or par_type == "dask"):
        argv += ["-n", str(max(workers, 0)), "-P", par_type]
    return argv + list(options or []) + list(tasks or [])


# storyexport's ``run`` command (``-P dask``), as a project's doit.cfg registers it for ``doit`` itself
RUN_PLUGIN = {"COMMAND": {"run": "storyexport.build.doit_runner:Run"}}


def run_doit(namespace: DodoNamespace, argv: list[str]) -> int:
    """doit's own command line over an in-memory dodo namespace, holding the project lock; returns doit's exit
    code."""
    with project_lock(lock_file_for(namespace["DOIT_CONFIG"]["dep_file"])), sigterm_as_interrupt():
        return DoitMain(ModuleTaskLoader(namespace), config_filenames=(), extra_config=RUN_PLUGIN).run(argv)
