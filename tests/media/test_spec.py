"""target_spec combines options with the strictest platform limits; conformance_problems explains copy refusals."""

from __future__ import annotations

import json

import pytest

from storyexport.config.model import VideoOptions
from storyexport.media import Probe, SpecError, TargetSpec, conformance_problems, target_spec

LIMITS = {
    "youtube": {"max_duration_s": 179.5, "codecs": ["h264", "hevc"], "containers": ["mp4", "mov"]},
    "tiktok": {"min_fps": 23, "max_fps": 60, "min_width": 360, "max_duration_s": 600, "codecs": ["h264"],
               "max_file_size_mb": 4000},
    "instagram": {"min_duration_s": 3, "max_duration_s": 900, "max_width": 1920, "max_fps": 60,
                  "max_bitrate_kbps": 25000, "max_file_size_mb": 300, "audio_sample_rates": [44100, 48000],
                  "containers": ["mp4"], "pix_fmts": ["yuv420p"], "audio_codecs": ["aac"]},
}


def conforming_probe(**changes: object) -> Probe:
    values = {"duration": 10.0, "width": 1080, "height": 1920, "fps": 30.0, "video_codec": "h264",
              "pix_fmt": "yuv420p", "audio_codec": "aac", "audio_sample_rate": 48000, "audio_channels": 2,
              "bitrate": 6_000_000, "size": 7_500_000, "rotation": 0, "format_name": "mov,mp4", **changes}
    return Probe(**values)


def test_strictest_limits_and_who_set_them() -> None:
    spec = target_spec(VideoOptions(), LIMITS)
    assert spec.max_duration_s == 179.5 and spec.source_of("max_duration_s") == "youtube"
    assert spec.min_duration_s == 3 and spec.source_of("min_duration_s") == "instagram"
    assert spec.min_fps == 23 and spec.source_of("min_fps") == "tiktok"
    assert spec.max_file_size_mb == 300 and spec.source_of("max_file_size_mb") == "instagram"
    assert spec.codecs == ("h264",)
    assert spec.containers == ("mp4",)
    assert spec.platforms == ("instagram", "tiktok", "youtube")
    assert spec.source_of("max_height") == "the video options"


def test_options_are_carried_and_bitrate_cap_respects_size_and_bitrate_limits() -> None:
    options = VideoOptions(width=720, height=1280, fps=25, fit="crop", crf=23, preset="fast", max_bitrate=8000)
    spec = target_spec(options, LIMITS)
    assert (spec.width, spec.height, spec.fps, spec.fit, spec.crf, spec.preset) == (720, 1280, 25, "crop", 23,
                                                                                    "fast")
    size_cap = 300 * 8000 * 0.95 / 179.5 - 128
    assert spec.video_bitrate_cap_kbps == pytest.approx(min(8000, 25000 - 128, size_cap), abs=0.1)


def test_no_platforms_means_no_limits() -> None:
    spec = target_spec(VideoOptions(), {})
    assert spec.max_duration_s is None and spec.codecs is None and spec.set_by == ()
    assert spec.video_bitrate_cap_kbps is None


def test_size_is_scaled_down_to_a_platform_maximum_and_fps_clamped() -> None:
    spec = target_spec(VideoOptions(width=2160, height=3840, fps=120), LIMITS)
    assert (spec.width, spec.height) == (1920, 3412)  # instagram: at most 1920 px wide, shape kept, even sides
    assert spec.fps == 60


def test_sample_rate_falls_back_to_the_nearest_allowed() -> None:
    spec = target_spec(VideoOptions(audio_sample_rate=32000), LIMITS)
    assert spec.audio_sample_rate == 44100


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        ({"a": {"codecs": ["vp9"]}, "b": {"codecs": ["h264"]}}, "no common codecs"),
        ({"a": {"min_duration_s": 20}, "b": {"max_duration_s": 10}}, "a needs min_duration_s 20 but b allows"),
        ({"a": {"codecs": ["hevc"]}}, "a accepts only hevc"),
        ({"a": {"min_width": 2000}}, "below a's min_width 2000"),
    ],
)
def test_contradictory_limits_are_one_line_errors(limits: dict, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        target_spec(VideoOptions(), limits)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_as_dict_is_json_and_stable() -> None:
    first = target_spec(VideoOptions(), LIMITS).as_dict()
    again = target_spec(VideoOptions(), dict(reversed(list(LIMITS.items())))).as_dict()
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first["set_by"]["max_duration_s"] == "youtube"


def test_conforming_probe_has_no_problems() -> None:
    assert conformance_problems(conforming_probe(), target_spec(VideoOptions(), LIMITS)) == []


def test_smaller_portrait_source_still_conforms() -> None:
    assert conformance_problems(conforming_probe(width=720, height=1280), TargetSpec()) == []


def test_the_default_spec_is_the_default_video_options_without_limits() -> None:
    assert TargetSpec() == target_spec(VideoOptions(), {})


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"video_codec": "hevc"}, "video codec is hevc"),
        ({"pix_fmt": "yuv444p"}, "pixel format is yuv444p"),
        ({"audio_codec": None, "audio_sample_rate": None, "audio_channels": None}, "no audio track"),
        ({"audio_codec": "mp3"}, "audio codec is mp3"),
        ({"audio_sample_rate": 22050}, "22050 Hz is not accepted by instagram"),
        ({"width": 1920, "height": 1080}, "landscape"),
        ({"width": 1440, "height": 2560}, "does not fit in 1080x1920"),
        ({"rotation": -90}, "rotated -90 degrees"),
        ({"fps": 15.0}, "below tiktok's minimum 23 fps"),
        ({"fps": 120.0}, "above instagram's maximum 60 fps"),
        ({"duration": 200.0}, "above youtube's maximum 179.5 s"),
        ({"size": 400_000_000}, "above instagram's maximum 300 MB"),
        ({"bitrate": 30_000_000}, "above instagram's maximum 25000 kb/s"),
        ({"variable_fps": True}, "variable frame rate"),
        ({"width": 300, "height": 640}, "width 300 is below tiktok's minimum 360"),
    ],
)
def test_each_non_conformance_is_named(changes: dict, words: str) -> None:
    problems = conformance_problems(conforming_probe(**changes), target_spec(VideoOptions(), LIMITS))
    assert any(words in problem for problem in problems), problems


def test_copy_can_be_switched_off() -> None:
    problems = conformance_problems(conforming_probe(), target_spec(VideoOptions(copy_if_conforming=False), {}))
    assert problems == ["copying is disabled (video.copy_if_conforming: false)"]
