"""Gather what the report shows about each story from the output files and the registry.

Other build steps write these files; any that is missing or unreadable shows as "not built yet", never an error.
Image paths are relative to the report's folder, so the page works from ``file://`` and when the folder moves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

from storyexport import layout
from storyexport.config.model import Manifest, Story
from storyexport.jsontypes import JSONObject, JSONValue
from storyexport.metadata.text import graphemes, measure
from storyexport.registry.analytics import Filters, total_views_series
from storyexport.registry.records import CountsDict, PlatformEntry, Snapshot, VideoEntry
from storyexport.report.chart import Chart, views_chart
from storyexport.textsafe import web_url_or_none


class Image(TypedDict):
    src: str
    label: str


class OptionCard(TypedDict):
    n: int
    image: Image | None
    timestamp: float | None
    scores: list[tuple[str, str]]
    headline: str | None
    best: bool


class CountRow(TypedDict):
    name: str
    used: int
    limit: float | None
    unit: str
    over: bool


class CheckRow(TypedDict):
    group: str
    name: str
    ok: bool | None
    message: str


class PlatformCard(TypedDict):
    name: str
    display_name: str
    built: bool
    title: str
    description: str
    hashtags: list[str]
    counts: list[CountRow]
    checks_ok: bool | None
    checks: list[CheckRow]
    status: str | None
    url: str | None
    link: str | None
    published_date: str | None


class ViewsPoint(TypedDict):
    at: str
    views: int


class StoryCard(TypedDict):
    """What the report shows of one story, read from its built files (each may be missing) and the registry."""

    id: str
    title: str
    segment: str
    age_group: str
    video_built: bool
    registered: bool
    publish_status: str | None
    performance: CountsDict | None
    best: Image | None
    best_timestamp: float | None
    best_scores: list[tuple[str, str]]
    best_headline: str | None
    method: str
    options: list[OptionCard]
    grid: Image | None
    platforms: list[PlatformCard]
    chart: Chart | None
    history: list[ViewsPoint]


def read_json(path: Path) -> JSONObject:
    """The file's object, or ``{}`` when it is missing, half-written or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def image(path: Path, base: Path, label: str) -> Image | None:
    if not path.is_file():
        return None
    return {"src": Path(os.path.relpath(path, base)).as_posix(), "label": label}


def collect_stories(manifest: Manifest, base: Path, videos: Mapping[str, VideoEntry],
                    history: list[Snapshot], filters: Filters) -> list[StoryCard]:
    """One card per story of the manifest that passes the filters, in manifest order."""
    cards = []
    for story in manifest.stories:
        if filters.keep_video({"segment": story.segment, "age_group": story.age_group}):
            snaps = [s for s in history if s.title_id == story.id and filters.keep_snapshot(s)]
            cards.append(story_card(manifest.output_dir, story, base, videos.get(story.id), snaps, filters))
    return cards


def story_card(output_dir: Path, story: Story, base: Path, video: VideoEntry | None,
               history: list[Snapshot], filters: Filters) -> StoryCard:
    thumbs = layout.story_thumbnail_paths(output_dir, story)
    scores = read_json(thumbs.scores)
    best = _dict(scores.get("best"))
    platforms = [p for p in story.platforms if not filters.platform or p == filters.platform]
    series = total_views_series(history)
    return {
        "id": story.id,
        "title": story.title,
        "segment": story.segment,
        "age_group": story.age_group,
        "video_built": layout.video_path(output_dir, story).is_file(),
        "registered": video is not None,
        "publish_status": video["publish_status"] if video else None,
        "performance": video["performance"] if video else None,
        "best": image(thumbs.best, base, "best frame"),
        "best_timestamp": _number(best.get("timestamp")),
        "best_scores": _scores(best.get("scores")),
        "best_headline": _headline(best.get("scores"), scores.get("method")),
        "method": str(scores.get("method", "")),
        "options": _options(thumbs.options, scores, best, base),
        "grid": image(thumbs.grid, base, "grid") if thumbs.grid else None,
        "platforms": [_platform(output_dir, story, p, video, base) for p in platforms],
        "chart": views_chart(series),
        "history": [{"at": at, "views": views} for at, views in series],
    }


