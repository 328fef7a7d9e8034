"""Plain records read from the store, shared by the registry, analytics and the report."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Required, TypedDict

EVENT_KINDS = ("video", "thumbnails", "metadata", "platform", "registry", "report", "sample")
STATUS_PRIORITY = ("published", "scheduled", "pending", "failed", "removed")
UNATTRIBUTED = ""  # platform key of performance reported without a platform (the original guide's only kind)


@dataclass(frozen=True)
class Counts:
    views: int
    likes: int
    shares: int
    comments: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.views + other.views, self.likes + other.likes, self.shares + other.shares,
                      self.comments + other.comments)

    @property
    def engagement_rate(self) -> float:
        return engagement_rate(self.views, self.likes, self.shares, self.comments)

    def as_dict(self) -> CountsDict:
        return {"views": self.views, "likes": self.likes, "shares": self.shares, "comments": self.comments,
                "engagement_rate": self.engagement_rate}


ZERO = Counts(0, 0, 0, 0)


class CountsDict(TypedDict):
    views: int
    likes: int
    shares: int
    comments: int
    engagement_rate: float


class PlatformEntry(TypedDict):
    """A video's entry for one platform (fields kept from an import ride along under their own names)."""

    status: str
    url: str | None
    published_date: str | None


class HistoryPoint(CountsDict):
    recorded_at: str
    platform: str | None


class VideoEntry(TypedDict, total=False):
    """A video in the original guide's registry format (fields kept from an import ride along)."""

    title: Required[str]
    title_id: Required[str]
    segment: Required[str]
    age_group: Required[str]
    export_date: Required[str]
    publish_status: Required[str]
    platforms: Required[dict[str, PlatformEntry]]
    performance: Required[CountsDict]
    video_path: str
    thumbnail_path: str
    metadata_path: str
    performance_history: list[HistoryPoint]  # only from ``ExportRegistry.get_video_info``


class ExportItem(TypedDict, total=False):
    """What ``ExportRegistry.register_exports`` takes per export: ``register_export``'s arguments by name."""

    title_id: Required[str]
    title: Required[str]
    segment: Required[str]
    age_group: Required[str]
    video_path: Required[str | Path]
    thumbnail_path: str | Path | None
    metadata_path: str | Path | None
    platforms: Iterable[str] | None
    export_date: str | None


@dataclass(frozen=True)
class Snapshot:
    """Performance of one video on one platform (``""`` = unattributed) as reported at ``recorded_at``."""

    id: int
    title_id: str
    platform: str
    recorded_at: str
    counts: Counts
    source: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Snapshot:
        return cls(row["id"], row["title_id"], row["platform"], row["recorded_at"],
                   Counts(row["views"], row["likes"], row["shares"], row["comments"]), row["source"])


@dataclass(frozen=True)
class Event:
    """One build task run: what ran, for which story and platform, when, how long, and how it ended."""

    kind: str
    story_id: str | None
    platform: str | None
    started_at: float
    duration_s: float
    success: bool
    reason: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Event:
        return cls(row["kind"], row["story_id"], row["platform"], row["started_at"], row["duration_s"],
                   bool(row["success"]), row["reason"])


def engagement_rate(views: int, likes: int, shares: int, comments: int = 0) -> float:
    """(likes + shares + comments) / views x 100, one decimal; 0 without views (the original guide's formula)."""
    if views <= 0:
        return 0.0
    return round((likes + shares + comments) / views * 100, 1)


def overall_status(statuses: list[str]) -> str:
    """The most advanced platform status; ``pending`` when no platform is known yet."""
    ranked = sorted(statuses, key=lambda s: (STATUS_PRIORITY.index(s) if s in STATUS_PRIORITY else 99, s))
    return ranked[0] if ranked else "pending"
