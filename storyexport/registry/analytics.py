"""Numbers for reports: registry statistics, build (export) statistics from events, performance analytics.

Pure functions over records read from the registry, so the text, JSON and HTML reports share one computation.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

from storyexport.registry.records import (
    UNATTRIBUTED,
    ZERO,
    Counts,
    CountsDict,
    Event,
    Snapshot,
    VideoEntry,
    engagement_rate,
)

UNATTRIBUTED_LABEL = "unattributed"


class RegistryStatistics(TypedDict):
    total_exports: int
    by_segment: dict[str, int]
    by_age_group: dict[str, int]
    by_status: dict[str, int]
    by_platform: dict[str, dict[str, int]]
    total_views: int
    total_likes: int
    total_shares: int
    total_comments: int
    overall_engagement_rate: float
    average_engagement_rate: float


class KindStatistics(TypedDict):
    runs: int
    failures: int
    failure_rate: float
    mean_s: float
    p95_s: float


class RecentFailure(TypedDict):
    kind: str
    story_id: str | None
    platform: str | None
    reason: str | None
    started_at: str


class ExportStatistics(TypedDict):
    tasks: int
    failures: int
    failure_rate: float
    exports_per_day: dict[str, int]
    by_kind: dict[str, KindStatistics]
    recent_failures: list[RecentFailure]


class Growth(TypedDict):
    first_at: str | None
    last_at: str | None
    first_views: int
    last_views: int
    views_gained: int
    growth_pct: float | None
    points: int


class TopVideo(CountsDict):
    title_id: str
    title: str
    growth: Growth


class FilterValues(TypedDict):
    segment: str | None
    age_group: str | None
    platform: str | None


class PerformanceAnalytics(TypedDict):
    filters: FilterValues
    videos: int
    totals: CountsDict
    by_segment: dict[str, CountsDict]
    by_age_group: dict[str, CountsDict]
    by_platform: dict[str, CountsDict]
    top: list[TopVideo]
    growth: dict[str, Growth]


@dataclass(frozen=True)
class Filters:
    segment: str | None = None
    age_group: str | None = None
    platform: str | None = None

    def keep_video(self, video: Mapping[str, object]) -> bool:
        return ((not self.segment or video["segment"] == self.segment)
                and (not self.age_group or video["age_group"] == self.age_group))

    def keep_snapshot(self, snap: Snapshot) -> bool:
        return not self.platform or snap.platform == self.platform


NO_FILTERS = Filters()


def percentile(values: Iterable[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def registry_statistics(videos: Mapping[str, VideoEntry]) -> RegistryStatistics:
    """The original guide's ``get_statistics()``: counts by segment, age group and status, totals, mean engagement."""
    platform_status: dict[str, Counter[str]] = defaultdict(Counter)
    for video in videos.values():
        for platform, entry in video["platforms"].items():
            platform_status[platform][entry["status"]] += 1
    totals = sum((_counts(v["performance"]) for v in videos.values()), ZERO)
    rates = [v["performance"]["engagement_rate"] for v in videos.values() if v["performance"]["views"] > 0]
    return {
        "total_exports": len(videos),
        "by_segment": dict(sorted(Counter(v["segment"] for v in videos.values()).items())),
        "by_age_group": dict(sorted(Counter(v["age_group"] for v in videos.values()).items())),
        "by_status": dict(sorted(Counter(v["publish_status"] for v in videos.values()).items())),
        "by_platform": {p: dict(sorted(c.items())) for p, c in sorted(platform_status.items())},
        "total_views": totals.views,
        "total_likes": totals.likes,
        "total_shares": totals.shares,
        "total_comments": totals.comments,
        "overall_engagement_rate": totals.engagement_rate,
        "average_engagement_rate": round(sum(rates) / len(rates), 1) if rates else 0.0,
    }


def statistics_text(stats: RegistryStatistics) -> str:
    """The original guide's ``generate_report()``: a plain-text summary of ``registry_statistics``."""
    lines = ["EXPORT REGISTRY REPORT", "=" * 22, f"Total exports: {stats['total_exports']}", ""]
    for title, counts in (("By segment", stats["by_segment"]), ("By age group", stats["by_age_group"]),
                          ("By status", stats["by_status"])):
        lines.append(f"{title}:")
        lines += [f"  {name}: {count}" for name, count in counts.items()] or ["  (none)"]
    lines.append("By platform:")
    lines += [f"  {p}: " + ", ".join(f"{s} {n}" for s, n in c.items()) for p, c in stats["by_platform"].items()]
    lines += ["", "Performance:", f"  Views: {stats['total_views']:,}", f"  Likes: {stats['total_likes']:,}",
              f"  Shares: {stats['total_shares']:,}", f"  Comments: {stats['total_comments']:,}",
              f"  Engagement rate (overall): {stats['overall_engagement_rate']}%",
              f"  Engagement rate (mean per video): {stats['average_engagement_rate']}%"]
    return "\n".join(lines) + "\n"


