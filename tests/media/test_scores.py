"""Frame metrics, rejection, ranking and distinct picks on synthetic images, and frame grabbing consistency."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from storyexport.media.frames import FrameDecoder, Group, _group, analysis_size, to_bgr
from storyexport.media.picture import PictureArea
from storyexport.media.probe import probe
from storyexport.media.scores import (
    Candidate,
    colourfulness,
    dhash,
    frame_metrics,
    grey_percentile,
    hsv_histogram,
    rank_normalised,
    score_candidates,
)
from storyexport.media.thumbs.decode import Moment, decode_plan
from storyexport.media.thumbs.fit import Fitting
from storyexport.media.thumbs.measure import measure, sharpest_stand_in
from storyexport.media.thumbs.pick import FACE_LEADERS, pick_options
from storyexport.media.thumbs.plan import plan_candidates


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


def rejections(images: list[np.ndarray], neighbours: dict[int, tuple[np.ndarray, np.ndarray]]) -> list:
    moments = [Moment(float(i), image, *neighbours.get(i, (None, None))) for i, image in enumerate(images)]
    return [c.rejected for c in measure(moments, Fitting("pad", (270, 480))).candidates]


def test_a_candidate_stands_in_for_the_sharpest_frame_beside_it_unless_that_is_a_blend() -> None:
    """A frame apart the picture is the same but its crispness is not (B-frames are often softer): the sharper
    neighbour stands in, except a frame that is a blend of the candidate's neighbours (a dissolve has the most
    edges of all)."""
    before, after = textured(1), textured(2)
    soft = cv2.GaussianBlur(textured(3), (0, 0), 2)
    crisp = textured(3)
    dissolve = cv2.addWeighted(before, 0.5, after, 0.5, 0)
    area = PictureArea(0, 0, 270, 480)
    chosen, flaw = sharpest_stand_in(Moment(1.0, soft, before, after, ((0.9667, crisp), (1.0333, soft))), area)
    assert chosen.time == 0.9667 and chosen.small is crisp and chosen.before is before and chosen.flankers == ()
    assert flaw is None
    kept, _ = sharpest_stand_in(Moment(1.0, soft, before, after, ((1.0333, dissolve),)), area)
    assert kept.time == 1.0 and kept.small is soft
    alone, _ = sharpest_stand_in(Moment(1.0, soft, before, after), area)
    assert alone.time == 1.0 and alone.small is soft
    blended, flaw = sharpest_stand_in(Moment(1.0, dissolve, before, after, ((1.0333, soft),)), area)
    assert blended.small is dissolve and flaw == "dissolve"  # the softer frame beside it does not stand in


def test_grey_percentile_is_numpys_percentile() -> None:
    rng = np.random.default_rng(3)
    for shape in [(480, 270), (7, 5), (1, 1)]:
        gray = rng.integers(0, 256, shape, dtype=np.uint8)
        for q in (0, 1, 50, 98, 99, 100):
            assert grey_percentile(gray, q) == pytest.approx(float(np.percentile(gray, q)), abs=1e-9)


def test_rejects_black_uniform_fade_and_dissolve_relative_to_the_clip() -> None:
    image, other = textured(), textured(1)
    darker, darkest = (image * 0.6).astype(np.uint8), (image * 0.2).astype(np.uint8)
    blend = cv2.addWeighted(image, 0.5, other, 0.5, 0)
    clean = [textured(seed) for seed in range(2, 8)]
    found = rejections([*clean, flat(5), flat(128), darker, blend, image],
                       {8: (image, darkest), 9: (image, other), 10: (image, image)})
    assert found == [None] * 6 + ["black", "uniform", "fade", "dissolve", None]


def test_a_night_scene_is_not_black() -> None:
    """Dim frames (mean grey ~12, brightest 1 % well above 24) in a dim clip are usable."""
    night = [(textured(seed) * 0.12).astype(np.uint8) for seed in range(6)]
    assert all(float(cv2.cvtColor(n, cv2.COLOR_BGR2GRAY).mean()) < 19 for n in night)
    assert rejections(night, {}) == [None] * 6


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


def look_alikes(count: int = 20) -> list[Candidate]:
    """A fixed camera: sharpness rising by 0.1 % a frame, everything else the same."""
    metrics = {"contrast": 55.0, "colourfulness": 42.0, "exposure": 0.94, "faces": 0.0}
    return [Candidate(float(i), {**metrics, "sharpness": 1000.0 + i}) for i in range(count)]


def combined_pick(pool: list[Candidate]) -> float:
    score_candidates(pool, "combined")
    return max(pool, key=lambda c: c.score).timestamp


def test_combined_takes_the_sharpest_of_look_alike_frames() -> None:
    pool = look_alikes()
    pool[18].metrics.update(contrast=58.6, colourfulness=41.5)  # 6 % more contrast does not show
    pool[19].metrics.update(contrast=53.0)
    assert combined_pick(pool) == 19.0


@pytest.mark.parametrize("change", [{"colourfulness": 90.0}, {"contrast": 80.0}, {"faces": 1.0}])
def test_combined_trades_a_little_sharpness_for_what_shows(change: dict[str, float]) -> None:
    pool = look_alikes()
    pool[18].metrics.update(change)
    assert combined_pick(pool) == 18.0
    pool = look_alikes()
    pool[5].metrics.update(change)  # but not for a frame outside the sharpest tenth
    assert combined_pick(pool) == 19.0


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown thumbnail method 'prettiest'"):
        score_candidates([candidate(1.0, textured())], "prettiest")


def test_options_respect_the_gap_skip_rejected_and_prefer_different_frames() -> None:
    same = textured(0)
    pool = [candidate(1.0, same), candidate(1.2, same), candidate(3.0, same), candidate(5.0, textured(1)),
            candidate(7.0, flat(3), rejected="black")]
    for c, score in zip(pool, (0.9, 0.8, 0.7, 0.1, -5.0), strict=True):
        c.score = score
    picks, note = pick_options(pool, 2, duration=4.0)
    assert [p.timestamp for p in picks] == [1.0, 5.0] and note is None  # 3.0 looks like 1.0; 7.0 is black
    relaxed, note = pick_options(pool, 3, duration=4.0)
    assert [p.timestamp for p in relaxed] == [1.0, 5.0, 3.0] and "alike" in note  # a look-alike, never black
    repeated, note = pick_options(pool[:2], 3, duration=4.0)
    assert [p.timestamp for p in repeated] == [1.0, 1.0, 1.0] and "repeat" in note  # 1.2 is too close


def test_analysis_size_keeps_shape_and_never_upscales() -> None:
    assert analysis_size(1080, 1920) == (270, 480)
    assert analysis_size(1920, 1080) == (480, 270)
    assert analysis_size(180, 320) == (180, 320)


def test_seeking_and_single_decode_return_the_same_frames(sample_clip: Path) -> None:
    small, full = [0.5, 0.7, 1.6, 4.0, 4.2, 7.0], [0.7, 3.0, 7.0]
    decoder = FrameDecoder(sample_clip, (90, 160), (180, 320))
    seeked = decoder.seek([Group(g[0], tuple(g)) for g in _group(sorted(set(small) | set(full)))], small, full)
    assert seeked is not None
    decoded = decoder.decode(small, full)
    assert sorted(seeked.small) == sorted(decoded.small) == small
    assert sorted(seeked.full) == sorted(decoded.full) == full
    assert seeked.decoded_at == decoded.decoded_at
    for time in small:
        assert np.array_equal(seeked.small[time], decoded.small[time]), time
    for time in full:
        assert np.array_equal(seeked.full[time], decoded.full[time]), time
        assert to_bgr(decoded.full[time]).shape == (320, 180, 3)
    assert not np.array_equal(decoded.small[0.5], decoded.small[0.7])


def test_many_candidates_are_taken_exactly_in_one_pass(sample_clip: Path) -> None:
    info = probe(sample_clip)
    plan = plan_candidates(sample_clip, info, 12)
    decoded = decode_plan(FrameDecoder.of(sample_clip, info), info, plan)
    assert plan.strategy == "pass" and len(decoded.moments) == len(plan.centres) == 12
    for moment, planned in zip(decoded.moments, plan.centres, strict=True):  # keyed by the frame decoded
        assert 0 <= moment.time - planned < 1 / 30
    assert decoded.moments[0].before is not None and decoded.moments[-1].after is not None


def test_options_fill_in_with_imperfect_frames_but_never_black() -> None:
    pool = [candidate(1.0, textured(0)), candidate(3.0, textured(1), rejected="dissolve"),
            candidate(5.0, textured(2), rejected="fade"), candidate(7.0, flat(3), rejected="black")]
    score_candidates(pool, "combined")
    order = sorted(pool, key=lambda c: -c.score)
    picks, _ = pick_options(order, 3, duration=8.0)
    assert sorted(p.timestamp for p in picks) == [1.0, 3.0, 5.0]
    assert picks[0].timestamp == 1.0  # the flawless frame leads
    assert [p.timestamp for p in pick_options(order[:3], 4, 8.0)[0]].count(7.0) == 0


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


def test_options_search_past_a_high_scoring_pick_that_blocks_a_distinct_set() -> None:
    """A static camera: every frame far from the best one, but the runner-up sits between the others. Taking the
    runner-up (in score order) leaves only look-alikes; the set without it is all distinct."""
    bits = lambda *spans: sum(1 << b for start, end in spans for b in range(start, end + 1))  # noqa: E731
    hashes = {1.0: 0, 3.0: bits((0, 10)), 5.0: bits((0, 6), (11, 14)), 7.0: bits((4, 10), (15, 18))}
    pool = [candidate(time, textured(0)) for time in hashes]
    for c, score in zip(pool, (0.9, 0.8, 0.7, 0.6), strict=True):
        c.dhash, c.score, c.histogram = hashes[c.timestamp], score, None
    picks, note = pick_options(pool, 3, duration=8.0)
    assert [p.timestamp for p in picks] == [1.0, 5.0, 7.0] and note is None
    two, _ = pick_options(pool, 2, duration=8.0)
    assert [p.timestamp for p in two] == [1.0, 3.0]  # in score order while that fills the set


def test_options_below_the_bar_are_the_most_different_found_and_say_so() -> None:
    hashes = {1.0: 0, 2.0: 0b1, 3.0: 0b11, 4.0: 0b1111 << 8, 5.0: 0b111 << 20}
    pool = [candidate(time, textured(0)) for time in hashes]
    for c, score in zip(pool, (0.9, 0.8, 0.7, 0.6, 0.5), strict=True):
        c.dhash, c.score, c.histogram = hashes[c.timestamp], score, None
    picks, note = pick_options(pool, 3, duration=6.0)
    assert [p.timestamp for p in picks] == [3.0, 4.0, 5.0]  # 6, 5 and 7 bits apart: no three differ more
    assert "look alike" in note and "by 5 or more" in note


def test_the_first_frames_of_a_fade_to_black_are_flagged() -> None:
    """12 % into a fade the frame is too close to its bright neighbour for the blend test, yet visibly dimmed."""
    image = textured()
    early, slight = (image * 0.88).astype(np.uint8), (image * 0.97).astype(np.uint8)
    clean = [textured(seed) for seed in range(2, 8)]
    found = rejections([*clean, early, slight], {6: (image, flat(0)), 7: (image, flat(0))})
    assert found == [None] * 6 + ["fade", None]  # a frame barely dimmer than its neighbour is left alone
