"""Parallel builds: process and thread workers and the spawn start method give byte-identical outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from storyexport.build import doit_runner as parallel

from .conftest import Project

pytestmark = pytest.mark.slow  # doit builds with every worker kind

# Registry and report carry export dates; every other output must not depend on how it was built.
DETERMINISTIC = ("mp4", "jpg", "json")


def hashes(project: Project) -> dict[str, str]:
    return {p: digest for p, (_, digest) in project.snapshot().items()
            if p.rsplit(".", 1)[-1] in DETERMINISTIC and not p.startswith("export_registry")}


@pytest.mark.parametrize(("args", "env"), [
    (["-n", "4"], {}),
    (["-n", "4", "-P", "thread"], {}),
    (["-n", "2"], {"STORYEXPORT_MP_START": "spawn"}),
], ids=["process", "thread", "spawn"])
def test_outputs_identical_whatever_the_worker_count(fresh_project: Project, built_template, args: list[str],
                                                     env: dict[str, str]) -> None:
    result = fresh_project.doit(*args, "progress=plain", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    reference = Project(built_template)  # built in-process with 2 workers
    assert hashes(fresh_project) == hashes(reference)


DODO = '''
import os
from storyexport.build import doit_runner as parallel

parallel.install()


def record(target):
    with open(target, "w") as handle:
        handle.write(os.environ.get(parallel.JOBS_ENV, "unset") + " " + os.environ.get(parallel.BLAS_ENV, "unset"))


def task_record():
    for name in ("a", "b", "c"):
        yield {"name": name, "actions": [(record, [name + ".txt"])], "targets": [name + ".txt"]}
'''


@pytest.mark.parametrize(("args", "seen"), [
    (["-n", "3"], "3 1"),
    (["-n", "2", "-P", "thread"], "2 1"),
    ([], "unset unset"),
], ids=["processes", "threads", "serial"])
def test_tasks_learn_how_many_jobs_share_the_cpu(tmp_path, args: list[str], seen: str) -> None:
    """Thumbnail tasks divide the cores by this (see ``media.ffmpeg.cpu_share``); the main process keeps its own
    environment once the run is over."""
    (tmp_path / "dodo.py").write_text(DODO, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in (parallel.JOBS_ENV, parallel.BLAS_ENV)}
    # after the run, the main process writes what it has left (doit's thread runner may leave sys.stdout
    # swapped for a task's capture buffer, so not printed)
    script = ("import json, os, sys; from doit.doit_cmd import DoitMain; from doit.cmd_base import DodoTaskLoader; "
              "code = DoitMain(DodoTaskLoader()).run(sys.argv[1:]); "
              f"open('after.json', 'w').write(json.dumps([os.environ.get({parallel.JOBS_ENV!r}), "
              f"os.environ.get({parallel.BLAS_ENV!r}), 'cv2' in sys.modules])); sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path, capture_output=True, text=True,
                            env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(tmp_path / f"{n}.txt").read_text(encoding="utf-8") for n in "abc"] == [seen] * 3
    parallel_run = bool(args)  # the media modules are imported once for every worker, before the first starts
    assert json.loads((tmp_path / "after.json").read_text(encoding="utf-8")) == [None, None, parallel_run]


def test_a_parallel_noop_does_not_import_the_media_stack(tmp_path) -> None:
    """Workers are prepared (numpy, OpenCV imported before they fork) only when a task will really run."""
    (tmp_path / "dodo.py").write_text(DODO.replace('"targets": [name + ".txt"]',
                                                   '"targets": [name + ".txt"], "uptodate": [True]'),
                                      encoding="utf-8")
    script = "import sys; from doit.doit_cmd import DoitMain; from doit.cmd_base import DodoTaskLoader; " \
             "code = DoitMain(DodoTaskLoader()).run(['-n', '2']); print('cv2' in sys.modules); sys.exit(code)"
    runs = [subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                           timeout=120, check=False) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr
    assert [r.stdout.split()[-1] for r in runs] == ["True", "False"]  # built, then a no-op
