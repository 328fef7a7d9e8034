"""Sources that are no video: a still image under a video name, a folder, a pipe, a device, a URL.

Each is refused with one line that says what it is, instead of a 0.04 s "video" that passes every check, a
misleading "does not exist", a probe that waits forever on a pipe, or a URL mangled into a path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from doit.exceptions import TaskFailed

from storyexport.build import actions
from storyexport.config.model import VideoOptions
from storyexport.media import MediaError, export_video, target_spec
from storyexport.sources import source_problem

SPEC = target_spec(VideoOptions(width=180, height=320), {})


@pytest.mark.parametrize(("name", "codec", "suffix"), [("png", "png", ".png"), ("jpeg", "mjpeg", ".jpg")])
def test_a_still_image_renamed_mp4_is_not_a_video(clip: Callable[..., Path], tmp_path: Path, name: str, codec: str,
                                                   suffix: str) -> None:
    image = clip(f"still{suffix}", audio=None, duration=0.04, frames=1, **{"c:v": codec, "pix_fmt": "rgb24"
                                                                           if codec == "png" else "yuvj420p"})
    renamed = image.rename(tmp_path / "story.mp4")
    with pytest.raises(MediaError) as caught:
        export_video(renamed, tmp_path / "out" / "s.mp4", SPEC)
    assert str(caught.value) == f"story source story.mp4 is a still image ({codec}), not a video"
    assert not (tmp_path / "out" / "s.mp4").exists()


def test_an_animated_gif_still_exports(clip: Callable[..., Path], tmp_path: Path) -> None:
    gif = clip("moving.gif", audio=None, duration=1.0, **{"c:v": "gif", "pix_fmt": "rgb8"})
    result = export_video(gif, tmp_path / "out" / "s.mp4", SPEC)
    assert result.mode == "transcode" and result.probe.duration == pytest.approx(1.0, abs=0.1)


def special_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "folder.mp4").mkdir()
    os.mkfifo(tmp_path / "pipe.mp4")
    return {"folder": (tmp_path / "folder.mp4", "is a folder, not a video file"),
            "fifo": (tmp_path / "pipe.mp4", "is a named pipe (FIFO), not a video file"),
            "device": (Path("/dev/null"), "is a character device, not a video file"),
            "missing": (tmp_path / "gone.mp4", "does not exist")}


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "missing"])
def test_the_build_says_what_a_source_is(tmp_path: Path, kind: str) -> None:
    path, words = special_files(tmp_path)[kind]
    assert source_problem(path) == words
    failed = actions.export_video("s", str(path), str(tmp_path / "out" / "s.mp4"), {}, {})
    assert isinstance(failed, TaskFailed)
    assert str(failed.message) == f"story 's': source {path} {words}"


def test_the_python_api_names_a_url_source_too(tmp_path: Path) -> None:
    from storyexport import BatchExporter
    from storyexport.config import ConfigError

    idea = {"title_id": "a", "title": "A", "segment": "s", "age_group": "a"}
    with pytest.raises(ConfigError) as caught:
        BatchExporter(output_dir=tmp_path / "out").export_batch([idea], ["https://example.com/a.mp4"])
    assert "source 'https://example.com/a.mp4' is a URL; URLs are not supported" in caught.value.one_line()
