"""Two builds of one project never run at once: the second waits for the first, saying so in one line, while
`plan` and `validate` need no lock (issue 13, item 6)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyexport.build.lock import LOCK_NAME, project_lock
from storyexport.media.ffmpeg import ffmpeg_exe

from .conftest import Project

pytestmark = pytest.mark.slow  # two builds at once


def gated_ffmpeg(folder: Path) -> tuple[Path, Path, Path]:
    """An ffmpeg that says it started, then waits until the gate file exists (the first build holds its lock)."""
    started, gate, wrapper = folder / "started", folder / "gate", folder / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\ntouch "{started}"\nwhile [ ! -f "{gate}" ]; do sleep 0.05; done\n'
                       f'exec "{ffmpeg_exe()}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return wrapper, started, gate


def storyexport(project: Project, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "storyexport", *args, "-m", str(project.manifest)],
                            cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)  # type: ignore[call-overload]


def wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_second_build_waits_for_the_first_and_plan_and_validate_do_not(project: Project, tmp_path: Path) -> None:
    wrapper, started, gate = gated_ffmpeg(tmp_path)
    project.edit_story("alpha", video={"crf": 30})
    first = subprocess.Popen([sys.executable, "-m", "doit", "progress=plain"], cwd=project.root, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                             env={**os.environ, "STORYEXPORT_FFMPEG": str(wrapper)})
    try:
        wait_for(started)  # the first build is inside video:alpha, holding the lock
        second = storyexport(project, "build", "--progress", "plain")
        assert second.stderr is not None
        line = second.stderr.readline()
        assert line.startswith("storyexport: another build of this project is running (pid "), line
        assert f"waiting for it to finish (lock out/.storyexport/{LOCK_NAME})" in line
        for command in (["plan"], ["validate"]):
            quick = subprocess.run([sys.executable, "-m", "storyexport", *command, "-m", str(project.manifest)],
                                   cwd=project.root, capture_output=True, text=True, timeout=60, check=False)
            assert quick.returncode == 0, quick.stdout + quick.stderr
        time.sleep(0.5)
        assert second.poll() is None, "the second build is still waiting"
        gate.touch()
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0 and "video:alpha ok" in out, out + err
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, out + err
        assert "0 task(s) run" in out, "the first build did everything; the second found it up to date"
    finally:
        gate.touch()
        for process in (first, locals().get("second")):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)


def locked_elsewhere(lock: Path) -> bool:
    """Whether another process fails to take the lock now."""
    probe = subprocess.run([sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1]); "
                            "fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)", str(lock)],
                           capture_output=True, text=True, check=False)
    return probe.returncode != 0 and "BlockingIOError" in probe.stderr


def test_the_lock_is_reentrant_in_a_process_and_released_after(tmp_path: Path) -> None:
    lock = tmp_path / ".storyexport" / LOCK_NAME
    with project_lock(lock):
        with project_lock(lock):
            assert locked_elsewhere(lock)
        assert locked_elsewhere(lock), "still held by the outer block"
    assert not locked_elsewhere(lock)
