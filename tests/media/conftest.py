"""Tiny real clips made with the resolved ffmpeg (well under a second each), shared by the media tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ffmpeg
import pytest

from storyexport.media.ffmpeg import ffmpeg_exe
from storyexport.media.samples import generate_sample

SMALL = "180x320"
MakeClip = Callable[..., Path]


def make_clip(path: Path, video: str | None = f"testsrc2=size={SMALL}:rate=30", audio: str | None = "sine",
              duration: float = 1.0, audio_first: bool = False, input_args: dict[str, Any] | None = None,
              filters: list[tuple[str, dict[str, Any]]] | None = None, **output_args: Any) -> Path:
    """Encode lavfi sources into ``path`` (codec/container options as ffmpeg output options)."""
    streams = []
    if video:
        stream = ffmpeg.input(video, f="lavfi", t=duration, **(input_args or {}))
        for name, kwargs in filters or []:
            stream = stream.filter(name, **kwargs)
        streams.append(stream)
    if audio:
        tone = f"sine=frequency=440:sample_rate=44100:duration={duration}" if audio == "sine" else audio
        streams.append(ffmpeg.input(tone, f="lavfi", t=duration))
    if audio_first:
        streams.reverse()
    defaults = {"c:v": "libx264", "pix_fmt": "yuv420p", "preset": "ultrafast"} if video else {}
    _run_quietly(ffmpeg.output(*streams, str(path), **{**defaults, **output_args}).overwrite_output())
    return path


def rotate_tag(source: Path, target: Path, degrees: float) -> Path:
    """Remux with a display-matrix rotation (as phones record portrait video)."""
    remux = ffmpeg.input(str(source), display_rotation=f"{degrees:g}").output(str(target), c="copy")
    _run_quietly(remux.overwrite_output())
    return target


def packet_hashes(path: Path, stream: str = "v:0") -> list[str]:
    """Per-packet MD5s of a stream without decoding: equal lists mean the stream was copied, not re-encoded."""
    listing = ffmpeg.input(str(path)).output("pipe:", map=f"0:{stream}", c="copy", f="framemd5")
    output = _run_quietly(listing).decode()
    return [line.rsplit(",", 1)[1].strip() for line in output.splitlines() if line and not line.startswith("#")]


def keyframe_count(path: Path) -> int:
    """Decode keyframes only and count them (``-skip_frame nokey``)."""
    keys = ffmpeg.input(str(path), skip_frame="nokey").output("pipe:", map="0:v", f="null")
    progress = _run_quietly(keys.global_args("-progress", "pipe:1")).decode()
    return int([line for line in progress.splitlines() if line.startswith("frame=")][-1].split("=")[1])


def _run_quietly(stream: Any) -> bytes:
    stdout, _ = stream.global_args("-hide_banner", "-loglevel", "error", "-nostats").run(
        cmd=ffmpeg_exe(), capture_stdout=True, capture_stderr=True)
    return stdout


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def rotated() -> Callable[[Path, Path, float], Path]:
    return rotate_tag


@pytest.fixture
def packets() -> Callable[..., list[str]]:
    return packet_hashes


@pytest.fixture
def keyframes() -> Callable[[Path], int]:
    return keyframe_count


@pytest.fixture
def digest() -> Callable[[Path], str]:
    return file_digest


@pytest.fixture
def clip_at() -> MakeClip:
    """``make_clip(path, ...)`` for clips outside ``tmp_path``'s default name."""
    return make_clip


@pytest.fixture
def clip(tmp_path: Path) -> MakeClip:
    def factory(name: str = "clip.mp4", **kwargs: Any) -> Path:
        return make_clip(tmp_path / name, **kwargs)

    return factory


@pytest.fixture(scope="session")
def sample_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 s sample (sharp motion, a blurred stretch, a black fade) at 180x320: for frame choice tests."""
    return generate_sample(tmp_path_factory.mktemp("sample") / "sample.mp4", duration=8, width=180, height=320)
