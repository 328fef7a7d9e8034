"""Atomic writes: readers see old or new content, failures leave nothing, killed writers' temps are swept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storyexport.fsutil import atomic_path, write_json_atomic, write_text_atomic


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_stale_temps_of_a_killed_writer_are_removed_on_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "clip.mp4"
    stale = tmp_path / ".clip.mp4.abc123.tmp.mp4"
    other = tmp_path / ".other.mp4.abc123.tmp.mp4"
    stale.write_bytes(b"partial")
    other.write_bytes(b"someone else's")
    write_json_atomic(target, {"a": 1})
    assert not stale.exists() and other.exists()
    assert target.read_text() == '{\n  "a": 1\n}\n'


def test_a_folder_or_fifo_is_never_replaced(tmp_path):
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    for name, reason in (("folder", "is a folder"), ("fifo", "not a regular file")):
        with pytest.raises(OSError, match=reason):
            write_text_atomic(tmp_path / name, "x")
    assert (tmp_path / "fifo").is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "folder"]  # no temp file left