def _options(paths: tuple[Path, ...], scores: JSONObject, best: JSONObject, base: Path) -> list[OptionCard]:
    entries = [_dict(e) for e in _list(scores.get("options"))]  # anything but an object counts as empty
    by_name = {Path(str(e.get("path", ""))).name: e for e in entries if e}
    best_at = _number(best.get("timestamp"))
    options: list[OptionCard] = []
    for n, path in enumerate(paths, start=1):
        entry = by_name.get(path.name) or (entries[n - 1] if n <= len(entries) else {})
        at = _number(entry.get("timestamp"))
        options.append({
            "n": n,
            "image": image(path, base, f"option {n}"),
            "timestamp": at,
            "scores": _scores(entry.get("scores")),
            "headline": _headline(entry.get("scores"), scores.get("method")),
            "best": at is not None and best_at is not None and abs(at - best_at) < 1e-3,
        })
    return options


def _platform(output_dir: Path, story: Story, platform: str, video: VideoEntry | None,
              base: Path) -> PlatformCard:
    data = read_json(layout.platform_metadata_path(output_dir, story, platform))
    config = _dict(data.get("platform_config"))
    limits = _dict(config.get("metadata_limits"))
    units = _dict(config.get("metadata_units"))
    title, description = str(data.get("platform_title", "")), str(data.get("platform_description", ""))
    hashtags = [str(h) for h in _list(data.get("platform_hashtags")) if isinstance(h, str | int)]
    checks = _dict(data.get("checks"))
    registry_entry: PlatformEntry | dict[str, None] = (video["platforms"].get(platform) if video else None) or {}
    ok = checks.get("ok")
    return {
        "name": platform,
        "display_name": str(data.get("display_name") or platform),
        "built": bool(data),
        "title": title,
        "description": description,
        "hashtags": hashtags,
        "counts": [_count("title", title, limits.get("title"), units.get("title")),
                   _count("description", description, limits.get("description"), units.get("description")),
                   _count("hashtags", hashtags, limits.get("hashtags"), None)],
        "checks_ok": ok if isinstance(ok, bool) else None,
        "checks": [_check(group, c) for group in ("video", "text") for c in _list(checks.get(group))],
        "status": registry_entry.get("status"),
        "url": registry_entry.get("url"),
        "link": web_url_or_none(registry_entry.get("url")),
        "published_date": registry_entry.get("published_date"),
    }


def _count(name: str, value: str | list[str], limit: JSONValue, unit: JSONValue) -> CountRow:
    """Used length against the limit in the platform's unit (``metadata_units``; default ``characters``, i.e.
    code points, as the metadata step counts); the limit may be a number or a rule ``{max_length, unit}``."""
    unit_name = unit if isinstance(unit, str) else ("items" if isinstance(value, list) else "characters")
    if isinstance(limit, dict):
        unit_name = str(limit.get("unit", unit_name))
        limit = limit.get("max_length", limit.get("max_count", limit.get("max")))
    used = len(value) if isinstance(value, list) else _measure(value, unit_name)
    number = limit if isinstance(limit, int | float) and not isinstance(limit, bool) else None
    return {"name": name, "used": used, "limit": number, "unit": unit_name.replace("_", " "),
            "over": number is not None and used > number}


def _measure(text: str, unit: str) -> int:
    """Length as the metadata step counts it (same unit names); an unknown unit counts graphemes."""
    try:
        return measure(text, unit)
    except ValueError:
        return len(graphemes(text))


def _check(group: str, item: JSONValue) -> CheckRow:
    if isinstance(item, dict):
        ok = item.get("ok")
        return {"group": group, "name": str(item.get("name", "")), "ok": ok if isinstance(ok, bool) else None,
                "message": str(item.get("message", "") or item.get("reason", ""))}
    return {"group": group, "name": "", "ok": None, "message": str(item)}


def _scores(value: JSONValue) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return []
    return [(str(k), f"{v:.3g}" if isinstance(v, float) else str(v)) for k, v in sorted(value.items())]


def _headline(value: JSONValue, method: JSONValue) -> str | None:
    """The one score that ranked the frames (``score``, else the method's own), shown without opening details."""
    if not isinstance(value, dict):
        return None
    for key in ("score", method if isinstance(method, str) else None):
        number = _number(value.get(key)) if key else None
        if number is not None:
            return f"{key} {number:.3g}"
    return None


def _number(value: JSONValue) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _list(value: JSONValue) -> list[JSONValue]:
    return value if isinstance(value, list) else []


def _dict(value: JSONValue) -> JSONObject:
    return value if isinstance(value, dict) else {}
