"""A realistic output folder for report tests: real JPEGs, scores and platform files, a registry with history.

Three stories: ``full`` (everything built, published, performance history), ``partial`` (video and best frame
only, one platform file half-written) and ``nothing`` (not built at all).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from storyexport import layout
from storyexport.config.model import Manifest, Story, ThumbnailOptions
from storyexport.registry import ExportRegistry, registry_path, sync_registry

TIMESTAMPS = (0.5, 1.2, 2.0)
EVIL_TITLE = 'Night <script>alert("x")</script> & "quotes" 🏃‍♀️'


def write_jpeg(path: Path, width: int, height: int, shade: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.zeros((height, width, 3), np.uint8)
    image[:, :] = (shade, 255 - shade, (shade * 3) % 256)
    cv2.rectangle(image, (width // 4, height // 4), (3 * width // 4, height // 2), (255, 255, 255), -1)
    assert cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 85])


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def platform_file(story: Story, platform: str, ok: bool) -> dict:
    return {
        "platform": platform, "platform_title": f"{story.title} #shorts",
        "platform_description": f"{story.title}\nWatch till the end!\n\n#story #{platform}",
        "platform_hashtags": ["#story", f"#{platform}", "#viral"],
        "platform_config": {"video_specs": {"max_duration": 60, "resolution": "1080x1920"},
                            "metadata_limits": {"title": 100 if ok else 20, "description": 2200},
                            **({"metadata_units": {"title": "utf16_units"}} if platform == "instagram" else {})},
        "upload": {"privacy": "private"},
        "checks": {"ok": ok,
                   "video": [{"name": "duration", "ok": True, "actual": 3.0, "limit": {"max": 60},
                              "message": "duration 3 s is within limits"}],
                   "text": [] if ok else [{"name": "title", "ok": False, "actual": 40, "limit": 20,
                                           "message": "title too long"}]},
    }


def build_full(output_dir: Path, story: Story) -> None:
    thumbs = layout.story_thumbnail_paths(output_dir, story)
    for path in (layout.video_path(output_dir, story), layout.base_metadata_path(output_dir, story)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"{}")
    write_jpeg(thumbs.best, 108, 192, 40)
    for n, path in enumerate(thumbs.options):
        write_jpeg(path, 108, 192, 60 * n)
    write_jpeg(thumbs.grid, 324, 576, 200)
    options = [{"path": str(p), "timestamp": t, "scores": {"sharpness": 10.0 * (n + 1), "brightness": 0.5,
                                                             "combined": 0.2 * (n + 1)}}
               for n, (p, t) in enumerate(zip(thumbs.options, TIMESTAMPS, strict=True))]
    write_json(thumbs.scores, {"video": str(layout.video_path(output_dir, story)), "duration": 3.0,
                               "method": "combined", "best": {"timestamp": 2.0, "scores": options[2]["scores"]},
                               "options": options, "candidates": []})
    for platform in story.platforms:
        write_json(layout.platform_metadata_path(output_dir, story, platform),
                   platform_file(story, platform, ok=platform != "tiktok"))


def build_partial(output_dir: Path, story: Story) -> None:
    for path in (layout.video_path(output_dir, story), layout.base_metadata_path(output_dir, story)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"{}")
    write_jpeg(layout.story_thumbnail_paths(output_dir, story).best, 108, 192, 120)
    broken = layout.platform_metadata_path(output_dir, story, "youtube")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text('{"platform": "youtube", "platform_ti', encoding="utf-8")


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2025, 2, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.moment += timedelta(days=1)
        return self.moment


@pytest.fixture
def project(tmp_path: Path) -> Manifest:
    thumbs = ThumbnailOptions(timestamps=TIMESTAMPS, num_options=3, grid=(3, 3))
    stories = (
        Story(id="full", title=EVIL_TITLE, segment="women", age_group="18-23", source=tmp_path / "a.mp4",
              thumbnails=thumbs),
        Story(id="partial", title="Rainy window", segment="men", age_group="24-30", source=tmp_path / "b.mp4",
              platforms=("youtube", "tiktok"), thumbnails=thumbs),
        Story(id="nothing", title="Not built", segment="women", age_group="24-30", source=tmp_path / "c.mp4",
              platforms=("instagram",), thumbnails=thumbs),
    )
    manifest = Manifest(path=tmp_path / "exports.yaml", output_dir=tmp_path / "data" / "final",
                        platforms_dir=tmp_path, stories=stories)
    build_full(manifest.output_dir, stories[0])
    build_partial(manifest.output_dir, stories[1])
    registry = ExportRegistry(registry_path(manifest.output_dir), clock=Clock())
    sync_registry(manifest, registry)
    registry.update_publish_status("full", "youtube", "published", "https://youtube.com/shorts/abc")
    for views, likes in ((1000, 50), (4000, 180), (9000, 420)):
        registry.update_performance("full", views, likes, 12, comments=5, platform="youtube")
    registry.update_performance("full", 2500, 300, 40, platform="tiktok")
    registry.update_performance("partial", 300, 9, 1)
    start = datetime(2025, 2, 1, 9, 0, tzinfo=UTC).timestamp()
    for n, (kind, ok) in enumerate((("video", True), ("video", True), ("thumbnails", True), ("platform", False))):
        registry.record_event(kind, "full", "tiktok" if kind == "platform" else None, start + n * 60, 1.5 + n, ok,
                              None if ok else "caption too long")
    registry.close()
    return manifest
