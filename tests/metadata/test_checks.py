"""Video compliance checks against each platform's video rules."""

from __future__ import annotations

import dataclasses

import pytest

from storyexport.metadata import video_checks

GOOD = {"duration": 12.0, "width": 1080, "height": 1920, "fps": 30.0, "video_codec": "h264",
        "pix_fmt": "yuv420p", "audio_codec": "aac", "audio_sample_rate": 48000, "audio_channels": 2,
        "bitrate": 6_000_000, "size": 9_000_000, "rotation": 0, "format_name": "mov,mp4,m4a,3gp,3g2,mj2"}


def by_name(checks):
    return {c.name: c for c in checks}


@pytest.mark.parametrize("platform", ["youtube", "tiktok", "instagram"])
def test_a_standard_export_passes_every_platform(exporter, platform):
    checks = video_checks(GOOD, exporter.rules[platform]["video"])
    assert checks and all(c.ok for c in checks), [c.message for c in checks if not c.ok]


@pytest.mark.parametrize(("change", "platform", "failing", "message"), [
    ({"duration": 180.0}, "youtube", "duration", "duration 180 s is above the maximum 179.5 s"),
    ({"duration": 2.0}, "instagram", "duration", "duration 2 s is below the minimum 3 s"),
    ({"fps": 15.0}, "tiktok", "fps", "fps 15 fps is below the minimum 23 fps"),
    ({"width": 2160, "height": 3840}, "instagram", "width", "width 2160 px is above the maximum 1920 px"),
    ({"video_codec": "mpeg4"}, "tiktok", "video_codec", "video_codec mpeg4 is not accepted (accepted: h264, hevc, "
                                                         "vp8, vp9)"),
    ({"pix_fmt": "yuv444p"}, "youtube", "pix_fmt", "pix_fmt yuv444p is not accepted (accepted: yuv420p)"),
    ({"audio_sample_rate": 96000}, "instagram", "audio_sample_rate", "audio_sample_rate 96000 is not accepted "
                                                                     "(accepted: 44100, 48000)"),
    ({"size": 301_000_000}, "instagram", "file_size", "file_size 301 MB is above the maximum 300 MB"),
    ({"format_name": "matroska,webm"}, "instagram", "container",
     "container matroska,webm is not accepted (accepted: mp4, mov)"),
    ({"bitrate": 30_000_000}, "instagram", "bitrate", "bitrate 30000 kbit/s is above the maximum 25000 kbit/s"),
])
def test_each_limit_fails_with_a_message(exporter, change, platform, failing, message):
    checks = by_name(video_checks({**GOOD, **change}, exporter.rules[platform]["video"]))
    assert [name for name, c in checks.items() if not c.ok] == [failing]
    assert checks[failing].message == message


def test_width_and_height_are_taken_as_displayed(exporter):
    # The media engine applies rotation already; checks must not swap a second time.
    rotated = {**GOOD, "width": 1080, "height": 3840, "rotation": -90}
    checks = by_name(video_checks(rotated, exporter.rules["instagram"]["video"]))
    assert checks["width"].actual == 1080 and checks["width"].ok


def test_missing_probe_keys_are_skipped_not_failed(exporter):
    checks = by_name(video_checks({"duration": 10.0}, exporter.rules["tiktok"]["video"]))
    assert checks["duration"].ok and checks["duration"].actual == 10.0
    assert checks["fps"].as_dict() == {"name": "fps", "ok": True, "actual": None, "limit": {"min": 23, "max": 60},
                                       "message": "not checked: the probe has no 'fps'"}


def test_checks_are_frozen_records(exporter):
    checks = video_checks(GOOD, exporter.rules["tiktok"]["video"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        checks[0].ok = False  # a frozen dataclass refuses assignment


def test_a_video_without_audio_passes_the_audio_checks(exporter):
    checks = by_name(video_checks({**GOOD, "audio_codec": None, "audio_sample_rate": None},
                                  exporter.rules["instagram"]["video"]))
    assert checks["audio_codec"].ok and checks["audio_codec"].message == "no audio_codec (no audio stream)"
    assert checks["audio_sample_rate"].ok


def test_limits_that_are_null_are_not_checked(exporter):
    names = {c.name for c in video_checks(GOOD, exporter.rules["youtube"]["video"])}
    assert "fps" not in names and "bitrate" not in names and "width" not in names


def test_metadata_checks_summarise_video_failures(exporter):
    metadata = exporter.generate_platform_metadata({"id": "x", "title": "T"}, "youtube",
                                                   probe={**GOOD, "duration": 200.0})
    assert metadata["checks"]["ok"] is False and metadata["checks"]["video_probed"] is True
    unprobed = exporter.generate_platform_metadata({"id": "x", "title": "T"}, "youtube")
    assert unprobed["checks"]["ok"] is True and unprobed["checks"]["video"] == []
