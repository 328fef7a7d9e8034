"""Frame metrics, rejection, ranking and distinct picks on synthetic images, and frame grabbing consistency."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from storyexport.media.analysis import FACE_LEADERS, Analysis, _candidate, _features, analyse, spread_times
from storyexport.media.frames import _by_seeking, _group, _Job, analysis_size, full_size, grab_moments, to_bgr
from storyexport.media.probe import probe
from storyexport.media.scores import (
    Candidate,
    colourfulness,
    dhash,
    frame_metrics,
    hsv_histogram,
    pick_distinct,
    rank_normalised,
    rejection,
    score_candidates,
)


def textured(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (60, 34, 3), dtype=np.uint8)
    return cv2.resize(small, (270, 480), interpolation=cv2.INTER_NEAREST)


def flat(value: int) -> np.ndarray:
    return np.full((480, 270, 3), value, np.uint8)


def test_sharp_beats_blurred_on_both_sharpness_measures() -> None:
    sharp = textured()
    blurred = cv2.GaussianBlur(sharp, (0, 0), 6)
    a, b = frame_metrics(sharp), frame_metrics(blurred)
    assert a["sharpness"] > 10 * b["sharpness"] and a["tenengrad"] > 3 * b["tenengrad"]


def test_rejects_black_uniform_fade_and_transition() -> None:
    image = textured()
    assert rejection(frame_metrics(flat(5)), flat(5), None, None) == "black"
    assert rejection(frame_metrics(flat(128)), flat(128), None, None) == "uniform"
    darker, darkest = (image * 0.7).astype(np.uint8), (image * 0.4).astype(np.uint8)
    assert rejection(frame_metrics(darker), darker, image, darkest) == "fade"
    other = textured(1)
    assert rejection(frame_metrics(image), image, image, other) == "transition"
    assert rejection(frame_metrics(image), image, image, image) is None


def test_integer_colourfulness_equals_the_float_formula() -> None:
    rng = np.random.default_rng(7)
    images = [rng.integers(0, 256, (48, 27, 3), dtype=np.uint8), np.full((8, 8, 3), (10, 200, 90), np.uint8)]
    for image in images:
        blue, green, red = (image[..., i].astype(np.float64) for i in range(3))
        rg, yb = red - green, (red + green) / 2 - blue
        expected = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
        assert colourfulness(image) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_rank_normalised_handles_ties() -> None:
    assert rank_normalised([3.0, 1.0, 2.0]) == [1.0, 0.0, 0.5]
    assert rank_normalised([1.0, 1.0, 2.0]) == [0.25, 0.25, 1.0]
    assert rank_normalised([5.0]) == [1.0]


def candidate(time: float, image: np.ndarray, rejected: str | None = None) -> Candidate:
    return Candidate(time, frame_metrics(image), rejected, dhash=dhash(image), histogram=hsv_histogram(image))


def test_blurred_frames_lose_to_sharp_ones_whatever_the_method() -> None:
    sharp, blurred = textured(), cv2.GaussianBlur(textured(), (0, 0), 8)
    bright_blur = cv2.convertScaleAbs(blurred, alpha=1.0, beta=60)
    for method in ("sharpness", "brightness", "contrast", "combined"):
        pool = [candidate(1.0, bright_blur), candidate(2.0, sharp)]
        score_candidates(pool, method)
        assert max(pool, key=lambda c: c.score).timestamp == 2.0, method


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown thumbnail method 'prettiest'"):
        score_candidates([candidate(1.0, textured())], "prettiest")


def test_pick_distinct_respects_gap_skips_rejected_and_prefers_different_frames() -> None:
    same = textured(0)
    pool = [candidate(1.0, same), candidate(1.2, same), candidate(3.0, same), candidate(5.0, textured(1)),
            candidate(7.0, flat(3), rejected="black")]
    for c, score in zip(pool, (0.9, 0.8, 0.7, 0.1, 1.0), strict=True):
        c.score = score
    picks = pick_distinct(pool, 2, min_gap=1.0)
    assert [p.timestamp for p in picks] == [1.0, 5.0]  # 3.0 looks identical to 1.0; 7.0 is rejected
    relaxed = pick_distinct(pool, 3, min_gap=1.0)
    assert sorted(p.timestamp for p in relaxed) == [1.0, 3.0, 5.0]


def test_analysis_size_keeps_shape_and_never_upscales() -> None:
    assert analysis_size(1080, 1920) == (270, 480)
    assert analysis_size(1920, 1080) == (480, 270)
    assert analysis_size(180, 320) == (180, 320)


def test_seeking_and_single_decode_return_the_same_frames(sample_clip: Path) -> None:
    small, full = [0.5, 0.7, 1.6, 4.0, 4.2, 7.0], [0.7, 3.0, 7.0]
    job = _Job(sample_clip, (90, 160), (180, 320))
    seeked = _by_seeking(job, _group(sorted(set(small) | set(full))), set(small), set(full))
    decoded = job.run(small, full, start=0.0, threads=None)
    assert sorted(seeked.small) == sorted(decoded.small) == small
    assert sorted(seeked.full) == sorted(decoded.full) == full
    for time in small:
        assert np.array_equal(seeked.small[time], decoded.small[time]), time
    for time in full:
        assert np.array_equal(seeked.full[time], decoded.full[time]), time
        assert to_bgr(decoded.full[time]).shape == (320, 180, 3)
    assert not np.array_equal(decoded.small[0.5], decoded.small[0.7])


def test_few_candidates_sit_just_after_keyframes_and_match_a_full_decode(sample_clip: Path) -> None:
    """The sample has a keyframe every 2 s; 2 candidates + 1 exact time < 8 s / 2 take the seeking path."""
    info = probe(sample_clip)
    moments, extra = grab_moments(sample_clip, info, [1.0, 5.0], 0.2, extra_full=[2.5])
    assert [m.time for m in moments] == [0.2, 4.2]
    assert list(extra) == [2.5]
    job = _Job(sample_clip, analysis_size(info.width, info.height), full_size(info))
    decoded = job.run([0.0, 0.2, 0.4, 4.0, 4.2, 4.4], [0.2, 2.5, 4.2], start=0.0, threads=None)
    for moment in moments:
        assert np.array_equal(moment.small, decoded.small[moment.time])
        assert np.array_equal(moment.before, decoded.small[round(moment.time - 0.2, 4)])
        assert np.array_equal(moment.after, decoded.small[round(moment.time + 0.2, 4)])
        assert np.array_equal(moment.full, decoded.full[moment.time])
    assert np.array_equal(extra[2.5], decoded.full[2.5])


def test_many_candidates_are_taken_exactly_in_one_pass(sample_clip: Path) -> None:
    info = probe(sample_clip)
    times = [0.5 + 0.5 * i for i in range(12)]
    moments, _ = grab_moments(sample_clip, info, times, 0.2)
    assert [m.time for m in moments] == times
    assert moments[0].before is not None and moments[-1].after is not None


@pytest.mark.parametrize("count", [30, 3])  # one streamed decode pass / keyframe seeks
def test_scoring_while_decoding_matches_scoring_afterwards(sample_clip: Path, count: int) -> None:
    info = probe(sample_clip)
    times = spread_times(info.duration, count)
    analysed = analyse(sample_clip, info, times, "combined")
    moments, _ = grab_moments(sample_clip, info, times, 0.2)
    afterwards = [_candidate(m, _features(m.small)) for m in moments]
    score_candidates(afterwards, "combined")
    Analysis(afterwards, {m.time: m.small for m in moments}, {}, sample_clip, info, "combined").examine_leaders()
    assert [c.as_dict() for c in analysed.candidates] == [c.as_dict() for c in afterwards]


def test_options_fill_in_with_imperfect_frames_but_never_black() -> None:
    from storyexport.media.thumbnails import _options

    pool = [candidate(1.0, textured(0)), candidate(3.0, textured(1), rejected="transition"),
            candidate(5.0, textured(2), rejected="fade"), candidate(7.0, flat(3), rejected="black")]
    score_candidates(pool, "combined")
    picks = _options(pool, 3, duration=8.0, method="combined")
    assert sorted(p.timestamp for p in picks) == [1.0, 3.0, 5.0]
    assert picks[0].timestamp == 1.0  # the flawless frame leads
    assert [p.timestamp for p in _options(pool, 4, 8.0, "combined")].count(7.0) == 0


def test_faces_are_counted_on_the_leaders_and_the_picks_only(sample_clip: Path, tmp_path: Path) -> None:
    from storyexport.config.model import ThumbnailOptions
    from storyexport.layout import thumbnail_set_paths
    from storyexport.media.thumbnails import build_thumbnail_set

    options = ThumbnailOptions(num_options=3, num_candidates=30, grid=(0, 0))
    scores = build_thumbnail_set(sample_clip, thumbnail_set_paths(tmp_path, "s", options), options)
    candidates = scores["candidates"]
    examined = [c for c in candidates if c["scores"]["faces"] is not None]
    usable = sorted((c for c in candidates if c["rejected"] is None), key=lambda c: (-c["scores"]["score"],
                                                                                       c["timestamp"]))
    assert len(usable) > FACE_LEADERS and len(examined) < len(candidates)
    leaders = {c["timestamp"] for c in usable[:FACE_LEADERS]}
    assert leaders <= {c["timestamp"] for c in examined}  # faces only raise scores: leaders stay leaders
    assert all(c["scores"]["faces"] == 0.0 for c in candidates if c["rejected"])
    for pick in [scores["best"], *scores["options"]]:
        assert isinstance(pick["scores"]["faces"], float)
