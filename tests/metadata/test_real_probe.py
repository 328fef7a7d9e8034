"""Compliance checks on the probe of a real (tiny) clip, made and probed by the media engine."""

from __future__ import annotations

import pytest

from storyexport.media.probe import probe
from storyexport.media.samples import generate_sample


@pytest.fixture(scope="module")
def tiny_probe(tmp_path_factory) -> dict:
    clip = tmp_path_factory.mktemp("clip") / "tiny.mp4"
    generate_sample(clip, duration=1.0, width=96, height=160, fps=15)
    return probe(clip).as_dict()


def test_a_tiny_low_frame_rate_clip_fails_tiktok_and_instagram_on_size_duration_and_fps(exporter, tiny_probe):
    story = {"id": "tiny", "title": "Tiny"}
    tiktok = exporter.generate_platform_metadata(story, "tiktok", probe=tiny_probe)
    failed = {c["name"] for c in tiktok["checks"]["video"] if not c["ok"]}
    assert failed == {"duration", "width", "height", "fps"}
    assert tiktok["checks"]["ok"] is False
    instagram = exporter.generate_platform_metadata(story, "instagram", probe=tiny_probe)
    assert {c["name"] for c in instagram["checks"]["video"] if not c["ok"]} == {"duration", "fps"}


def test_the_same_clip_passes_youtube_which_sets_no_size_or_rate_floor(exporter, tiny_probe):
    metadata = exporter.generate_platform_metadata({"id": "tiny", "title": "Tiny"}, "youtube", probe=tiny_probe,
                                                   cover_timestamp_s=5.0)
    assert metadata["checks"]["ok"] is True, [c["message"] for c in metadata["checks"]["video"] if not c["ok"]]
    assert {c["name"] for c in metadata["checks"]["video"]} >= {"duration", "video_codec", "pix_fmt", "container"}
    assert metadata["cover"]["timestamp_s"] == pytest.approx(tiny_probe["duration"], abs=0.001)  # clamped