def export_statistics(events: list[Event]) -> ExportStatistics:
    """Build statistics: successful video exports per UTC day, failure rate, duration mean and p95 per kind."""
    per_day = Counter(_day(e.started_at) for e in events if e.kind == "video" and e.success)
    by_kind: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_kind[event.kind].append(event)
    failures = [e for e in events if not e.success]
    return {
        "tasks": len(events),
        "failures": len(failures),
        "failure_rate": _rate(len(failures), len(events)),
        "exports_per_day": dict(sorted(per_day.items())),
        "by_kind": {kind: _kind_stats(group) for kind, group in sorted(by_kind.items())},
        "recent_failures": [
            {"kind": e.kind, "story_id": e.story_id, "platform": e.platform, "reason": e.reason,
             "started_at": _timestamp(e.started_at)} for e in failures[-10:]
        ],
    }


def _kind_stats(events: list[Event]) -> KindStatistics:
    durations = [e.duration_s for e in events]
    failed = sum(not e.success for e in events)
    return {"runs": len(events), "failures": failed, "failure_rate": _rate(failed, len(events)),
            "mean_s": round(sum(durations) / len(durations), 3), "p95_s": round(percentile(durations, 0.95), 3)}


def performance_analytics(videos: Mapping[str, VideoEntry], latest: list[Snapshot],
                          history: list[Snapshot], filters: Filters = NO_FILTERS, top: int = 5
                          ) -> PerformanceAnalytics:
    """Totals and engagement by segment, age group and platform; the top ``top`` videos; growth per video."""
    kept = {tid: v for tid, v in videos.items() if filters.keep_video(v)}
    per_video: dict[str, Counts] = {tid: ZERO for tid in kept}
    by_platform: dict[str, Counts] = defaultdict(lambda: ZERO)
    for snap in latest:
        if snap.title_id in kept and filters.keep_snapshot(snap):
            per_video[snap.title_id] += snap.counts
            by_platform[snap.platform or UNATTRIBUTED_LABEL] += snap.counts
    by_segment: dict[str, Counts] = defaultdict(lambda: ZERO)
    by_age: dict[str, Counts] = defaultdict(lambda: ZERO)
    for tid, counts in per_video.items():
        by_segment[kept[tid]["segment"]] += counts
        by_age[kept[tid]["age_group"]] += counts
    ranked = sorted(per_video.items(), key=lambda item: (-item[1].views, -item[1].engagement_rate, item[0]))
    growth = growth_by_video([s for s in history if s.title_id in kept and filters.keep_snapshot(s)])
    return {
        "filters": {"segment": filters.segment, "age_group": filters.age_group, "platform": filters.platform},
        "videos": len(kept),
        "totals": sum(per_video.values(), ZERO).as_dict(),
        "by_segment": _group(by_segment),
        "by_age_group": _group(by_age),
        "by_platform": _group(by_platform),
        "top": [{"title_id": tid, "title": kept[tid]["title"], **counts.as_dict(),
                 "growth": growth.get(tid, _no_growth())} for tid, counts in ranked[:top]],
        "growth": growth,
    }


def total_views_series(history: list[Snapshot]) -> list[tuple[str, int]]:
    """Total views after each snapshot (newest per platform summed), one point per timestamp, oldest first."""
    latest: dict[str, int] = {}
    series: dict[str, int] = {}
    for snap in sorted(history, key=lambda s: (s.recorded_at, s.id)):
        latest[snap.platform or UNATTRIBUTED] = snap.counts.views
        series[snap.recorded_at] = sum(latest.values())
    return list(series.items())


def growth_by_video(history: list[Snapshot]) -> dict[str, Growth]:
    by_video: dict[str, list[Snapshot]] = defaultdict(list)
    for snap in history:
        by_video[snap.title_id].append(snap)
    return {tid: _growth(total_views_series(snaps)) for tid, snaps in sorted(by_video.items())}


def _growth(series: list[tuple[str, int]]) -> Growth:
    if not series:
        return _no_growth()
    (first_at, first), (last_at, last) = series[0], series[-1]
    return {"first_at": first_at, "last_at": last_at, "first_views": first, "last_views": last,
            "views_gained": last - first, "growth_pct": round((last - first) / first * 100, 1) if first else None,
            "points": len(series)}


def _no_growth() -> Growth:
    return {"first_at": None, "last_at": None, "first_views": 0, "last_views": 0, "views_gained": 0,
            "growth_pct": None, "points": 0}


def _group(groups: dict[str, Counts]) -> dict[str, CountsDict]:
    return {name: counts.as_dict() for name, counts in sorted(groups.items())}


def _counts(performance: CountsDict) -> Counts:
    return Counts(performance["views"], performance["likes"], performance["shares"], performance.get("comments", 0))


def _rate(part: int, whole: int) -> float:
    return round(part / whole * 100, 1) if whole else 0.0


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


__all__ = ["Filters", "engagement_rate", "export_statistics", "percentile", "performance_analytics",
           "registry_statistics", "statistics_text", "total_views_series"]
