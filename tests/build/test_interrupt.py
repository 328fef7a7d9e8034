"""Ctrl-C and SIGTERM (CI cancellation) keep what finished, and never leaves a truncated file at a target path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from storyexport.media.probe import probe

from .conftest import Project

pytestmark = pytest.mark.slow  # doit builds interrupted by signals


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupt_saves_finished_work(fresh_project: Project, signum: int) -> None:
    project = fresh_project
    proc = subprocess.Popen([sys.executable, "-m", "doit", "-n", "2", "progress=jsonl"], cwd=project.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finished = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if '"event": "success"' in line:
            finished.append(line)
        if len(finished) >= 4 or time.monotonic() > deadline:
            break
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in stderr and "interrupted" in stderr
    # every video at a target path is complete (written to a temp file, then renamed)
    for video in project.out.rglob("*.mp4"):
        assert probe(video).duration > 3
    # the finished tasks were saved: a new run does not redo them
    result = project.doit("-n", "2", "progress=jsonl")
    assert result.returncode == 0, result.stderr
    rerun = {line.split('"task": "')[1].split('"')[0] for line in result.stdout.splitlines()
             if '"event": "success"' in line}
    done_before = {line.split('"task": "')[1].split('"')[0] for line in finished}
    assert done_before and not (done_before - {"registry", "report"}) & rerun
    # a worker killed mid-write may leave a temp file beside its target; the rerun of that task removes it
    assert not [p for p in project.out.rglob("*") if ".tmp" in p.name]
