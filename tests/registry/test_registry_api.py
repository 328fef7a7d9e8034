"""The original guide's ExportRegistry API over SQLite, and its JSON snapshot in the guide's format."""

from __future__ import annotations

import json

import pytest

from storyexport.registry import ExportRegistry, RegistryError, UnknownStoryError
from storyexport.registry.snapshot import validation_errors


def snapshot(registry: ExportRegistry) -> dict:
    return json.loads(registry.json_path.read_text(encoding="utf-8"))


def test_guide_example_gives_guide_engagement_and_format(registry):
    registry.register_export("abc12345", "My Story", "women", "18-23", "/path/to/video.mp4",
                             "/path/to/thumb.jpg", "/path/to/meta.json", platforms=["youtube"])
    registry.update_publish_status("abc12345", "youtube", "published", "https://youtube.com/shorts/xyz")
    registry.update_performance("abc12345", views=50000, likes=2500, shares=150)

    doc = snapshot(registry)
    assert validation_errors(doc) == []
    assert doc["version"] == "1.0" and doc["total_exports"] == 1
    assert doc["created_at"] == "2025-01-01T10:00:00+00:00"
    assert doc["last_updated"] == "2025-01-01T10:02:00+00:00"
    video = doc["videos"]["abc12345"]
    assert {k: video[k] for k in ("title", "title_id", "segment", "age_group", "export_date", "publish_status")} == {
        "title": "My Story", "title_id": "abc12345", "segment": "women", "age_group": "18-23",
        "export_date": "2025-01-01T10:00:00+00:00", "publish_status": "published"}
    assert video["platforms"] == {"youtube": {"status": "published", "url": "https://youtube.com/shorts/xyz",
                                              "published_date": "2025-01-01T10:01:00+00:00"}}
    assert video["performance"] == {"views": 50000, "likes": 2500, "shares": 150, "comments": 0,
                                    "engagement_rate": 5.3}


def test_default_path_is_the_guides(tmp_path, monkeypatch, register):
    monkeypatch.chdir(tmp_path)
    reg = ExportRegistry()
    register(reg)
    assert (tmp_path / "data/final/export_registry.sqlite").is_file()
    assert (tmp_path / "data/final/export_registry.json").is_file()


def test_engagement_counts_comments_and_zero_views(registry, register):
    register(registry)
    assert registry.update_performance("abc12345", 0, 0, 0)["engagement_rate"] == 0
    assert registry.update_performance("abc12345", 1000, 30, 10, comments=7)["engagement_rate"] == 4.7


def test_reregistering_keeps_status_history_and_export_date(registry, register):
    register(registry)
    registry.update_publish_status("abc12345", "youtube", "published", "https://y/1")
    registry.update_performance("abc12345", 100, 10, 1)
    registry.update_performance("abc12345", 300, 20, 2)
    before = registry.json_path.read_bytes()

    register(registry)  # nothing new: no change at all, not even last_updated
    assert registry.json_path.read_bytes() == before

    registry.register_export("abc12345", "Renamed", "women", "18-23", "/v/new.mp4", platforms=["instagram"])
    info = registry.get_video_info("abc12345")
    assert info["title"] == "Renamed" and info["video_path"] == "/v/new.mp4"
    assert info["thumbnail_path"] == "/v/abc12345_thumbnail.jpg"  # None keeps the stored value
    assert info["export_date"] == "2025-01-01T10:00:00+00:00"
    assert info["publish_status"] == "published"
    assert info["platforms"]["youtube"]["url"] == "https://y/1"
    assert info["platforms"]["instagram"]["status"] == "pending"
    assert [h["views"] for h in info["performance_history"]] == [100, 300]
    assert info["performance"]["views"] == 300


def test_publish_status_dates_and_overall_status(registry, register):
    register(registry)
    assert registry.get_video_info("abc12345")["publish_status"] == "pending"
    info = registry.update_publish_status("abc12345", "tiktok", "scheduled")
    assert info["publish_status"] == "scheduled"
    info = registry.update_publish_status("abc12345", "youtube", "published", "https://y/1")
    first_date = info["platforms"]["youtube"]["published_date"]
    assert info["publish_status"] == "published" and first_date
    info = registry.update_publish_status("abc12345", "youtube", "published")  # still published: date and url kept
    assert info["platforms"]["youtube"] == {"status": "published", "url": "https://y/1", "published_date": first_date}
    info = registry.update_publish_status("abc12345", "youtube", "removed")
    assert info["platforms"]["youtube"]["published_date"] is None
    assert info["publish_status"] == "scheduled"


