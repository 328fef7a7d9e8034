"""The plain-text report (``storyexport report --format text``)."""

from __future__ import annotations

from storyexport.registry.analytics import ExportStatistics, PerformanceAnalytics, statistics_text
from storyexport.report.data import ReportData


def format_text(data: ReportData) -> str:
    lines = [statistics_text(data["statistics"]).rstrip(), "", *_exports(data["exports"]), "",
             *_performance(data["performance"])]
    return "\n".join(lines) + "\n"


def _exports(exports: ExportStatistics) -> list[str]:
    lines = ["BUILD STATISTICS", f"Tasks run: {exports['tasks']}, failed: {exports['failures']} "
             f"({exports['failure_rate']}%)", "Exports per day:"]
    lines += [f"  {day}: {count}" for day, count in exports["exports_per_day"].items()] or ["  (none)"]
    lines.append("Duration per task kind (mean / p95 seconds, failure rate):")
    lines += [f"  {kind}: {s['mean_s']} / {s['p95_s']} s over {s['runs']} runs, {s['failure_rate']}% failed"
              for kind, s in exports["by_kind"].items()] or ["  (none)"]
    for failure in exports["recent_failures"]:
        where = " ".join(x for x in (failure["story_id"], failure["platform"]) if x)
        lines.append(f"  failed {failure['kind']} {where} at {failure['started_at']}: {failure['reason']}")
    return lines


def _performance(perf: PerformanceAnalytics) -> list[str]:
    active = {k: v for k, v in perf["filters"].items() if v}
    heading = "PERFORMANCE" + (" (" + ", ".join(f"{k}={v}" for k, v in active.items()) + ")" if active else "")
    totals = perf["totals"]
    lines = [heading, f"Videos: {perf['videos']}, views {totals['views']:,}, likes {totals['likes']:,}, "
             f"shares {totals['shares']:,}, comments {totals['comments']:,}, "
             f"engagement {totals['engagement_rate']}%"]
    for title, groups in (("By segment", perf["by_segment"]), ("By age group", perf["by_age_group"]),
                          ("By platform", perf["by_platform"])):
        lines.append(f"{title}:")
        lines += [f"  {name}: {g['views']:,} views, {g['engagement_rate']}% engagement"
                  for name, g in groups.items()] or ["  (none)"]
    lines.append(f"Top {len(perf['top'])}:")
    for rank, video in enumerate(perf["top"], start=1):
        growth = video["growth"]
        trend = f", +{growth['views_gained']:,} views since {growth['first_at']}" if growth["points"] > 1 else ""
        lines.append(f"  {rank}. {video['title_id']} ({video['title']}): {video['views']:,} views, "
                     f"{video['engagement_rate']}% engagement{trend}")
    return lines
