"""The SQLite store: WAL + busy timeout, schema versions, migration of files written by older versions."""

from __future__ import annotations

import json
import sqlite3

import pytest

from storyexport.registry import ExportRegistry, RegistryError
from storyexport.registry.store import SCHEMA_VERSION


def make_v1_database(path):
    """A registry file as the first SQLite version wrote it (no history, no events), built by hand."""
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE videos (title_id TEXT PRIMARY KEY, title TEXT NOT NULL, segment TEXT NOT NULL,
            age_group TEXT NOT NULL, video_path TEXT, thumbnail_path TEXT, metadata_path TEXT,
            export_date TEXT NOT NULL, publish_status TEXT NOT NULL DEFAULT 'pending');
        CREATE TABLE platforms (title_id TEXT NOT NULL, platform TEXT NOT NULL, status TEXT NOT NULL, url TEXT,
            published_date TEXT, PRIMARY KEY (title_id, platform));
        CREATE TABLE performance (title_id TEXT PRIMARY KEY, views INTEGER NOT NULL, likes INTEGER NOT NULL,
            shares INTEGER NOT NULL, comments INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL);
        INSERT INTO meta VALUES ('created_at', '2024-12-01T08:00:00+00:00'),
                                ('last_updated', '2024-12-02T09:00:00+00:00');
        INSERT INTO videos VALUES ('old1', 'Old story', 'women', '18-23', 'women/18-23/old1.mp4', NULL, NULL,
            '2024-12-01T08:00:00+00:00', 'published');
        INSERT INTO platforms VALUES ('old1', 'youtube', 'published', 'https://youtube.com/shorts/old1',
            '2024-12-01T12:00:00+00:00');
        INSERT INTO performance VALUES ('old1', 1200, 60, 6, 4, '2024-12-02T09:00:00+00:00');
        PRAGMA user_version = 1;
    """)
    conn.close()


def test_v1_database_is_migrated_on_open(tmp_path):
    path = tmp_path / "export_registry.sqlite"
    make_v1_database(path)
    registry = ExportRegistry(path)
    info = registry.get_video_info("old1")
    assert info["publish_status"] == "published"
    assert info["platforms"]["youtube"]["url"] == "https://youtube.com/shorts/old1"
    assert info["performance"] == {"views": 1200, "likes": 60, "shares": 6, "comments": 4, "engagement_rate": 5.8}
    assert info["performance_history"][0]["recorded_at"] == "2024-12-02T09:00:00+00:00"
    registry.update_performance("old1", 2000, 70, 6)  # the new features work on the migrated file
    registry.record_event("video", "old1", None, 1.0, 2.0, True)
    assert [h["views"] for h in registry.get_video_info("old1")["performance_history"]] == [1200, 2000]
    registry.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "performance" not in tables and {"performance_snapshots", "events"} <= tables
    assert json.loads(registry.json_path.read_text())["created_at"] == "2024-12-01T08:00:00+00:00"


def test_new_file_uses_wal_and_current_version(tmp_path):
    registry = ExportRegistry(tmp_path / "r.sqlite")
    registry.record_event("video", None, None, 0.0, 1.0, True)
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_schema_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "r.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RegistryError, match=rf"schema v{SCHEMA_VERSION + 1} is newer"):
        ExportRegistry(path).list_videos()


def test_not_a_database_is_a_one_line_error(tmp_path):
    path = tmp_path / "r.sqlite"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(RegistryError, match="cannot open the registry database"):
        ExportRegistry(path).list_videos()
