"""Build events and the numbers reports are made of: failure rates, p95 durations, growth, groupings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storyexport.registry.analytics import (
    Filters,
    export_statistics,
    percentile,
    performance_analytics,
    total_views_series,
)

DAY1 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC).timestamp()
DAY2 = datetime(2025, 3, 2, 9, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("values", "fraction", "expected"), [
    ([], 0.95, 0.0), ([4.0], 0.95, 4.0), (list(range(1, 21)), 0.95, 19), (list(range(1, 101)), 0.95, 95),
    ([3, 1, 2], 0.5, 2),
])
def test_nearest_rank_percentile(values, fraction, expected):
    assert percentile(values, fraction) == expected


def test_events_give_exports_per_day_failure_rate_and_durations(registry):
    for n in range(19):
        registry.record_event("video", f"s{n}", None, DAY1 + n, 1.0 + n, True)
    registry.record_event("video", "s19", None, DAY2, 100.0, False, "ffmpeg exited 1: moov atom not found")
    registry.record_event("platform", "s1", "tiktok", DAY2 + 5, 0.2, True)
    registry.record_event("video", "s20", None, DAY2 + 9, 2.0, True)

    events = registry.events()
    assert [e.kind for e in events][-2:] == ["platform", "video"]
    assert events[19].reason == "ffmpeg exited 1: moov atom not found" and not events[19].success
    stats = export_statistics(events)
    assert stats["exports_per_day"] == {"2025-03-01": 19, "2025-03-02": 1}
    assert (stats["tasks"], stats["failures"], stats["failure_rate"]) == (22, 1, 4.5)
    video = stats["by_kind"]["video"]
    durations = [1.0 + n for n in range(19)] + [100.0, 2.0]
    assert video["runs"] == 21 and video["failure_rate"] == 4.8
    assert video["mean_s"] == round(sum(durations) / 21, 3)
    assert video["p95_s"] == 19.0  # nearest rank 20 of 21 sorted durations
    assert stats["by_kind"]["platform"] == {"runs": 1, "failures": 0, "failure_rate": 0.0, "mean_s": 0.2,
                                            "p95_s": 0.2}
    assert stats["recent_failures"][0]["story_id"] == "s19"
    assert registry.json_path.exists() is False  # events are not part of the original guide's snapshot


def test_views_series_sums_the_newest_number_per_platform(registry, register):
    register(registry)
    registry.update_performance("abc12345", 100, 0, 0, platform="youtube")
    registry.update_performance("abc12345", 40, 0, 0, platform="tiktok")
    registry.update_performance("abc12345", 300, 0, 0, platform="youtube")
    series = total_views_series(registry.snapshots("abc12345"))
    assert [v for _, v in series] == [100, 140, 340]
    assert series[0][0] < series[-1][0]


def test_performance_by_group_platform_top_and_filters(registry, register):
    register(registry, "a1", "women", "18-23")
    register(registry, "b2", "men", "18-23")
    register(registry, "c3", "women", "24-30")
    registry.update_performance("a1", 1000, 90, 10, platform="youtube")
    registry.update_performance("a1", 3000, 100, 0, platform="youtube")
    registry.update_performance("a1", 500, 50, 0, platform="tiktok")
    registry.update_performance("b2", 2000, 20, 0, platform="tiktok")
    registry.update_performance("c3", 10, 5, 0)

    data = performance_analytics(registry.all_videos(), registry.latest_snapshots(), registry.snapshots(), top=2)
    assert data["totals"]["views"] == 5510
    assert data["by_segment"]["women"]["views"] == 3510 and data["by_segment"]["men"]["views"] == 2000
    assert data["by_age_group"] == {"18-23": {"views": 5500, "likes": 170, "shares": 0, "comments": 0,
                                              "engagement_rate": 3.1},
                                    "24-30": {"views": 10, "likes": 5, "shares": 0, "comments": 0,
                                              "engagement_rate": 50.0}}
    assert set(data["by_platform"]) == {"youtube", "tiktok", "unattributed"}
    assert data["by_platform"]["tiktok"]["views"] == 2500
    assert [v["title_id"] for v in data["top"]] == ["a1", "b2"]
    assert data["top"][0]["growth"]["views_gained"] == 2500
    assert data["growth"]["a1"]["first_views"] == 1000 and data["growth"]["a1"]["last_views"] == 3500

    tiktok_women = performance_analytics(registry.all_videos(), registry.latest_snapshots(), registry.snapshots(),
                                         Filters(segment="women", platform="tiktok"))
    assert tiktok_women["videos"] == 2
    assert tiktok_women["totals"]["views"] == 500
    assert list(tiktok_women["by_platform"]) == ["tiktok"]
