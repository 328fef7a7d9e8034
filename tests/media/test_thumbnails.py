"""Thumbnails on a real sample clip with sharp, blurred and black stretches (180x320, 8 s)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from storyexport.config.model import ThumbnailOptions
from storyexport.layout import thumbnail_set_paths
from storyexport.media import MediaError, ThumbnailGenerator, build_thumbnail_set, keyframes, sample_sections
from storyexport.media import ffmpeg as ffmpeg_tools
from storyexport.media.frames import FrameDecoder, analysis_size
from storyexport.media.probe import probe
from storyexport.media.samples import generate_sample
from storyexport.media.scores import dhash, frame_metrics, hamming, histogram_distance, hsv_histogram
from storyexport.media.thumbs import plan as planning
from storyexport.media.thumbs.decode import decode_plan, fetch_full
from storyexport.media.thumbs.plan import plan_candidates

SECTIONS = sample_sections(8)


def in_section(timestamp: float, name: str, margin: float | None = None) -> bool:
    """Inside a stretch; the black one includes its 0.4 s fades, the blurred one a frame either side."""
    start, end = SECTIONS[name]
    margin = margin if margin is not None else (0.45 if name == "black" else 0.04)
    return start - margin <= timestamp <= end + margin


def read_jpeg(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


@pytest.mark.parametrize("candidates", [30, 3])  # one decode pass / keyframe-anchored seeks
@pytest.mark.parametrize("method", ["sharpness", "brightness", "contrast", "combined"])
def test_best_frame_is_never_black_or_blurred(sample_clip: Path, tmp_path: Path, method: str,
                                              candidates: int) -> None:
    result = ThumbnailGenerator(180, 320).find_best_frame(sample_clip, tmp_path / "best.jpg", candidates, method)
    (timestamp,) = result.timestamps
    assert not in_section(timestamp, "blur") and not in_section(timestamp, "black")
    assert result.paths == [tmp_path / "best.jpg"]
    image = read_jpeg(tmp_path / "best.jpg")
    assert image.shape == (320, 180, 3) and image.mean() > 40
    assert result.scores[0]["sharpness"] > 100


def test_generate_at_timestamps_accepts_seconds_and_percentages(sample_clip: Path, tmp_path: Path) -> None:
    result = ThumbnailGenerator(90, 160).generate_at_timestamps(sample_clip, tmp_path, [0.5, "2", "25%", "100%"])
    assert result.timestamps == [0.5, 2.0, 2.0, pytest.approx(8 - 2 / 30, abs=1e-3)]
    assert [p.name for p in result.paths] == [f"sample_at{n}.jpg" for n in range(1, 5)]
    assert all(read_jpeg(p).shape == (160, 90, 3) for p in result.paths)
    assert (tmp_path / "sample_at2.jpg").read_bytes() == (tmp_path / "sample_at3.jpg").read_bytes()


def test_bad_timestamp_is_a_clear_error(sample_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"^sample\.mp4: bad thumbnail timestamp 'soon'"):
        ThumbnailGenerator().generate_at_timestamps(sample_clip, tmp_path, ["soon"])


def test_generate_grid_draws_tiles_and_header(sample_clip: Path, tmp_path: Path) -> None:
    result = ThumbnailGenerator().generate_grid(sample_clip, tmp_path / "grid.jpg", (3, 2), title="My story")
    assert len(result.timestamps) == 6 and result.timestamps == sorted(result.timestamps)
    assert result.timestamps[0] == pytest.approx(0.56) and result.timestamps[-1] == pytest.approx(7.44)
    sheet = read_jpeg(tmp_path / "grid.jpg")
    assert sheet.shape[1] == 3 * 180 + 4 * 5
    header_rows = sheet.shape[0] - 2 * 320 - 3 * 5
    assert header_rows > 10 and sheet[:header_rows].max() > 200  # white header text on black


def test_multiple_options_are_distinct_and_never_black(sample_clip: Path, tmp_path: Path) -> None:
    result = ThumbnailGenerator(180, 320).generate_multiple_options(sample_clip, tmp_path, "story7", 4)
    assert [p.name for p in result.paths] == [f"story7_option{n}.jpg" for n in range(1, 5)]
    times = result.timestamps
    assert min(abs(a - b) for i, a in enumerate(times) for b in times[i + 1:]) >= 8 / (2 * 4)
    images = [read_jpeg(p) for p in result.paths]
    assert all(image.mean() > 40 for image in images)
    assert all(not in_section(t, "black") for t in times)
    histograms = [hsv_histogram(image) for image in images]
    assert all(histogram_distance(a, b) >= 0.2 or hamming(dhash(x), dhash(y)) >= 12
               for i, (a, x) in enumerate(zip(histograms, images, strict=True))
               for b, y in zip(histograms[i + 1:], images[i + 1:], strict=True))


def test_build_thumbnail_set_writes_every_path_and_a_scores_document(sample_clip: Path, tmp_path: Path,
                                                                     digest: Callable) -> None:
    options = ThumbnailOptions(num_options=3, num_candidates=20, grid=(2, 2))
    paths = thumbnail_set_paths(tmp_path / "story", "s1", options)
    scores = build_thumbnail_set(sample_clip, paths, options, title="Sample story")
    assert all(path.is_file() and path.stat().st_size > 0 for path in paths.all())
    assert json.loads(paths.scores.read_text()) == scores
    assert scores["video"] == "sample.mp4" and scores["duration"] == 8.0 and scores["method"] == "combined"
    assert scores["probe"] == probe(sample_clip).as_dict()  # the base metadata reuses it
    assert scores["best"]["path"] == "s1_thumbnail.jpg" and scores["best"]["rejected"] is None
    assert scores["best"]["timestamp"] == scores["options"][0]["timestamp"]
    assert [o["path"] for o in scores["options"]] == ["s1_option1.jpg", "s1_option2.jpg", "s1_option3.jpg"]
    assert len(scores["candidates"]) == 20
    rejected = {c["rejected"] for c in scores["candidates"]}
    assert "black" in rejected and rejected <= {None, "black", "fade", "dissolve", "uniform"}
    assert all(in_section(c["timestamp"], "black", 0.6) for c in scores["candidates"] if c["rejected"])
    assert [t["requested"] for t in scores["timestamps"]] == ["0.5", "25%", "50%", "75%"]
    assert [t["timestamp"] for t in scores["timestamps"]] == [0.5, 2.0, 4.0, 6.0]
    grid_times = scores["grid"]["timestamps"]
    candidate_times = {c["timestamp"] for c in scores["candidates"]}
    assert len(grid_times) == 4 and set(grid_times) <= candidate_times  # tiles reuse analysed frames
    for key in ("sharpness", "tenengrad", "brightness", "contrast", "colourfulness", "clipping", "faces"):
        assert key in scores["best"]["scores"]
    first = {path: digest(path) for path in paths.all()}
    build_thumbnail_set(sample_clip, paths, options, title="Sample story")
    assert {path: digest(path) for path in paths.all()} == first


def test_build_thumbnail_set_without_grid(sample_clip: Path, tmp_path: Path) -> None:
    options = ThumbnailOptions(num_options=2, num_candidates=8, grid=(0, 0), timestamps=("1",))
    paths = thumbnail_set_paths(tmp_path, "s2", options)
    scores = build_thumbnail_set(sample_clip, paths, options)
    assert paths.grid is None and scores["grid"] is None
    assert sorted(p.name for p in (tmp_path / "thumbnails").iterdir()) == [
        "s2_at1.jpg", "s2_option1.jpg", "s2_option2.jpg", "s2_scores.json"]


def test_thumbnails_of_a_bad_file_fail_cleanly(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_text("nope")
    options = ThumbnailOptions()
    paths = thumbnail_set_paths(tmp_path / "out", "s3", options)
    with pytest.raises(MediaError, match=r"^broken\.mp4: "):
        build_thumbnail_set(broken, paths, options)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["rotated", "odd-size"])
def test_thumbnails_of_phone_and_odd_sized_video_have_the_displayed_shape(tmp_path: Path, clip_at: Callable,
                                                                         rotated: Callable, case: str) -> None:
    if case == "rotated":
        stored = clip_at(tmp_path / "stored.mp4", video="testsrc2=size=320x180:rate=30", duration=2.0)
        video = rotated(stored, tmp_path / "phone.mp4", -90)
        expected, probed = (320, 180, 3), [180, 320]
    else:
        video = clip_at(tmp_path / "odd.mkv", video="testsrc=size=181x321:rate=30", duration=2.0,
                        **{"c:v": "ffv1", "pix_fmt": "yuv444p"})
        expected, probed = (320, 180, 3), [181, 321]  # written at even sides
    options = ThumbnailOptions(num_options=2, num_candidates=6, grid=(2, 1), timestamps=("50%",))
    paths = thumbnail_set_paths(tmp_path / "out", "phone", options)
    scores = build_thumbnail_set(video, paths, options)
    for path in (paths.best, *paths.options, *paths.at_timestamps):
        assert read_jpeg(path).shape == expected
    assert scores["size"] == probed


def test_over_the_memory_budget_winners_are_sought_again_with_identical_results(
        sample_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, digest: Callable) -> None:
    options = ThumbnailOptions(num_options=2, num_candidates=12, grid=(0, 0), timestamps=("1",))
    kept = thumbnail_set_paths(tmp_path / "kept", "s", options)
    build_thumbnail_set(sample_clip, kept, options)
    monkeypatch.setattr(planning, "FULL_FRAME_BUDGET", 0)  # keep no full-size candidate frames in memory
    sought = thumbnail_set_paths(tmp_path / "sought", "s", options)
    build_thumbnail_set(sample_clip, sought, options)
    assert [digest(p) for p in kept.all()] == [digest(p) for p in sought.all()]


@pytest.mark.parametrize("case", ["all-black", "half-second"])
def test_thumbnail_set_of_degenerate_clips_still_writes_every_path(tmp_path: Path, clip_at: Callable,
                                                                   case: str) -> None:
    source = ("color=c=black:size=90x160:rate=30", 2.0) if case == "all-black" else (
        "testsrc2=size=90x160:rate=30", 0.5)
    video = clip_at(tmp_path / f"{case}.mp4", video=source[0], duration=source[1])
    options = ThumbnailOptions(num_options=3, num_candidates=10, grid=(2, 2))
    paths = thumbnail_set_paths(tmp_path / "out", "d", options)
    scores = build_thumbnail_set(video, paths, options)
    assert all(path.is_file() for path in paths.all())
    if case == "all-black":
        assert {c["rejected"] for c in scores["candidates"]} == {"black"}
    else:
        assert scores["best"]["rejected"] is None and 0 < scores["best"]["timestamp"] < 0.5


@pytest.fixture(scope="module")
def dense_keyframe_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 8 s sample with a keyframe every 0.5 s: dense enough for keyframe-anchored candidates."""
    return generate_sample(tmp_path_factory.mktemp("dense") / "sample.mp4", duration=8, width=180, height=320,
                           keyframe_every=0.5)


