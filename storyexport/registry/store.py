"""The SQLite file behind the registry: schema, migrations and connections.

Many writers share one file (build workers recording events, CLI updates, the registry task), so the store uses
WAL (readers never block the writer), a busy timeout (writers queue instead of failing) and ``BEGIN IMMEDIATE``
write transactions (a writer takes the lock before reading, so no read-then-upgrade deadlock). ``PRAGMA
user_version`` records the schema version; a file written by an older storyexport is migrated on open.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from storyexport.registry.errors import RegistryError

BUSY_TIMEOUT_S = 60.0

# Each entry upgrades version N to N+1. A new file runs all of them, so there is one code path for every file.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # v1: the first SQLite layout (latest performance only, no history, no events).
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE videos (
            title_id TEXT PRIMARY KEY, title TEXT NOT NULL, segment TEXT NOT NULL, age_group TEXT NOT NULL,
            video_path TEXT, thumbnail_path TEXT, metadata_path TEXT,
            export_date TEXT NOT NULL, publish_status TEXT NOT NULL DEFAULT 'pending')""",
        """CREATE TABLE platforms (
            title_id TEXT NOT NULL REFERENCES videos(title_id), platform TEXT NOT NULL,
            status TEXT NOT NULL, url TEXT, published_date TEXT, PRIMARY KEY (title_id, platform))""",
        """CREATE TABLE performance (
            title_id TEXT PRIMARY KEY REFERENCES videos(title_id), views INTEGER NOT NULL,
            likes INTEGER NOT NULL, shares INTEGER NOT NULL, comments INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL)""",
    ),
    # v2: dated performance snapshots (per platform, idempotent imports), build events, kept unknown fields.
    (
        """CREATE TABLE performance_snapshots (
            id INTEGER PRIMARY KEY AUTOINCREMENT, title_id TEXT NOT NULL REFERENCES videos(title_id),
            platform TEXT NOT NULL DEFAULT '', recorded_at TEXT NOT NULL, views INTEGER NOT NULL,
            likes INTEGER NOT NULL, shares INTEGER NOT NULL, comments INTEGER NOT NULL, source TEXT)""",
        "CREATE UNIQUE INDEX snapshots_by_source ON performance_snapshots(source) WHERE source IS NOT NULL",
        "CREATE INDEX snapshots_by_video ON performance_snapshots(title_id, platform, recorded_at, id)",
        """INSERT INTO performance_snapshots (title_id, platform, recorded_at, views, likes, shares, comments)
            SELECT title_id, '', updated_at, views, likes, shares, comments FROM performance ORDER BY title_id""",
        "DROP TABLE performance",
        "ALTER TABLE videos ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE platforms ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, story_id TEXT, platform TEXT,
            started_at REAL NOT NULL, duration_s REAL NOT NULL, success INTEGER NOT NULL, reason TEXT)""",
        "CREATE INDEX events_by_kind ON events(kind, started_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class Store:
    """One connection per process (opened lazily, reopened after fork) to the registry's SQLite file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            self._connection = _open(self.path)
            self._pid = os.getpid()
        return self._connection

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding SQLite's write lock from the start; rolled back on error."""
        conn = self.connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same consistent state."""
        conn = self.connection
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise RegistryError(f"{path}: cannot open the registry database: {exc}") from exc
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the file to ``SCHEMA_VERSION``; concurrent openers serialise on the write lock."""
    if schema_version(conn) == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)  # re-read under the lock: another process may have migrated
        if version > SCHEMA_VERSION:
            raise RegistryError(f"registry schema v{version} is newer than this storyexport (v{SCHEMA_VERSION})")
        for steps in MIGRATIONS[version:]:
            for statement in steps:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