def test_unknown_id_is_a_one_line_key_error(registry, register):
    register(registry)
    for call in (lambda: registry.get_video_info("nope"),
                 lambda: registry.update_publish_status("nope", "youtube", "published"),
                 lambda: registry.update_performance("nope", 1, 1, 1)):
        with pytest.raises(KeyError) as info:
            call()
        assert isinstance(info.value, UnknownStoryError)
        assert str(info.value) == "no export registered with id 'nope'"


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_counts_must_be_whole_non_negative(registry, bad, register):
    register(registry)
    with pytest.raises(RegistryError, match="views must be a whole number"):
        registry.update_performance("abc12345", bad, 1, 1)
    assert registry.snapshots() == []


def test_list_videos_filters(registry, register):
    register(registry, "a1", "women", "18-23")
    register(registry, "b2", "men", "18-23", platforms=("youtube",))
    register(registry, "c3", "women", "24-30", platforms=("instagram",))
    registry.update_publish_status("a1", "tiktok", "published")
    ids = lambda videos: [v["title_id"] for v in videos]  # noqa: E731
    assert ids(registry.list_videos()) == ["a1", "b2", "c3"]
    assert ids(registry.list_videos(segment="women")) == ["a1", "c3"]
    assert ids(registry.list_videos(age_group="18-23", segment="men")) == ["b2"]
    assert ids(registry.list_videos(status="published")) == ["a1"]
    assert ids(registry.list_videos(platform="youtube")) == ["a1", "b2"]
    assert ids(registry.list_videos(platform="youtube", status="pending")) == ["a1", "b2"]
    assert ids(registry.list_videos(platform="tiktok", status="published")) == ["a1"]


def test_statistics_and_text_report(registry, register):
    register(registry, "a1", "women", "18-23")
    register(registry, "b2", "men", "24-30")
    registry.update_publish_status("a1", "youtube", "published")
    registry.update_performance("a1", 1000, 50, 10, platform="youtube")
    registry.update_performance("a1", 500, 40, 0, platform="tiktok")
    registry.update_performance("b2", 200, 2, 0)
    stats = registry.get_statistics()
    assert stats["total_exports"] == 2
    assert stats["by_segment"] == {"men": 1, "women": 1}
    assert stats["by_status"] == {"pending": 1, "published": 1}
    assert stats["by_platform"]["youtube"] == {"pending": 1, "published": 1}
    assert (stats["total_views"], stats["total_likes"], stats["total_shares"]) == (1700, 92, 10)
    assert stats["overall_engagement_rate"] == 6.0
    assert stats["average_engagement_rate"] == round((6.7 + 1.0) / 2, 1)
    text = registry.generate_report()
    assert "Total exports: 2" in text and "Views: 1,700" in text and "youtube: pending 1, published 1" in text


def test_platform_numbers_add_up_and_latest_wins(registry, register):
    register(registry)
    registry.update_performance("abc12345", 100, 1, 0, platform="youtube")
    registry.update_performance("abc12345", 50, 1, 0, platform="tiktok")
    registry.update_performance("abc12345", 400, 4, 0, platform="youtube")
    assert snapshot(registry)["videos"]["abc12345"]["performance"]["views"] == 450
    backdated = "2024-06-01T00:00:00+00:00"  # an old report imported late does not hide newer numbers
    registry.update_performance("abc12345", 5, 0, 0, platform="youtube", recorded_at=backdated)
    assert snapshot(registry)["videos"]["abc12345"]["performance"]["views"] == 450
    assert len(registry.snapshots("abc12345")) == 4


def test_snapshot_is_deterministic_for_the_same_history(tmp_path, make_clock, register):
    outputs = []
    for name in ("one", "two"):
        reg = ExportRegistry(tmp_path / name / "export_registry.sqlite", clock=make_clock())
        register(reg, "b2")
        register(reg, "a1")
        reg.update_performance("a1", 10, 1, 1)
        outputs.append(reg.json_path.read_bytes())
        assert reg.export_json() == reg.json_path
        assert reg.json_path.read_bytes() == outputs[-1]  # regenerating does not change a byte
    assert outputs[0] == outputs[1]
    assert list(json.loads(outputs[0])["videos"]) == ["a1", "b2"]


def test_lost_or_broken_snapshot_loses_nothing(registry, db_path, register):
    register(registry)
    registry.update_performance("abc12345", 100, 10, 1)
    registry.json_path.write_text("{ broken by hand", encoding="utf-8")
    registry.update_performance("abc12345", 200, 10, 1)  # the store is the source: next change rewrites it
    assert snapshot(registry)["videos"]["abc12345"]["performance"]["views"] == 200

    registry.json_path.unlink()
    fresh = ExportRegistry(db_path)  # another process, e.g. `storyexport registry export-json`
    fresh.export_json()
    doc = snapshot(registry)
    assert validation_errors(doc) == []
    assert doc["videos"]["abc12345"]["performance"]["views"] == 200
    assert [h["views"] for h in fresh.get_video_info("abc12345")["performance_history"]] == [100, 200]