def test_keyframe_times_come_from_packet_flags(dense_keyframe_clip: Path, sample_clip: Path,
                                               keyframes: Callable) -> None:
    dense = listed(dense_keyframe_clip)
    assert dense == [0.5 * i for i in range(16)] and len(dense) == keyframes(dense_keyframe_clip)
    assert listed(sample_clip) == [0.0, 2.0, 4.0, 6.0]


def listed(video: Path) -> list[float]:
    return keyframes.keyframe_times(video)


def test_sparse_keyframes_or_cheap_decodes_keep_the_single_pass(sample_clip: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    info = probe(sample_clip)
    assert plan_candidates(sample_clip, info, 20).strategy == "pass"  # a tiny clip decodes faster than stretches
    monkeypatch.setattr(keyframes, "PIXEL_COST", 1e-6)
    plan = plan_candidates(sample_clip, info, 20)
    assert plan.strategy == "pass"  # keyframes every 2 s: 20 candidates with neighbours need every frame anyway


def test_stretches_from_keyframes_when_decoding_is_costly(dense_keyframe_clip: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          digest: Callable) -> None:
    monkeypatch.setattr(keyframes, "PIXEL_COST", 1e-6)  # as if each frame were large: stretches win
    info = probe(dense_keyframe_clip)
    plan = plan_candidates(dense_keyframe_clip, info, 3)
    assert plan.strategy == "stretches" and len(plan.centres) == 3
    keys = set(listed(dense_keyframe_clip))
    assert all(plan.slots[c].keyframe in keys for c in plan.centres)
    assert all(plan.before[c] == plan.slots[c].keyframe for c in plan.centres)  # the keyframe is a neighbour
    options = ThumbnailOptions(num_options=2, num_candidates=3, grid=(2, 2))
    paths = thumbnail_set_paths(tmp_path / "a", "s", options)
    scores = build_thumbnail_set(dense_keyframe_clip, paths, options)
    assert scores["plan"]["strategy"] == "stretches"
    times = [c["timestamp"] for c in scores["candidates"]]
    assert len(times) == 3 and all(t == c or t in plan.flankers[c] for t, c in zip(times, plan.centres, strict=True))
    best = scores["best"]
    assert best["rejected"] is None and not in_section(best["timestamp"], "blur")
    assert not in_section(best["timestamp"], "black") and read_jpeg(paths.best).mean() > 40
    assert [t["timestamp"] for t in scores["timestamps"]] == [0.5, 2.0, 4.0, 6.0]
    small = cv2.resize(read_jpeg(paths.best), analysis_size(180, 320), interpolation=cv2.INTER_AREA)
    assert frame_metrics(small)["sharpness"] == pytest.approx(best["scores"]["sharpness"], rel=0.25)
    again = thumbnail_set_paths(tmp_path / "b", "s", options)
    build_thumbnail_set(dense_keyframe_clip, again, options)
    assert [digest(p) for p in paths.all()] == [digest(p) for p in again.all()]
    monkeypatch.setenv(ffmpeg_tools.THREADS_ENV, "1")  # one extraction process, as under doit -n 4: same bytes
    assert keyframes.parallel_workers() == 1
    single = thumbnail_set_paths(tmp_path / "d", "s", options)
    build_thumbnail_set(dense_keyframe_clip, single, options)
    assert [digest(p) for p in paths.all()] == [digest(p) for p in single.all()]


@pytest.mark.parametrize("codec", ["h264", "mjpeg", "h264-bframes"])  # keyframes every 0.5 s / every frame
def test_stretches_give_the_frames_a_decode_pass_gives(dense_keyframe_clip: Path, tmp_path: Path, clip_at: Callable,
                                                       monkeypatch: pytest.MonkeyPatch, codec: str) -> None:
    """Also with B-frames (decoded out of display order): stretches that once told frames apart by count gave
    frames seconds away from the ones they were labelled with; they go by time now."""
    monkeypatch.setattr(keyframes, "PIXEL_COST", 1e-6)
    source = "testsrc2=size=180x320:rate=30"
    video = {"h264": lambda: dense_keyframe_clip,
             "mjpeg": lambda: clip_at(tmp_path / "intra.avi", video=source, audio=None, duration=8.0,
                                      **{"c:v": "mjpeg", "pix_fmt": "yuvj420p", "q:v": 5}),
             "h264-bframes": lambda: clip_at(tmp_path / "bframes.mp4", video=source, audio=None, duration=8.0,
                                             g=15, keyint_min=15, sc_threshold=0, preset="veryfast")}[codec]()
    info = probe(video)
    exact = [0.5, 2.3, 4.0, 6.0]
    plan = plan_candidates(video, info, 3, exact)
    decoder = FrameDecoder.of(video, info)
    decoded = decode_plan(decoder, info, plan, exact)
    assert plan.strategy == decoded.plan.strategy == "stretches"
    reference = decoder.decode(plan.small_times(), exact)
    for moment in decoded.moments:
        assert np.array_equal(moment.small, reference.small[moment.time]), moment.time
        assert np.array_equal(moment.before, reference.small[plan.before[moment.time]])
        assert np.array_equal(moment.after, reference.small[plan.after[moment.time]])
    for time in exact:
        assert np.array_equal(decoded.full[time], reference.full[time]), time
    winners = [m.time for m in decoded.moments[::2]]
    fetch_full(decoder, info, decoded, winners)  # from their keyframes, as stretches
    again = decoder.decode([], winners)
    for time in winners:
        assert np.array_equal(decoded.full[time], again.full[time]), time
