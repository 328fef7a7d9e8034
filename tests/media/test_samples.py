"""generate_sample: deterministic, valid H.264/AAC, keyframes every 2 s, the sections it promises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import pytest

from storyexport.media import generate_sample, probe, sample_sections
from storyexport.media.frames import grab_small


def test_sample_is_valid_and_deterministic(tmp_path: Path, digest: Callable, keyframes: Callable) -> None:
    first = generate_sample(tmp_path / "a.mp4", duration=4, width=90, height=160, fps=25, seed=3)
    second = generate_sample(tmp_path / "b.mp4", duration=4, width=90, height=160, fps=25, seed=3)
    other = generate_sample(tmp_path / "c.mp4", duration=4, width=90, height=160, fps=25, seed=4)
    assert digest(first) == digest(second) != digest(other)
    info = probe(first)
    assert (info.width, info.height, info.fps, info.video_codec, info.pix_fmt) == (90, 160, 25, "h264", "yuv420p")
    assert (info.audio_codec, info.audio_sample_rate) == ("aac", 48000)
    assert info.duration == pytest.approx(4, abs=0.05)
    assert keyframes(first) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "b.mp4", "c.mp4"]  # no temp files left


def test_sample_sections_are_what_they_claim(sample_clip: Path) -> None:
    sections = sample_sections(8)
    info = probe(sample_clip)
    black = sum(sections["black"]) / 2
    blur = sum(sections["blur"]) / 2
    frames = grab_small(sample_clip, info, [1.0, blur, black])
    assert frames[black].mean() < 5
    assert frames[1.0].mean() > 60
    laplacian_variance = [cv2.Laplacian(cv2.cvtColor(frames[t], cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()
                          for t in (1.0, blur)]
    assert laplacian_variance[0] > 10 * laplacian_variance[1]
