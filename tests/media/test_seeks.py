"""Many input seeks in one ffmpeg process give the same frames as a plain decode pass."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import ffmpeg
import numpy as np
import pytest

from storyexport.media import frames, keyframes
from storyexport.media.ffmpeg import ffmpeg_exe
from storyexport.media.frame_kind import FrameKind
from storyexport.media.probe import Probe, probe
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
    concat demuxer's out point (a decoding time) lets a stretch run past its last frame: frames are told apart
    by time, so they still are exactly the frames a decode pass gives (counting them gave wrong ones)."""
    video = clip_at(tmp_path / "gop.mp4", video="testsrc2=size=180x320:rate=30", duration=2.0, g=15,
                    keyint_min=15, sc_threshold=0, preset=preset)
    info = probe(video)
    decoder = frames.FrameDecoder.of(video, info)
    nudge = 0.25 / 30
    found = decoder.stretches([0.5 + nudge, 1.5 + nudge], nudge, small=[[0, 3, 7], [0]], full=[[7], []],
                              frame=1 / 30)
    assert found is not None
    small, full = found[FrameKind.SMALL], found[FrameKind.FULL]
    reference = decoder.decode([0.5, 0.6, 0.7333, 1.5], [0.7333])
    for image, time in zip([*small[0], *small[1]], [0.5, 0.6, 0.7333, 1.5], strict=True):
        assert np.array_equal(image, reference.small[time]), time
    assert np.array_equal(full[0][0], reference.full[0.7333]) and full[1] == []


def test_stretches_of_a_file_starting_late_are_placed_by_its_start_time(tmp_path: Path, clip_at: Callable) -> None:
    """A file whose first timestamp is not 0 (B-frame MP4s from many encoders start a frame or two late): the
    concat demuxer's in points are file times, so without the start time every stretch would begin a keyframe
    early, or at the wrong frame."""
    plain = clip_at(tmp_path / "plain.mp4", video="testsrc2=size=180x320:rate=30", duration=2.0, g=15,
                    keyint_min=15, sc_threshold=0, preset="veryfast")
    late = tmp_path / "late.mp4"
    ffmpeg.input(str(plain), itsoffset="0.7").output(str(late), c="copy").run(cmd=ffmpeg_exe(), quiet=True)
    keys = keyframes.listed_keyframes(late, probe(late))
    assert keys is not None and abs(keys.origin - 0.7) < 0.05 and len(keys.times) >= 3
    decoder = frames.FrameDecoder.of(late, probe(late))
    nudge = 0.25 / 30
    second = keys.times[1]  # times are from the file's start, as a decode pass counts them
    found = decoder.stretches([second + nudge], nudge, small=[[0, 4]], frame=1 / 30, origin=keys.origin)
    assert found is not None
    wanted = [frames.key(second), frames.key(second + 4 / 30)]
    reference = decoder.decode(wanted, [])
    assert reference.decoded_at[wanted[0]] == wanted[0]  # the keyframe itself
    for image, time in zip(found[FrameKind.SMALL][0], wanted, strict=True):
        assert np.array_equal(image, reference.small[time]), time
    assert decoder.stretches([second + nudge], nudge, small=[[0, 4]], frame=1 / 30) is None  # as if it started at 0


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
    """B-frame MP4 with keyframes at uneven times (scene cuts): reading only the keyframe packets (``-discard
    nokey``) let the MP4 demuxer pair them with the wrong composition offsets, listing 6.1 s for a keyframe
    shown at 6.0 s, and every stretch then started a whole GOP early."""
    video = clip_at(tmp_path / "cuts.mp4", video="testsrc2=size=180x320:rate=10", duration=12.0, g=20,
                    preset="veryfast", bf=3)
    shown = ffmpeg.input(str(video)).video.filter("showinfo").output("-", f="null")
    text = shown.run(cmd=ffmpeg_exe(), capture_stderr=True)[1].decode()
    decoded = [float(m[1]) for m in re.finditer(r"pts_time:\s*([\d.]+).*?iskey:1", text)]
    assert len(decoded) >= 3 and keyframes.keyframe_times(video) == [frames.key(t) for t in decoded]
