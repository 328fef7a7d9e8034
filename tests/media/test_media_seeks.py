"""Many input seeks in one ffmpeg process give the same frames as a plain decode pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from storyexport.media import frames
from storyexport.media.probe import probe
from storyexport.media.seeks import chunks, run_seeks


def test_seeks_sharing_a_process_match_a_decode_pass(tmp_path: Path, clip_at: Callable) -> None:
    video = clip_at(tmp_path / "gop.mp4", video="testsrc2=size=180x320:rate=30", duration=2.0, g=15,
                    keyint_min=15, sc_threshold=0)
    info = probe(video)
    job = frames._Job(video, frames.analysis_size(info.width, info.height), frames.full_size(info))
    exact = [frames._exact_seek([t], [t], "full") for t in (0.5, 1.4)]
    anchored = frames._anchored_seek(1.0, 2, 2, 0.5 / 30, keep_full=True)
    first, second, stacked = run_seeks(job, [*exact, anchored])
    moments = frames._stacked_moments(anchored, stacked)
    assert [m.time for m in moments] == pytest.approx([1 + 2 / 30, 1.2], abs=2e-4)
    reference = job.run([m.time for m in moments], [0.5, 1.4, *(m.time for m in moments)], start=0.0, threads=None)
    assert np.array_equal(frames._exact_frames(exact[0], first, [0.5])[0.5], reference.full[0.5])
    assert np.array_equal(frames._exact_frames(exact[1], second, [1.4])[1.4], reference.full[1.4])
    for moment in moments:
        assert np.array_equal(moment.small, reference.small[moment.time])
        assert moment.full is not None and np.array_equal(moment.full, reference.full[moment.time])
    assert moments[0].after is moments[1].before  # stacked candidates share the neighbour between them


def test_chunks_deal_items_round_robin() -> None:
    assert chunks(list(range(7)), 3) == [[0, 3, 6], [1, 4], [2, 5]]
    assert chunks([1], 4) == [[1]] and chunks([], 2) == []
