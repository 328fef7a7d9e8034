"""probe() on real tiny files: the ffmpeg-only fallback (what runs here) and ffprobe when it exists."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storyexport.media import MediaError, Probe, ffprobe_exe, probe
from storyexport.media import ffmpeg as ffmpeg_module
from storyexport.media.probe import from_ffprobe_json, probe_with_ffmpeg, probe_with_ffprobe


def test_probe_reads_every_field(clip: Callable[..., Path]) -> None:
    path = clip(duration=1.0, **{"c:a": "aac", "ar": 48000, "ac": 2})
    info = probe(path)
    assert (info.width, info.height, info.fps) == (180, 320, 30.0)
    assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.audio_codec, info.audio_sample_rate, info.audio_channels) == ("aac", 48000, 2)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert info.size == path.stat().st_size and info.bitrate > 0
    assert info.rotation == 0 and not info.variable_fps
    assert "mp4" in info.format_name
    assert json.loads(json.dumps(info.as_dict())) == info.as_dict()


@pytest.mark.parametrize(("degrees", "expected"), [(90, 90), (-90, -90), (270, -90), (180, 180)])
def test_rotation_tag_gives_displayed_size(clip: Callable[..., Path], rotated: Any, tmp_path: Path, degrees: int,
                                           expected: int) -> None:
    info = probe(rotated(clip(), tmp_path / "phone.mp4", degrees))
    assert info.rotation == expected
    assert (info.width, info.height) == ((180, 320) if expected == 180 else (320, 180))


def test_no_audio(clip: Callable[..., Path]) -> None:
    info = probe(clip(audio=None))
    assert info.audio_codec is None and info.audio_sample_rate is None and not info.has_audio


def test_audio_listed_first_and_mp3(clip: Callable[..., Path]) -> None:
    info = probe(clip("first.mkv", audio_first=True, **{"c:a": "libmp3lame"}))
    assert (info.video_codec, info.audio_codec, info.audio_channels) == ("h264", "mp3", 1)


@pytest.mark.parametrize("rate", [10, 60, 26.78])
def test_frame_rates(clip: Callable[..., Path], rate: float) -> None:
    info = probe(clip(video=f"testsrc2=size=90x160:rate={rate}", audio=None))
    assert info.fps == pytest.approx(rate, abs=0.01)


def test_variable_frame_rate_is_flagged(clip: Callable[..., Path]) -> None:
    slow_down = [("setpts", {"expr": "if(lt(N,15),N/30,(15+3*(N-15))/30)/TB"})]
    info = probe(clip(audio=None, filters=slow_down, fps_mode="vfr"))
    assert info.variable_fps


def test_missing_duration_is_filled_by_a_copy_pass(clip: Callable[..., Path]) -> None:
    """A raw H.264 stream has no timing: the demuxer assumes 25 fps, and the fallback counts the 60 packets."""
    info = probe_with_ffmpeg(clip("raw.h264", audio=None, duration=2.0, f="h264"))
    assert info.fps == 25
    assert info.duration == pytest.approx(60 / 25, abs=0.01)


def test_other_codecs_and_containers(clip: Callable[..., Path]) -> None:
    avi = probe(clip("old.avi", **{"c:v": "mpeg4", "c:a": "libmp3lame"}))
    assert (avi.video_codec, avi.audio_codec, avi.format_name) == ("mpeg4", "mp3", "avi")
    mjpeg = probe(clip("cam.mov", audio=None, **{"c:v": "mjpeg", "pix_fmt": "yuvj422p"}))
    assert (mjpeg.video_codec, mjpeg.pix_fmt) == ("mjpeg", "yuvj422p")
    rgb = probe(clip("screen.mov", audio=None, **{"c:v": "qtrle", "pix_fmt": "rgb24"}))
    assert (rgb.video_codec, rgb.pix_fmt) == ("qtrle", "rgb24")


@pytest.mark.parametrize("case", ["empty", "text", "audio-only", "truncated", "missing"])
def test_bad_files_are_one_line_errors_naming_the_file(tmp_path: Path, clip_at: Any, case: str) -> None:
    path = tmp_path / f"{case}.mp4"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "text":
        path.write_text("this is not a video\n" * 50)
    elif case == "audio-only":
        path = clip_at(tmp_path / "audio-only.m4a", video=None, **{"c:a": "aac"})
    elif case == "truncated":
        whole = clip_at(tmp_path / "whole.mp4", duration=1.0).read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(MediaError) as caught:
        probe(path)
    message = str(caught.value)
    assert path.name in message and "\n" not in message


def test_configured_ffmpeg_that_does_not_exist_is_a_clear_error(clip: Callable[..., Path],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = clip()
    monkeypatch.setenv(ffmpeg_module.FFMPEG_ENV, "/nonexistent/ffmpeg")
    monkeypatch.delenv(ffmpeg_module.FFPROBE_ENV, raising=False)
    assert ffmpeg_module.ffmpeg_exe() == "/nonexistent/ffmpeg"
    with pytest.raises(MediaError, match=r"clip\.mp4: .*cannot run ffmpeg"):
        probe_with_ffmpeg(path)


@pytest.mark.skipif(ffprobe_exe() is None, reason="no ffprobe on this machine (the ffmpeg fallback is tested)")
def test_ffprobe_and_fallback_agree(clip: Callable[..., Path], rotated: Any, tmp_path: Path) -> None:
    path = rotated(clip(), tmp_path / "rotated.mp4", -90)
    by_ffprobe: Probe = probe_with_ffprobe(path, ffprobe_exe() or "")
    fallback = probe_with_ffmpeg(path)
    assert by_ffprobe.as_dict() | {"bitrate": 0} == fallback.as_dict() | {"bitrate": 0}


def test_ffprobe_json_is_read_like_the_fallback(clip: Callable[..., Path], rotated: Any, tmp_path: Path) -> None:
    """The shape ``ffprobe -show_format -show_streams -of json`` prints for a phone clip (audio listed first,
    cover art, display matrix), checked against the fallback's reading of an equivalent real file."""
    path = rotated(clip(**{"c:a": "aac", "ar": 48000}), tmp_path / "phone.mp4", -90)
    fallback = probe_with_ffmpeg(path)
    info = {
        "streams": [
            {"codec_type": "audio", "codec_name": "aac", "sample_rate": "48000", "channels": 1},
            {"codec_type": "video", "codec_name": "mjpeg", "disposition": {"attached_pic": 1}},
            {"codec_type": "video", "codec_name": "h264", "width": 180, "height": 320, "pix_fmt": "yuv420p",
             "sample_aspect_ratio": "1:1", "avg_frame_rate": "30/1", "r_frame_rate": "30/1",
             "color_transfer": "unknown", "side_data_list": [{"side_data_type": "Display Matrix",
                                                              "rotation": -90}]},
        ],
        "format": {"format_name": "mov,mp4,m4a,3gp,3g2,mj2", "duration": f"{fallback.duration}",
                   "bit_rate": "N/A"},
    }
    parsed = from_ffprobe_json(info, path)
    assert parsed.as_dict() == fallback.as_dict() | {"bitrate": 0}
