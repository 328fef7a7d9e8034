"""register_exports: one transaction and one snapshot for many stories, same result as one by one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from storyexport.registry import ExportRegistry


def clock() -> datetime:
    return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


ENTRIES = [{"title_id": f"s{i}", "title": f"Story {i}", "segment": "women", "age_group": "18-23",
            "video_path": f"women/18-23/s{i}.mp4", "platforms": ["youtube", "tiktok"]} for i in range(5)]


def test_batch_equals_one_by_one_and_keeps_history(tmp_path: Path) -> None:
    single = ExportRegistry(tmp_path / "a" / "export_registry.sqlite", clock=clock)
    for entry in ENTRIES:
        single.register_export(**entry)
    batch = ExportRegistry(tmp_path / "b" / "export_registry.sqlite", clock=clock)
    assert batch.register_exports(ENTRIES) == [e["title_id"] for e in ENTRIES]
    assert single.json_path.read_bytes() == batch.json_path.read_bytes()

    batch.update_performance("s1", views=100, likes=5, shares=1)
    batch.update_publish_status("s1", "youtube", "published", url="https://youtube.com/shorts/x")
    before = batch.json_path.read_bytes()
    batch.register_exports(ENTRIES)  # re-registering changes nothing
    assert batch.json_path.read_bytes() == before
    video = json.loads(before)["videos"]["s1"]
    assert video["performance"]["views"] == 100 and video["platforms"]["youtube"]["status"] == "published"
