"""What a build records is what it built: an input replaced mid-task, a torn or lost database, a full disk and a
``kill -9`` never make stale work count as done nor lose finished work (issue 13, items 2, 3 and 5)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyexport.media.ffmpeg import ffmpeg_exe
from storyexport.media.samples import generate_sample

from .conftest import CLIP, Project

pytestmark = pytest.mark.slow  # end-to-end doit builds, killed and resumed


def would_run(project: Project) -> set[str]:
    result = subprocess.run([sys.executable, "-m", "storyexport", "plan", "-m", str(project.manifest), "--format",
                             "json"], cwd=project.root, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return {entry["task"] for entry in json.loads(result.stdout)["would_run"]}


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_a_source_replaced_while_its_task_runs_is_not_recorded_as_up_to_date(project: Project,
                                                                              tmp_path: Path) -> None:
    """The replacement happens inside the export: a wrapper moves the new clip over the source, then runs ffmpeg."""
    replacement = project.root / "src" / "alpha.next.mp4"
    generate_sample(replacement, seed=42, **CLIP)
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\n[ -f "{replacement}" ] && mv "{replacement}" "{project.root}/src/alpha.mp4"\n'
                       f'exec "{ffmpeg_exe()}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    project.edit_story("alpha", video={"crf": 30})  # video:alpha must run
    result = project.doit("progress=plain", env={"STORYEXPORT_FFMPEG": str(wrapper), "STORYEXPORT_STAMP": "off"})
    assert not replacement.exists(), "the wrapper ran inside the task"
    failed = [line for line in result.stdout.splitlines() if line.startswith("  FAILED video:alpha")]
    assert failed == ["  FAILED video:alpha: input src/alpha.mp4 changed while the task ran; its output was not "
                      "recorded as up to date (run again)"], result.stdout + result.stderr
    assert result.returncode != 0
    no_traceback(result)
    assert "video:alpha" in would_run(project)
    again = project.doit("progress=plain")
    assert again.returncode == 0 and "video:alpha ok" in again.stdout, again.stdout + again.stderr
    assert would_run(project) == set()


@pytest.mark.parametrize("content", [b"", b'{"video:alpha": {"deps:": ', b"\x00\xff garbage", b"[1, 2]"],
                         ids=["empty", "truncated", "garbage", "not-a-database"])
def test_a_broken_database_is_recovered_with_one_warning(project: Project, content: bytes) -> None:
    database = project.out / ".storyexport" / "doit-db.json"
    database.write_bytes(content)
    result = project.doit("progress=plain")
    no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "every task will be re-verified" in warnings[0], result.stderr
    assert json.loads(database.read_text(encoding="utf-8"))["video:alpha"]
    assert would_run(project) == set()


def test_a_deleted_database_is_rebuilt_with_a_warning(project: Project) -> None:
    (project.out / ".storyexport" / "doit-db.json").unlink()
    result = project.doit("progress=plain")
    assert result.returncode == 0 and "is missing; every task will be re-verified" in result.stderr
    assert would_run(project) == set()


@pytest.fixture
def full_disk(tmp_path: Path):
    """A real 16 MB tmpfs (needs root and mount; skipped otherwise), unmounted afterwards."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for size in (65536, 4096, 1):  # down to the last byte
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_never_tears_the_database(project: Project, full_disk: Path) -> None:
    data = project.data()
    data["output_dir"] = str(full_disk / "out")
    project.write(data)
    first = project.doit("progress=plain", "video:alpha", "video:beta")
    assert first.returncode == 0, first.stdout + first.stderr
    database = full_disk / "out" / ".storyexport" / "doit-db.json"
    saved = database.read_bytes()
    filler = fill(full_disk)
    forget = project.doit("forget", "video:alpha")  # doit rewrites its database: the disk is full
    no_traceback(forget)
    assert "cannot save doit's database" in forget.stderr and "No space left on device" in forget.stderr
    assert database.read_bytes() == saved, "the previous database is kept whole"
    build = project.doit("progress=plain", "video:gamma")  # a build on the full disk: one-line failures only
    no_traceback(build)
    assert build.returncode != 0 and "FAILED video:gamma" in build.stdout, build.stdout + build.stderr
    assert json.loads(database.read_bytes())
    filler.unlink()
    later = project.doit("progress=plain", "video:alpha", "video:beta", "video:gamma")
    no_traceback(later)
    assert later.returncode == 0 and "video:gamma ok" in later.stdout, later.stdout + later.stderr
    assert "warning" not in later.stderr


def test_kill_9_keeps_the_tasks_that_finished(fresh_project: Project) -> None:
    """A serial build killed after a few tasks: the next plan reruns none of the tasks reported done."""
    process = subprocess.Popen([sys.executable, "-m", "doit", "progress=plain"], cwd=fresh_project.root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    done: list[str] = []
    deadline = time.monotonic() + 240
    assert process.stdout is not None
    while len(done) < 3 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if " ok (" in line:
            done.append(line.split()[1])
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert len(done) == 3, done
    assert process.returncode == -signal.SIGKILL
    remaining = would_run(fresh_project)
    assert remaining and not remaining & set(done), (done, remaining)
    finish = fresh_project.doit("progress=plain")
    assert finish.returncode == 0, finish.stdout + finish.stderr
    assert not {line.split()[1] for line in finish.stdout.splitlines() if " ok (" in line} & set(done)
    assert would_run(fresh_project) == set()
