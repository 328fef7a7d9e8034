"""Everything a report shows, as plain data: the text, JSON and HTML reports all render this one structure."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from storyexport.config.model import Manifest
from storyexport.registry import ExportRegistry, registry_path
from storyexport.registry.analytics import (
    NO_FILTERS,
    ExportStatistics,
    Filters,
    PerformanceAnalytics,
    RegistryStatistics,
    export_statistics,
    performance_analytics,
    registry_statistics,
)
from storyexport.registry.records import Event, Snapshot, VideoEntry
from storyexport.report.collect import StoryCard, collect_stories


class ReportData(TypedDict):
    """Everything a report shows; ``storyexport report --format json`` writes it as is."""

    manifest: str
    registry: dict[str, str | None]
    statistics: RegistryStatistics
    exports: ExportStatistics
    performance: PerformanceAnalytics
    stories: list[StoryCard]


def report_data(manifest: Manifest, base: Path, filters: Filters = NO_FILTERS, top: int = 5,
                registry_file: Path | None = None) -> ReportData:
    """Registry statistics, build statistics, performance analytics and one card per story.

    ``base`` is the folder image paths are made relative to (the HTML report's folder). Without a registry file
    yet (nothing built), the report still shows the manifest's stories as not built.
    """
    path = registry_file or registry_path(manifest.output_dir)
    videos: dict[str, VideoEntry] = {}
    latest: list[Snapshot] = []
    history: list[Snapshot] = []
    events: list[Event] = []
    meta: dict[str, str | None] = {"created_at": None, "last_updated": None}
    if path.is_file():
        registry = ExportRegistry(path)
        try:
            videos, latest, history = registry.all_videos(), registry.latest_snapshots(), registry.snapshots()
            events, meta = registry.events(), registry.meta()
        finally:
            registry.close()
    return {
        "manifest": manifest.path.name,
        "registry": meta,
        "statistics": registry_statistics(videos),
        "exports": export_statistics(events),
        "performance": performance_analytics(videos, latest, history, filters, top),
        "stories": collect_stories(manifest, base, videos, history, filters),
    }
