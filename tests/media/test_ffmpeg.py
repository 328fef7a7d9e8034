"""Which ffmpeg/ffprobe storyexport runs: the variable, then PATH, then imageio-ffmpeg's bundled binary."""

from __future__ import annotations

import os
from pathlib import Path

import imageio_ffmpeg
import pytest

from storyexport.media import ffmpeg as tools


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No variables set and a PATH holding only an empty folder."""
    monkeypatch.delenv(tools.FFMPEG_ENV, raising=False)
    monkeypatch.delenv(tools.FFPROBE_ENV, raising=False)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    tools._resolve_ffmpeg.cache_clear()
    yield empty
    tools._resolve_ffmpeg.cache_clear()


def link(folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / name
    os.symlink(imageio_ffmpeg.get_ffmpeg_exe(), target)
    return target


def test_bundled_binary_when_nothing_else(bare_env: Path) -> None:
    assert tools.ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    assert tools.ffprobe_exe() is None


def test_bundled_binary_still_found_if_imageio_internals_change(bare_env: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import imageio_ffmpeg._definitions

    monkeypatch.setattr(imageio_ffmpeg._definitions, "FNAME_PER_PLATFORM", {})
    assert tools._bundled_binary() is None
    assert tools.ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()


def test_path_beats_bundled_and_ffprobe_beside_it_is_found(bare_env: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bin"
    ffmpeg = link(folder, "ffmpeg")
    monkeypatch.setenv("PATH", str(folder))
    assert tools.ffmpeg_exe() == str(ffmpeg)
    assert tools.ffprobe_exe() is None
    ffprobe = link(folder, "ffprobe")
    assert tools.ffprobe_exe() == str(ffprobe)


def test_variables_win(bare_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ffmpeg = link(tmp_path / "custom", "my-ffmpeg")
    monkeypatch.setenv(tools.FFMPEG_ENV, str(ffmpeg))
    monkeypatch.setenv(tools.FFPROBE_ENV, "/opt/ffprobe")
    assert tools.ffmpeg_exe() == str(ffmpeg)
    assert tools.ffprobe_exe() == "/opt/ffprobe"


def test_threads_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tools.THREADS_ENV, "3")
    assert tools.thread_count() == 3
    monkeypatch.setenv(tools.THREADS_ENV, "lots")
    assert tools.thread_count() == max(1, min(16, os.cpu_count() or 2))


def test_cpu_share_divides_the_cores_among_parallel_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    cores = os.cpu_count() or 2
    monkeypatch.delenv(tools.THREADS_ENV, raising=False)
    monkeypatch.delenv(tools.JOBS_ENV, raising=False)
    assert tools.cpu_share() == cores
    monkeypatch.setenv(tools.JOBS_ENV, "2")
    assert tools.cpu_share() == max(1, cores // 2)
    monkeypatch.setenv(tools.JOBS_ENV, str(4 * cores))
    assert tools.cpu_share() == 1
    monkeypatch.setenv(tools.THREADS_ENV, "3")  # an explicit thread count wins
    assert tools.cpu_share() == 3
    assert tools.thread_count() == 3
    monkeypatch.delenv(tools.THREADS_ENV)
    assert tools.thread_count() == max(1, min(16, cores))  # encodes never depend on -n (x264 output would)


def test_reason_from_stderr_keeps_each_cause_once() -> None:
    stderr = ("[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d0c3a2c880] moov atom not found\n"
              "[in#0 @ 0x55d0c3a2b9c0] Error opening input: Invalid data found when processing input\n"
              "Error opening input file /tmp/x/broken.mp4.\n"
              "Error opening input files: Invalid data found when processing input\n")
    assert tools.reason_from_stderr(stderr) == ("moov atom not found; "
                                                "Error opening input: Invalid data found when processing input")
    assert str(tools.media_error(Path("/tmp/x/broken.mp4"), "cannot read media", stderr)).startswith(
        "broken.mp4: cannot read media: moov atom not found")
