"""``export_registry.json``, the JSON snapshot in the original guide's format: built from the store, validated,
written atomically.

The file is derived data. It is rewritten inside the write transaction that changed the store, so concurrent
writers produce their snapshots in commit order and the file on disk always shows the latest committed state.
Its content depends only on the store (``last_updated`` is when the content changed, not when it was written).
"""

from __future__ import annotations

import json
import sqlite3
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

import jsonschema

from storyexport.fsutil import write_json_atomic
from storyexport.registry.errors import RegistryError
from storyexport.registry.records import ZERO, Counts, CountsDict, PlatformEntry, Snapshot, VideoEntry
from storyexport.resources import load_schema

FORMAT_VERSION = "1.0"
PERFORMANCE_EXTRA = "_performance_extra"  # key in videos.extra holding unknown performance fields from imports


def latest_snapshots(conn: sqlite3.Connection) -> list[Snapshot]:
    """The newest snapshot per (video, platform): newest ``recorded_at``, then newest insert."""
    rows = conn.execute(
        """SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY title_id, platform
                                                     ORDER BY recorded_at DESC, id DESC) AS rank
                          FROM performance_snapshots) WHERE rank = 1 ORDER BY title_id, platform"""
    ).fetchall()
    return [Snapshot.from_row(row) for row in rows]


def latest_totals(conn: sqlite3.Connection) -> dict[str, Counts]:
    totals: dict[str, Counts] = {}
    for snap in latest_snapshots(conn):
        totals[snap.title_id] = totals.get(snap.title_id, ZERO) + snap.counts
    return totals


class RegistryDocument(TypedDict):
    """The JSON snapshot (``export_registry.json``, ``schemas/registry.schema.json``)."""

    version: str
    created_at: str
    last_updated: str
    total_exports: int
    videos: dict[str, VideoEntry]


def video_entries(conn: sqlite3.Connection) -> dict[str, VideoEntry]:
    """Every video as its entry in the original guide's format (plus registered paths and fields kept from imports)."""
    platforms: dict[str, dict[str, PlatformEntry]] = {}
    for row in conn.execute("SELECT * FROM platforms ORDER BY title_id, platform"):
        entry: PlatformEntry = {**json.loads(row["extra"]), "status": row["status"], "url": row["url"],
                                "published_date": row["published_date"]}
        platforms.setdefault(row["title_id"], {})[row["platform"]] = entry
    totals = latest_totals(conn)
    videos: dict[str, VideoEntry] = {}
    for row in conn.execute("SELECT * FROM videos ORDER BY title_id"):
        extra = json.loads(row["extra"])
        performance: CountsDict = {**extra.pop(PERFORMANCE_EXTRA, {}), **totals.get(row["title_id"], ZERO).as_dict()}
        known: VideoEntry = {"title": row["title"], "title_id": row["title_id"], "segment": row["segment"],
                             "age_group": row["age_group"], "export_date": row["export_date"],
                             "publish_status": row["publish_status"], "platforms": platforms.get(row["title_id"], {}),
                             "performance": performance}
        for key in ("video_path", "thumbnail_path", "metadata_path"):
            if row[key] is not None:
                known[key] = row[key]
        videos[row["title_id"]] = {**extra, **known}
    return videos


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def build_document(conn: sqlite3.Connection) -> RegistryDocument:
    videos = video_entries(conn)
    created_at = get_meta(conn, "created_at") or ""
    return {
        "version": FORMAT_VERSION,
        "created_at": created_at,
        "last_updated": get_meta(conn, "last_updated") or created_at,
        "total_exports": len(videos),
        "videos": videos,
    }


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = load_schema("registry")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validation_errors(document: Any) -> list[str]:  # jsonschema's own JSON type
    """Schema violations as ``$.path: message`` lines (empty when valid)."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{e.json_path}: {e.message}" for e in errors]


def write_snapshot(conn: sqlite3.Connection, target: Path) -> RegistryDocument:
    document = build_document(conn)
    problems = validation_errors(document)
    if problems:  # e.g. an imported date in no ISO-8601 form: refuse the change rather than write a bad file
        raise RegistryError(f"{target}: the change would not match registry.schema.json: {problems[0]}")
    write_json_atomic(target, document)
    return document
