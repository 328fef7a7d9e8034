"""export_video on real tiny clips: copy when conforming, transcode otherwise, clear errors, atomic writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import pytest

from storyexport.config.model import VideoOptions
from storyexport.media import ExportResult, MediaError, SpecError, export_video, probe, target_spec
from storyexport.media.frames import grab_full

Clip = Callable[..., Path]
SMALL = {"width": 180, "height": 320}


def spec_for(limits: dict[str, dict[str, Any]] | None = None, **options: Any):
    return target_spec(VideoOptions(**{**SMALL, **options}), limits or {})


def export(source: Path, tmp_path: Path, limits: dict | None = None, **options: Any) -> ExportResult:
    return export_video(source, tmp_path / "out" / "story.mp4", spec_for(limits, **options))


def assert_conforming_output(result: ExportResult, fps: float = 30, rate: int = 48000) -> None:
    out = result.probe
    assert (out.video_codec, out.pix_fmt, out.width, out.height) == ("h264", "yuv420p", 180, 320)
    assert out.fps == pytest.approx(fps, abs=0.01) and not out.variable_fps and out.rotation == 0
    assert (out.audio_codec, out.audio_sample_rate, out.audio_channels) == ("aac", rate, 2)


def test_conforming_source_is_stream_copied(clip: Clip, tmp_path: Path, packets: Callable) -> None:
    source = clip(**{"c:a": "aac", "ar": 48000})
    result = export(source, tmp_path)
    assert result.mode == "copy" and result.reasons == []
    target = tmp_path / "out" / "story.mp4"
    assert len(packets(source)) == 30  # 1 s at 30 fps
    assert packets(target) == packets(source)
    assert packets(target, "a:0") == packets(source, "a:0")
    data = target.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: the index comes first


def test_smaller_portrait_source_is_copied_without_upscaling(clip: Clip, tmp_path: Path) -> None:
    source = clip(video="testsrc2=size=90x160:rate=30", **{"c:a": "aac"})
    result = export(source, tmp_path)
    assert result.mode == "copy" and (result.probe.width, result.probe.height) == (90, 160)


@pytest.mark.parametrize("mode", ["copy", "transcode"])
def test_same_input_twice_gives_identical_bytes(clip: Clip, tmp_path: Path, digest: Callable, mode: str) -> None:
    source = clip(**{"c:a": "aac"})
    spec = spec_for(copy_if_conforming=mode == "copy")
    first = export_video(source, tmp_path / "a" / "story.mp4", spec)
    second = export_video(source, tmp_path / "b" / "story.mp4", spec)
    assert first.mode == second.mode == mode
    assert digest(tmp_path / "a" / "story.mp4") == digest(tmp_path / "b" / "story.mp4")


@pytest.mark.parametrize("fit", ["pad", "crop", "blur-pad"])
def test_landscape_source_is_fitted(clip: Clip, tmp_path: Path, fit: str) -> None:
    source = clip(video="testsrc2=size=320x180:rate=30")
    result = export(source, tmp_path, fit=fit)
    assert result.mode == "transcode" and any("landscape" in reason for reason in result.reasons)
    assert_conforming_output(result)
    output = tmp_path / "out" / "story.mp4"
    frame = grab_full(output, probe(output), [0.5])[0.5]
    top_band = float(frame[:60].mean())
    if fit == "pad":
        assert top_band < 20  # black bars
    else:
        assert top_band > 40  # picture (crop) or blurred picture (blur-pad) instead of bars


@pytest.mark.parametrize("degrees", [90, -90])
def test_rotated_phone_video_comes_out_upright_portrait(clip: Clip, rotated: Callable, tmp_path: Path,
                                                       degrees: int) -> None:
    # stored landscape, tagged to display portrait: the usual phone recording
    stored = clip("stored.mp4", video="testsrc2=size=320x180:rate=30")
    phone = rotated(stored, tmp_path / "phone.mp4", degrees)
    result = export(phone, tmp_path)
    assert result.mode == "transcode" and any("rotated" in reason for reason in result.reasons)
    assert_conforming_output(result)


def test_no_audio_gets_a_silent_aac_track(clip: Clip, tmp_path: Path) -> None:
    result = export(clip(audio=None), tmp_path, loudnorm=False)
    assert_conforming_output(result)
    assert result.probe.duration == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("rate", [10, 26.78, 60])
def test_odd_frame_rates_become_constant(clip: Clip, tmp_path: Path, rate: float) -> None:
    limits = {"tiktok": {"min_fps": 23, "max_fps": 30}}
    result = export(clip(video=f"testsrc2=size=180x320:rate={rate}", **{"c:a": "aac"}), tmp_path, limits)
    if rate == 26.78:
        assert result.mode == "copy"  # within tiktok's 23-30 fps: no need to re-encode
        assert result.probe.fps == pytest.approx(26.78, abs=0.01)
    else:
        assert result.mode == "transcode" and any("tiktok" in reason for reason in result.reasons)
        assert_conforming_output(result)


def test_variable_frame_rate_becomes_constant(clip: Clip, tmp_path: Path) -> None:
    slow_down = [("setpts", {"expr": "if(lt(N,15),N/30,(15+3*(N-15))/30)/TB"})]
    result = export(clip(filters=slow_down, fps_mode="vfr", **{"c:a": "aac"}), tmp_path)
    assert any("variable frame rate" in reason for reason in result.reasons)
    assert_conforming_output(result)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("mpeg4.avi", {"c:v": "mpeg4", "c:a": "libmp3lame"}),
        ("mjpeg.mov", {"c:v": "mjpeg", "pix_fmt": "yuvj422p", "c:a": "pcm_s16le"}),
        ("screen.mov", {"c:v": "qtrle", "pix_fmt": "rgb24"}),
        ("mp3.mp4", {"c:a": "libmp3lame"}),
        ("audio-first.mkv", {"audio_first": True, "c:a": "libopus"}),
    ],
)
def test_other_codecs_and_containers_are_transcoded(clip: Clip, tmp_path: Path, name: str,
                                                    options: dict[str, Any]) -> None:
    result = export(clip(name, **options), tmp_path)
    assert result.mode == "transcode"
    assert_conforming_output(result)


def test_too_long_for_a_platform_is_a_clear_error(clip: Clip, tmp_path: Path) -> None:
    source = clip("long.mp4", duration=2.0)
    with pytest.raises(MediaError) as caught:
        export(source, tmp_path, {"youtube": {"max_duration_s": 1.5}})
    assert str(caught.value) == ("story source long.mp4 is 2.0 s; youtube allows at most 1.5 s "
                                 "(set video.trim: true to cut it)")
    assert not (tmp_path / "out" / "story.mp4").exists()


def test_trim_cuts_to_the_platform_limit(clip: Clip, tmp_path: Path) -> None:
    result = export(clip("long.mp4", duration=2.0, **{"c:a": "aac"}), tmp_path, {"youtube": {"max_duration_s": 1.5}},
                    trim=True)
    assert result.probe.duration == pytest.approx(1.5, abs=0.05)
    assert_conforming_output(result)


def test_too_short_for_a_platform_is_a_clear_error(clip: Clip, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"^story source clip\.mp4 is 1\.0 s; instagram needs at least 3 s$"):
        export(clip(), tmp_path, {"instagram": {"min_duration_s": 3}})


def test_container_limit_is_checked(clip: Clip, tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"story\.mp4: instagram accepts only mov"):
        export(clip(), tmp_path, {"instagram": {"containers": ["mov"]}})


def test_file_size_limit_failure_leaves_nothing(clip: Clip, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"allows at most 0\.001 MB"):
        export(clip(), tmp_path, {"tiny": {"max_file_size_mb": 0.001}})
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("case", ["empty", "text", "audio-only", "truncated-index", "truncated-data"])
def test_bad_sources_fail_cleanly_and_leave_no_file(clip: Clip, tmp_path: Path, case: str) -> None:
    source = tmp_path / f"{case}.mp4"
    if case == "empty":
        source.write_bytes(b"")
    elif case == "text":
        source.write_text("not a video\n" * 100)
    elif case == "audio-only":
        source = clip("audio-only.m4a", video=None, **{"c:a": "aac"})
    else:
        movflags = "+faststart" if case == "truncated-data" else "-faststart"
        whole = clip("whole.mp4", duration=3.0, movflags=movflags).read_bytes()
        source.write_bytes(whole[: len(whole) // 3])
    target = tmp_path / "out" / "story.mp4"
    with pytest.raises(MediaError) as caught:
        export_video(source, target, spec_for())
    assert source.name in str(caught.value) and "\n" not in str(caught.value)
    assert not target.exists()
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_failed_export_keeps_the_previous_target(clip: Clip, tmp_path: Path) -> None:
    target = tmp_path / "out" / "story.mp4"
    target.parent.mkdir()
    target.write_bytes(b"previous")
    broken = tmp_path / "broken.mp4"
    broken.write_text("garbage")
    with pytest.raises(MediaError):
        export_video(broken, target, spec_for())
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in target.parent.iterdir()) == ["story.mp4"]


def test_loudness_normalisation_keeps_the_track(clip: Clip, tmp_path: Path) -> None:
    quiet = clip(audio="sine=frequency=300:sample_rate=44100:duration=1,volume=0.05", **{"c:a": "aac"})
    result = export(quiet, tmp_path, copy_if_conforming=False, loudnorm=True)
    assert_conforming_output(result)
    assert probe(tmp_path / "out" / "story.mp4").audio_sample_rate == 48000


@pytest.mark.parametrize("transfer", ["smpte2084", "arib-std-b67"])
def test_hdr_phone_video_is_tone_mapped_to_sdr(clip: Clip, tmp_path: Path, transfer: str) -> None:
    tags = {"color_primaries": "bt2020", "color_trc": transfer, "colorspace": "bt2020nc", "range": "tv"}
    source = clip("hdr.mp4", filters=[("setparams", tags), ("format", {"pix_fmts": "yuv420p10le"})],
                  **{"pix_fmt": "yuv420p10le", "c:a": "aac"})
    assert probe(source).is_hdr and probe(source).color_transfer == transfer
    result = export(source, tmp_path)
    assert f"HDR ({transfer}) is tone-mapped to SDR" in result.reasons
    assert_conforming_output(result)
    assert result.probe.color_transfer == "bt709" and not result.probe.is_hdr


@pytest.mark.parametrize("name", ["anamorphic.mp4", "anamorphic.mkv"])
def test_anamorphic_video_is_stretched_to_square_pixels(clip: Clip, tmp_path: Path, name: str) -> None:
    codec = {"c:a": "aac"} if name.endswith(".mp4") else {"c:v": "ffv1", "pix_fmt": "yuv420p", "c:a": "aac"}
    source = clip(name, video="testsrc2=size=120x320:rate=30", filters=[("setsar", {"r": "3/2"})], **codec)
    info = probe(source)
    assert (info.sample_aspect_ratio, info.width, info.height) == ("3:2", 180, 320)
    result = export(source, tmp_path)
    assert "non-square pixels (SAR 3:2)" in result.reasons
    assert_conforming_output(result)
    assert result.probe.sample_aspect_ratio == "1:1"


def test_a_copy_reports_the_probe_of_the_written_file_without_probing_it(clip: Clip, tmp_path: Path) -> None:
    source = clip(duration=2.0, **{"c:a": "aac", "ar": 48000})
    result = export(source, tmp_path)
    written = probe(tmp_path / "out" / "story.mp4")
    assert result.mode == "copy" and result.probe.size == written.size
    assert result.probe.duration == pytest.approx(written.duration, abs=0.05)
    same = ("width", "height", "fps", "video_codec", "pix_fmt", "audio_codec", "audio_sample_rate",
            "audio_channels", "rotation", "sample_aspect_ratio", "color_transfer", "variable_fps")
    assert {k: getattr(result.probe, k) for k in same} == {k: getattr(written, k) for k in same}
    assert result.probe.bitrate == pytest.approx(written.bitrate, rel=0.1)


def boxed_clip(clip: Clip, picture: str, x: int, y: int) -> Path:
    """A conforming 180x320 H.264/AAC clip whose picture (``picture`` at ``x``, ``y``) sits inside baked-in bars."""
    return clip(video=f"testsrc2=size={picture}:rate=30",
                filters=[("pad", {"w": 180, "h": 320, "x": x, "y": y, "color": "black"})], **{"c:a": "aac"})


def edge_bands(path: Path) -> list[float]:
    """The brightest grey value in the outer 4 pixels of each side (top, bottom, left, right) at 0.5 s."""
    frame = cv2.cvtColor(grab_full(path, probe(path), [0.5])[0.5], cv2.COLOR_BGR2GRAY)
    return [float(band.max()) for band in (frame[:4], frame[-4:], frame[:, :4], frame[:, -4:])]


def test_baked_in_bars_are_kept_by_default_and_a_conforming_source_is_copied(clip: Clip, tmp_path: Path,
                                                                              packets: Callable) -> None:
    source = boxed_clip(clip, "180x100", 0, 110)
    result = export(source, tmp_path)
    assert result.mode == "copy" and result.reasons == []
    assert packets(tmp_path / "out" / "story.mp4") == packets(source)
    top, bottom, _, _ = edge_bands(tmp_path / "out" / "story.mp4")
    assert top < 20 and bottom < 20


@pytest.mark.parametrize(("picture", "x", "y"), [("180x100", 0, 110), ("100x320", 40, 0)],
                         ids=["letterbox", "pillarbox"])
@pytest.mark.parametrize("fit", ["crop", "blur-pad"])
def test_remove_bars_refits_the_picture_without_bars(clip: Clip, tmp_path: Path, picture: str, x: int, y: int,
                                                     fit: str) -> None:
    source = boxed_clip(clip, picture, x, y)
    result = export(source, tmp_path, remove_bars=True, fit=fit)
    assert result.mode == "transcode"
    w, h = picture.split("x")
    assert any(f"baked-in bars removed (video.remove_bars): picture {w}x{h} at {x},{y}" in r for r in result.reasons)
    assert_conforming_output(result)
    assert min(edge_bands(tmp_path / "out" / "story.mp4")) > 40  # picture (or its blurred copy) on every side


def test_remove_bars_leaves_a_source_without_bars_stream_copied(clip: Clip, tmp_path: Path,
                                                                packets: Callable) -> None:
    source = clip(**{"c:a": "aac"})
    result = export(source, tmp_path, remove_bars=True, fit="crop")
    assert result.mode == "copy" and result.reasons == []
    assert packets(tmp_path / "out" / "story.mp4") == packets(source)
