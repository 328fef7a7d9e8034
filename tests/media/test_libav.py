"""Frames through libav (PyAV) are the frames the ffmpeg CLI decodes, whether read in one pass, from seeks, or
from keyframes counted by the plan, and whatever the file's start time, B-frames or rotation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import ffmpeg
import numpy as np
import pytest

from storyexport.media import frames, keyframes
from storyexport.media.ffmpeg import ffmpeg_exe
from storyexport.media.frames import FrameDecoder, Group, chunks
from storyexport.media.probe import Probe, probe
from storyexport.media.thumbs.decode import decode_plan
from storyexport.media.thumbs.fit import Fitting
from storyexport.media.thumbs.measure import measure
from storyexport.media.thumbs.plan import pass_splits, plan_candidates

RATE = 30


def cli_frames(video: Path, width: int, height: int) -> list[np.ndarray]:
    """Every frame as the ffmpeg CLI decodes it (display order, rotation applied), as I420 planes: an
    independent reference for the library's frames."""
    raw, _ = (ffmpeg.input(str(video)).output("pipe:", f="rawvideo", pix_fmt="yuv420p", fps_mode="passthrough")
              .run(cmd=ffmpeg_exe(), capture_stdout=True, capture_stderr=True))
    size = width * height * 3 // 2
    return [np.frombuffer(raw, np.uint8, size, offset).reshape(height * 3 // 2, width)
            for offset in range(0, len(raw) - size + 1, size)]


def gop_clip(clip_at: Callable, path: Path, preset: str = "ultrafast", **args: object) -> Path:
    """2 s at 30 fps, a keyframe every 0.5 s (``veryfast``: with B-frames, decoded out of display order)."""
    return clip_at(path, video=f"testsrc2=size=180x320:rate={RATE}", duration=2.0, g=15, keyint_min=15,
                   sc_threshold=0, preset=preset, **args)


@pytest.mark.parametrize("preset", ["ultrafast", "veryfast"])
def test_a_pass_and_seeks_give_the_frames_the_cli_decodes(tmp_path: Path, clip_at: Callable, preset: str) -> None:
    video = gop_clip(clip_at, tmp_path / "gop.mp4", preset)
    reference = cli_frames(video, 180, 320)
    decoder = FrameDecoder.of(video, probe(video))
    times = [0.0, 0.5, 0.6, 1.4333, 1.9667]
    passed = decoder.decode([], times)
    split = decoder.decode([], times, splits=[0.5, 1.0, 1.5])  # parts from seeks to 0.5 (0.5, 0.6), 1.0 (none), 1.5
    sought = decoder.seek([Group(0.0, (0.0,)), Group(0.45, (0.5, 0.6)), Group(1.4333, (1.4333, 1.9667))], [], times)
    assert sought is not None
    for time in times:
        expected = reference[round(time * RATE)]
        assert np.array_equal(passed.full[time], expected), time
        assert np.array_equal(split.full[time], expected), time
        assert np.array_equal(sought.full[time], expected), time
    assert passed.decoded_at == split.decoded_at == sought.decoded_at == {t: t for t in times}


def test_a_reference_only_pass_cut_at_keyframes_gives_the_frames_of_one_pass(tmp_path: Path,
                                                                              clip_at: Callable) -> None:
    """Parts read side by side from seeks to keyframes: the same frames, exact times included, as one pass;
    a cut that is no keyframe (the seek lands earlier) changes nothing either."""
    video = gop_clip(clip_at, tmp_path / "gop.mp4", "veryfast")
    decoder = FrameDecoder(video, (90, 160), (180, 320))
    times = [round(i * 0.1, 4) for i in range(20)]
    exact = [0.3, 0.7, 1.3667]
    whole = decoder.decode(times, times, exact=exact, reference_only=True)
    assert any(whole.decoded_at[t] > t + 0.001 for t in times)  # B-frames were skipped
    for splits in ([0.5, 1.0, 1.5], [0.9]):
        split = decoder.decode(times, times, exact=exact, reference_only=True, splits=splits)
        assert split.decoded_at == whole.decoded_at, splits
        for time in times:
            assert np.array_equal(split.small[time], whole.small[time]), (splits, time)
            assert np.array_equal(split.full[time], whole.full[time]), (splits, time)


def test_a_pass_is_cut_near_equal_divisions_at_keyframes() -> None:
    keys = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
    assert pass_splits(keys, [5.5, 40.0, 74.0]) == (20.0, 40.0, 60.0)
    assert pass_splits([0.0, 25.0, 50.0, 75.0], [5.5, 74.0]) == (25.0, 50.0)  # three parts: keyframes are sparse
    assert pass_splits([0.0], [1.0, 9.0]) == ()  # one keyframe: nothing to cut at
    assert pass_splits(keys, [12.0, 14.0]) == ()  # no keyframe between the first and the last time


@pytest.mark.parametrize("preset", ["ultrafast", "veryfast"])
def test_frames_counted_from_keyframes_match_a_pass_and_off_grid_times_are_refused(
        tmp_path: Path, clip_at: Callable, preset: str) -> None:
    """Groups read on from their keyframes (the frames a stretch plan counts), a group of just its keyframe
    included; a time that is not a frame's (a frame rate the probe got wrong) gives ``None``, so the caller
    decodes otherwise."""
    video = gop_clip(clip_at, tmp_path / "gop.mp4", preset)
    decoder = FrameDecoder.of(video, probe(video))
    quarter = 0.25 / RATE
    small, full = [0.5, 0.6, 0.7333, 1.5], [0.7333]
    found = decoder.seek([Group(0.5 + quarter, (0.5, 0.6, 0.7333)), Group(1.5 + quarter, (1.5,))], small, full,
                         slack=0.3 / RATE)
    skipping = decoder.seek([Group(0.5 + quarter, (0.5, 0.6, 0.7333)), Group(1.5 + quarter, (1.5,))], small, full,
                            slack=0.3 / RATE, skip_non_reference=True)  # the frames between nothing refers to
    reference = decoder.decode(small, full)
    assert found is not None and found.decoded_at == reference.decoded_at
    assert skipping is not None and skipping.decoded_at == reference.decoded_at
    for time in small:
        assert np.array_equal(found.small[time], reference.small[time]), time
        assert np.array_equal(skipping.small[time], reference.small[time]), time
    assert np.array_equal(found.full[0.7333], reference.full[0.7333])
    assert np.array_equal(skipping.full[0.7333], reference.full[0.7333])
    assert decoder.seek([Group(0.5 + quarter, (0.5, 0.55))], [0.5, 0.55], [], slack=0.3 / RATE) is None


def test_a_file_starting_late_counts_times_from_its_start(tmp_path: Path, clip_at: Callable) -> None:
    """A file whose first timestamp is not 0 (B-frame MP4s from many encoders start a frame or two late): keyframes
    are listed, seeks aimed and frames timed from its start, as the CLI counts them."""
    plain = gop_clip(clip_at, tmp_path / "plain.mp4", "veryfast")
    late = tmp_path / "late.mp4"
    ffmpeg.input(str(plain), itsoffset="0.7").output(str(late), c="copy").run(cmd=ffmpeg_exe(), quiet=True)
    keys = keyframes.listed_keyframes(late, probe(late))
    assert keys is not None and len(keys.times) == 4 and keys.times[0] < 0.1  # the audio starts a little earlier
    second = keys.times[1]
    decoder = FrameDecoder.of(late, probe(late))
    found = decoder.seek([Group(second + 0.25 / RATE, (second, frames.key(second + 4 / RATE)))], [],
                         [second, frames.key(second + 4 / RATE)], slack=0.3 / RATE)
    reference = cli_frames(late, 180, 320)
    assert found is not None
    assert np.array_equal(found.full[second], reference[15])
    assert np.array_equal(found.full[frames.key(second + 4 / RATE)], reference[19])
    passed = decoder.decode([], [second])
    assert passed.decoded_at[second] == second and np.array_equal(passed.full[second], reference[15])


def test_rotated_video_is_turned_as_the_cli_turns_it(tmp_path: Path, clip_at: Callable, rotated: Callable) -> None:
    stored = clip_at(tmp_path / "stored.mp4", video=f"testsrc2=size=320x180:rate={RATE}", duration=1.0)
    for degrees in (-90, 90, 180):
        video = rotated(stored, tmp_path / f"phone{degrees}.mp4", degrees)
        info = probe(video)
        width, height = (180, 320) if degrees % 180 else (320, 180)
        assert (info.width, info.height) == (width, height)
        decoder = FrameDecoder.of(video, info)
        found = decoder.decode([0.5], [0.5])
        assert np.array_equal(found.full[0.5], cli_frames(video, width, height)[15]), degrees
        assert found.small[0.5].shape == (*reversed(decoder.small_size), 3)


def test_a_reference_only_pass_decodes_exact_times_exactly(tmp_path: Path, clip_at: Callable) -> None:
    """``skip_frame``: candidates are the reference frames at or after their times, each exactly as in a full
    decode, while the times that must be exact (timestamps) get exactly the first frame at or after them, even
    when that is a frame nothing refers to."""
    video = clip_at(tmp_path / "bframes.mp4", video=f"testsrc2=size=180x320:rate={RATE}", audio=None,
                    duration=3.0, preset="veryfast", g=90)
    decoder = FrameDecoder(video, (90, 160), (180, 320))
    times = [round(i * 0.1, 4) for i in range(29)]
    every = decoder.decode(times, times)
    exact = [t for t in times[5:] if every.decoded_at[t] == t][:6]
    only = decoder.decode(times, times, exact=exact, reference_only=True)
    assert any(only.decoded_at[t] > every.decoded_at[t] for t in times)  # B-frames were skipped
    reference = cli_frames(video, 180, 320)
    for time, frame_time in only.decoded_at.items():
        assert frame_time >= time - 0.001
        assert np.array_equal(only.full[time], reference[round(frame_time * RATE)]), time
    assert all(only.decoded_at[t] == t for t in exact)
    info = probe(video)
    assert plan_candidates(video, info, 12).reference_only and plan_candidates(video, info, 12, [1.0]).reference_only


@pytest.mark.parametrize("name", ["a'\n#", "concat:gop.mp4", "pipe:0"])
def test_a_hostile_file_name_is_read_as_a_file(tmp_path: Path, clip_at: Callable, name: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Names libav would read as protocols (``concat:``, ``pipe:``) or that break lines are plain files."""
    video = gop_clip(clip_at, tmp_path / "gop.mp4")
    monkeypatch.chdir(tmp_path)
    hostile = Path(name)
    hostile.write_bytes(video.read_bytes())
    info = probe(hostile)
    decoder = FrameDecoder.of(hostile, info)
    found = decoder.seek([Group(0.5, (0.5,))], [], [0.5], slack=0.01)
    assert found is not None and np.array_equal(found.full[0.5], cli_frames(video, 180, 320)[15])
    assert keyframes.keyframe_times(hostile) == [0.0, 0.5, 1.0, 1.5]


def test_chunks_deal_items_round_robin() -> None:
    assert chunks(list(range(7)), 3) == [[0, 3, 6], [1, 4], [2, 5]]
    assert chunks([1], 4) == [[1]] and chunks([], 2) == []


def test_a_stretch_past_the_next_keyframe_is_charged_that_keyframe() -> None:
    """A wide neighbour one GOP on makes the stretch decode the next keyframe: the cost model counts it at a
    keyframe's size (counted as an inter frame, the wide plan looked cheaper than it is and won on 1 s GOPs)."""
    info = Probe(duration=10.0, width=768, height=576, fps=10.0, video_codec="h264", pix_fmt="yuv420p",
                 audio_codec=None, audio_sample_rate=None, audio_channels=None, bitrate=0, size=1_000_000,
                 rotation=0, format_name="mov")
    keys = keyframes.Keyframes({float(t): 80_000 for t in range(10)}, inter_bytes=10_000)
    within = keyframes.stretches_cost(info, {2.0: 10}, keys)  # frames 2.0 .. 2.9
    across = keyframes.stretches_cost(info, {2.0: 11}, keys)  # ... and 3.0, the next keyframe
    pixels = 768 * 576 * keyframes.PIXEL_COST
    assert across - within == pytest.approx(pixels + 80_000 * keyframes.BYTE_COST)


def test_listed_keyframes_are_the_frames_a_decoder_shows_as_keyframes(tmp_path: Path, clip_at: Callable) -> None:
    """B-frame MP4 with keyframes at uneven times (scene cuts): keyframes are listed at the time they are shown
    (a packet's decoding time, or a demuxer pairing keyframes with the wrong composition offsets, once listed
    6.1 s for a keyframe shown at 6.0 s, and every stretch then started a whole GOP early)."""
    video = clip_at(tmp_path / "cuts.mp4", video="testsrc2=size=180x320:rate=10", duration=12.0, g=20,
                    preset="veryfast", bf=3)
    shown = ffmpeg.input(str(video)).video.filter("showinfo").output("-", f="null")
    text = shown.run(cmd=ffmpeg_exe(), capture_stderr=True)[1].decode()
    decoded = [float(m[1]) for m in re.finditer(r"pts_time:\s*([\d.]+).*?iskey:1", text)]
    assert len(decoded) >= 3 and keyframes.keyframe_times(video) == [frames.key(t) for t in decoded]


def test_candidates_are_the_crisp_frames_of_a_clip_whose_every_other_frame_is_soft(
        tmp_path: Path, clip_at: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every odd frame blurred (as B-frames often are softer than the frames beside them): each candidate is
    the sharper of its planned frame and the ones beside it, for a pass and for stretches from keyframes."""
    soft = [("boxblur", {"luma_radius": 3, "enable": "mod(n,2)"})]
    cases = (("pass.mkv", {"c:v": "ffv1"}, "pass", 12),
             ("dense.mp4", {"g": 15, "keyint_min": 15, "sc_threshold": 0}, "stretches", 5))
    for name, args, strategy, count in cases:
        if strategy == "stretches":
            monkeypatch.setattr(keyframes, "PIXEL_COST", 1e-6)  # as if each frame were large: stretches win
        video = clip_at(tmp_path / name, video=f"testsrc2=size=180x320:rate={RATE}", audio=None, duration=6.0,
                        filters=soft, **args)
        info = probe(video)
        plan = plan_candidates(video, info, count)
        decoded = decode_plan(FrameDecoder.of(video, info), info, plan)
        assert decoded.plan.strategy == strategy
        measured = measure(decoded.moments, Fitting("pad", (180, 320)))
        frames_of = [round(c.timestamp * RATE) for c in measured.candidates]
        assert len(frames_of) == count and all(n % 2 == 0 for n in frames_of), (name, frames_of)
        assert any(round(c * RATE) % 2 for c in plan.centres)  # some planned frames were soft ones


def test_a_damaged_file_is_decoded_on_past_the_damage_as_the_cli_decodes_it(tmp_path: Path,
                                                                             clip_at: Callable) -> None:
    """Garbage in the middle of the stream (a bad download, a failing disk): the damaged packets are skipped
    and decoding goes on, as the ffmpeg CLI does, instead of failing the whole thumbnail set."""
    video = gop_clip(clip_at, tmp_path / "gop.mp4")
    data = bytearray(video.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4000] = np.random.default_rng(7).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    decoder = FrameDecoder.of(damaged, probe(damaged))
    found = decoder.decode([0.1, 1.9], [0.1, 1.9])
    assert sorted(found.full) == [0.1, 1.9]
    assert np.array_equal(found.full[0.1], cli_frames(damaged, 180, 320)[3])


def test_a_raw_stream_without_timestamps_is_counted_as_the_cli_counts_it(tmp_path: Path, clip_at: Callable) -> None:
    """A raw H.264 elementary stream carries no timestamps: frames are counted at the stream's rate from the
    start (25 fps, as the CLI and the probe count them), and a seek, which could not tell which frames it
    reached, reads on from the start instead."""
    video = clip_at(tmp_path / "raw.h264", video=f"testsrc2=size=180x320:rate={RATE}", audio=None, duration=1.0,
                    f="h264", preset="veryfast")
    info = probe(video)
    assert info.fps == 25
    decoder = FrameDecoder.of(video, info)
    reference = cli_frames(video, 180, 320)
    passed = decoder.decode([], [0.0, 0.4, 1.0])
    assert decoder.decode([], [0.0, 0.4, 1.0], splits=[0.4]).decoded_at == passed.decoded_at  # cannot seek: one pass
    sought = decoder.seek([Group(0.4, (0.4,)), Group(1.0, (1.0,))], [], [0.4, 1.0])
    assert passed.decoded_at == {0.0: 0.0, 0.4: 0.4, 1.0: 1.0} and sought is not None
    for time in (0.4, 1.0):
        assert np.array_equal(passed.full[time], reference[round(time * 25)]), time
        assert np.array_equal(sought.full[time], reference[round(time * 25)]), time
    assert decoder.seek([Group(0.4, (0.4,))], [0.4], [], slack=0.01) is None  # stretches: decode otherwise



def test_kept_scalers_give_the_pixels_of_a_fresh_one(tmp_path: Path, clip_at: Callable) -> None:
    """One scaler per thread and pixel format is reused across frames and sizes: each conversion is still
    exactly what a scaler set up for that frame gives."""
    import av

    from storyexport.media.libav import convert

    video = gop_clip(clip_at, tmp_path / "gop.mp4", "veryfast")
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            for size, pix_fmt in (((90, 160), "bgr24"), ((60, 106), "bgr24"), ((180, 320), "yuv420p")):
                fresh = frame.reformat(width=size[0], height=size[1], format=pix_fmt, interpolation="AREA")
                assert np.array_equal(convert(frame, size, pix_fmt, 0), fresh.to_ndarray()), (index, size)
