"""Many input seeks in one ffmpeg process give the same frames as a plain decode pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from storyexport.media import frames
from storyexport.media.frame_kind import FrameKind
from storyexport.media.probe import probe
from storyexport.media.seeks import chunks, run_seeks


def test_seeks_sharing_a_process_match_a_decode_pass(tmp_path: Path, clip_at: Callable) -> None:
    video = clip_at(tmp_path / "gop.mp4", video="testsrc2=size=180x320:rate=30", duration=2.0, g=15,
                    keyint_min=15, sc_threshold=0)
    info = probe(video)
    decoder = frames.FrameDecoder.of(video, info)
    exact = [frames._exact_seek([t], [t], FrameKind.FULL) for t in (0.5, 1.4)]
    first, second = run_seeks(decoder, exact)
    reference = decoder.decode([], [0.5, 1.4])
    assert np.array_equal(frames._exact_frames(exact[0], first, [0.5])[0][0.5], reference.full[0.5])
    assert np.array_equal(frames._exact_frames(exact[1], second, [1.4])[0][1.4], reference.full[1.4])


@pytest.mark.parametrize("preset", ["ultrafast", "veryfast"])  # without and with B-frames (pts after dts)
def test_stretches_of_one_concat_input_match_a_decode_pass(tmp_path: Path, clip_at: Callable, preset: str) -> None:
    """Frames counted from keyframes (every 0.5 s), a stretch of just its keyframe included. With B-frames the
    concat demuxer's out point (a decoding time) lets a stretch run past its last frame, so counting cannot tell
    the frames apart: the stretches must refuse (``None``, the caller seeks) rather than give wrong frames."""
    video = clip_at(tmp_path / "gop.mp4", video="testsrc2=size=180x320:rate=30", duration=2.0, g=15,
                    keyint_min=15, sc_threshold=0, preset=preset)
    info = probe(video)
    decoder = frames.FrameDecoder.of(video, info)
    nudge = 0.5 / 30
    found = decoder.stretches([0.5 + nudge, 1.5 + nudge], nudge, small=[[0, 3, 7], [0]], full=[[7], []])
    if preset == "veryfast":
        assert found is None
        return
    assert found is not None
    small, full = found[FrameKind.SMALL], found[FrameKind.FULL]
    reference = decoder.decode([0.5, 0.6, 0.7333, 1.5], [0.7333])
    for image, time in zip([*small[0], *small[1]], [0.5, 0.6, 0.7333, 1.5], strict=True):
        assert np.array_equal(image, reference.small[time]), time
    assert np.array_equal(full[0][0], reference.full[0.7333]) and full[1] == []


def test_chunks_deal_items_round_robin() -> None:
    assert chunks(list(range(7)), 3) == [[0, 3, 6], [1, 4], [2, 5]]
    assert chunks([1], 4) == [[1]] and chunks([], 2) == []
