"""Migrate a registry written by the original guide's JSON-only tool into the SQLite store, losing nothing.

Known fields go to their columns; any other field (at video, platform or performance level) is kept verbatim and
written back into the JSON snapshot. Performance becomes one unattributed snapshot whose ``source`` makes a repeated
import a no-op. Statuses and dates are copied as written, never recomputed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from storyexport.jsontypes import JSONObject, JSONValue
from storyexport.registry.errors import RegistryError
from storyexport.registry.inputs import check_count, read_import_text
from storyexport.registry.records import Counts
from storyexport.registry.registry import Change, ExportRegistry, require_web_url
from storyexport.registry.snapshot import PERFORMANCE_EXTRA

VIDEO_KEYS = {"title", "title_id", "segment", "age_group", "export_date", "publish_status", "platforms",
              "performance", "video_path", "thumbnail_path", "metadata_path"}
PLATFORM_KEYS = {"status", "url", "published_date"}
PERFORMANCE_KEYS = {"views", "likes", "shares", "comments", "engagement_rate"}


def import_guide_json(registry: ExportRegistry, path: Path) -> int:
    """Import every video of an ``export_registry.json`` in the guide's format; returns how many videos it held."""
    document, videos = _load(path)
    with registry.changing() as change:
        for key, video in sorted(videos.items()):
            _import_video(change, path, key, video, document)
        imported_created = document.get("created_at")
        if isinstance(imported_created, str) and imported_created:
            row = change.conn.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
            if row is None or imported_created < row[0]:
                change.conn.execute("INSERT OR REPLACE INTO meta VALUES ('created_at', ?)", (imported_created,))
                change.changed = True
    return len(videos)


def _load(path: Path) -> tuple[JSONObject, JSONObject]:
    """The document and its ``videos`` object."""
    text = read_import_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
    except ValueError as exc:  # Python refuses to convert an integer of over 4,300 digits
        raise RegistryError(f"{path}: not usable JSON: a number has too many digits") from exc
    except RecursionError as exc:
        raise RegistryError(f"{path}: not usable JSON: nested too deeply") from exc
    videos = document.get("videos") if isinstance(document, dict) else None
    if not isinstance(videos, dict):
        raise RegistryError(f"{path}: not an export registry (expected an object with a \"videos\" object)")
    return document, videos


def _object(video: JSONObject, key: str, where: str) -> JSONObject:
    value = video.get(key) or {}
    if not isinstance(value, dict):
        raise RegistryError(f"{where}.{key}: expected an object, got {type(value).__name__}")
    return value


def _import_video(change: Change, path: Path, key: str, video: JSONValue, document: JSONObject) -> None:
    where = f"{path}: videos.{key}"
    if not isinstance(video, dict):
        raise RegistryError(f"{where}: expected an object")
    missing = [k for k in ("title", "segment", "age_group") if not isinstance(video.get(k), str)]
    if missing:
        raise RegistryError(f"{where}: missing {', '.join(missing)}")
    title_id = str(video.get("title_id") or key)
    platforms, performance = _object(video, "platforms", where), _object(video, "performance", where)
    extra = {k: v for k, v in video.items() if k not in VIDEO_KEYS}
    performance_extra = {k: v for k, v in performance.items() if k not in PERFORMANCE_KEYS}
    if performance_extra:
        extra[PERFORMANCE_EXTRA] = performance_extra
    fields = {k: (str(video[k]) if video.get(k) is not None else None)
              for k in ("title", "segment", "age_group", "video_path", "thumbnail_path", "metadata_path",
                        "export_date")}
    created = document.get("created_at")
    fields["export_date"] = fields["export_date"] or (str(created) if created else None) or change.now
    change.upsert_video(title_id, fields, extra, publish_status=str(video.get("publish_status") or "pending"))
    for platform, entry in sorted(platforms.items()):
        _import_platform(change, f"{where}.platforms.{platform}", title_id, platform, entry)
    if any(k in performance for k in ("views", "likes", "shares", "comments")):
        _import_performance(change, where, title_id, performance, video, document)


def _import_platform(change: Change, where: str, title_id: str, platform: str, entry: JSONValue) -> None:
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: expected an object")
    url = require_web_url(entry.get("url") or None, f"{where}.url")
    extra = json.dumps({k: v for k, v in entry.items() if k not in PLATFORM_KEYS}, sort_keys=True)
    values = (str(entry.get("status") or "pending"), url, entry.get("published_date"), extra)
    row = change.conn.execute("SELECT status, url, published_date, extra FROM platforms"
                              " WHERE title_id = ? AND platform = ?", (title_id, platform)).fetchone()
    if row is not None and tuple(row) == values:
        return
    change.conn.execute(
        "INSERT OR REPLACE INTO platforms (title_id, platform, status, url, published_date, extra)"
        " VALUES (?, ?, ?, ?, ?, ?)", (title_id, platform, *values))
    change.changed = True


def _whole(value: JSONValue) -> int:
    if isinstance(value, list | dict):
        raise TypeError(f"not a number: {type(value).__name__}")
    return int(value or 0)


def _import_performance(change: Change, where: str, title_id: str, performance: JSONObject,
                        video: JSONObject, document: JSONObject) -> None:
    try:
        counts = Counts(*(check_count(_whole(performance.get(k)), k)
                          for k in ("views", "likes", "shares", "comments")))
    except (TypeError, OverflowError) as exc:
        raise RegistryError(f"{where}.performance: counts must be whole numbers") from exc
    except ValueError as exc:
        raise RegistryError(f"{where}.performance: {exc}") from exc
    recorded_at = str(performance.get("last_updated") or document.get("last_updated") or video.get("export_date")
                      or change.now)
    digest = hashlib.sha256(f"{title_id}|{counts}|{recorded_at}".encode()).hexdigest()[:24]
    change.add_snapshot(title_id, "", counts, recorded_at, f"seed-json:{digest}")
