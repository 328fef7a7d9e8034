"""The real-footage benchmark's own judgement (``bench/truth.py``, ``bench/quality_report.py``) on generated clips:
whether a clip has five distinct frames at all decides if storyexport may repeat its options."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from evaluate import MIN_DHASH, MIN_GAP, OPTIONS, Judged, run_options  # noqa: E402
from quality_report import options_verdict  # noqa: E402
from truth import Frames, decode_frames, has_distinct_frames  # noqa: E402

from .conftest import MakeClip  # noqa: E402

STILL = "testsrc2=size=160x90:rate=30,trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/TB"


def frames_of(video: Path) -> Frames:
    return decode_frames(video, [0, 0, 160, 90])


def test_a_still_has_no_five_distinct_frames_a_zoom_has(clip: MakeClip) -> None:
    still = clip("still.mp4", video=STILL, audio=None, duration=3.0)
    zoom = clip("zoom.mp4", video="mandelbrot=size=160x90:rate=30", audio=None, duration=3.0)
    assert has_distinct_frames(frames_of(still), OPTIONS, MIN_DHASH, MIN_GAP) is False
    assert has_distinct_frames(frames_of(zoom), OPTIONS, MIN_DHASH, MIN_GAP) is True
    # the same zoom in 2 s: five frames 0.5 s apart cannot exist
    short = clip("short.mp4", video="mandelbrot=size=160x90:rate=30", audio=None, duration=1.9)
    assert has_distinct_frames(frames_of(short), OPTIONS, MIN_DHASH, MIN_GAP) is False


def test_repeated_options_are_allowed_only_on_a_clip_without_five_distinct_frames(clip: MakeClip,
                                                                                  tmp_path: Path) -> None:
    still = clip("still.mp4", video=STILL, audio=None, duration=3.0)
    judged = run_options(still, tmp_path / "still").judge(frames_of(still), [])
    assert not judged.options_distinct and judged.note and judged.distinct_frames is False
    ok, verdict = options_verdict([judged])
    assert ok and verdict.startswith("allowed (the clip has no five distinct frames; the scores JSON says")
    assert judged.note in verdict


@pytest.mark.parametrize(("distinct", "note"), [(True, "options look alike"), (False, None), (None, "x")])
def test_look_alike_options_fail_unless_the_clip_lacks_distinct_frames_and_the_scores_say_why(
        distinct: bool | None, note: str | None) -> None:
    judged = Judged("generate_multiple_options", 0.0, options=[1.0, 2.0, 3.0, 4.0, 5.0], min_dhash=3, min_gap=1.0,
                    note=note, distinct_frames=distinct)
    assert options_verdict([judged]) == (False, "**FAIL**")
