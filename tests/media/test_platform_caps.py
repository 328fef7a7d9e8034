"""Every shipped platform, alone and in every combination, gives a target spec that ffmpeg can encode to.

YouTube's limits (256 GB over at most 179.5 s) once gave a 10.8 Gbit/s bitrate cap whose VBV buffer overflowed
ffmpeg's ``bufsize`` option, so a YouTube-only story whose source needed a transcode always failed.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest

from storyexport.config.model import VideoOptions
from storyexport.media import conformance_problems, export_video, target_spec
from storyexport.media.spec import H264_MAX_KBPS
from storyexport.metadata.rules import load_platform_rules
from storyexport.resources import builtin_platforms_dir

pytestmark = pytest.mark.slow  # transcodes for every platform

SHIPPED = load_platform_rules(builtin_platforms_dir())
COMBINATIONS = [group for size in range(1, len(SHIPPED) + 1) for group in combinations(sorted(SHIPPED), size)]
# Small and fast, but inside every shipped platform's minimum size, frame rate and duration.
SMALL_OPTIONS = VideoOptions(width=360, height=640, fps=24, preset="ultrafast")


def limits_of(group: tuple[str, ...]) -> dict[str, dict]:
    return {name: SHIPPED[name].get("video") or {} for name in group}


def test_every_shipped_platform_is_covered() -> None:
    assert {"youtube", "tiktok", "instagram"} <= set(SHIPPED)
    assert len(COMBINATIONS) == 2 ** len(SHIPPED) - 1


def test_a_limit_beyond_what_h264_allows_sets_no_cap() -> None:
    assert target_spec(VideoOptions(), limits_of(("youtube",))).video_bitrate_cap_kbps is None
    assert target_spec(VideoOptions(max_bitrate=5_000_000), {}).video_bitrate_cap_kbps is None


def test_a_meaningful_limit_still_wins_over_a_meaningless_one() -> None:
    spec = target_spec(VideoOptions(max_bitrate=5_000_000), {"p": {"max_bitrate_kbps": 8000}})
    assert spec.video_bitrate_cap_kbps == 8000 - 128


@pytest.mark.parametrize("group", COMBINATIONS, ids="+".join)
def test_a_source_that_needs_a_transcode_exports_for(group: tuple[str, ...], clip: Callable[..., Path],
                                                     tmp_path: Path) -> None:
    spec = target_spec(SMALL_OPTIONS, limits_of(group))
    assert spec.video_bitrate_cap_kbps is None or 64 <= spec.video_bitrate_cap_kbps < H264_MAX_KBPS
    source = clip(video="testsrc2=size=180x320:rate=24", duration=3.2, **{"c:v": "mpeg4"})
    result = export_video(source, tmp_path / "out.mp4", spec)
    assert result.mode == "transcode" and "video codec is mpeg4, not h264" in result.reasons
    assert (result.probe.video_codec, result.probe.width, result.probe.height) == ("h264", 360, 640)
    assert conformance_problems(result.probe, spec) == []
