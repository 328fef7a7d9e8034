"""``ExportRegistry``: the original guide's registry API over a transactional SQLite store.

Every change runs in one write transaction that also rewrites the JSON snapshot, so the store and
``export_registry.json`` move together and concurrent writers (build workers, CLI updates) never lose an update.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from storyexport.jsontypes import JSONObject
from storyexport.layout import REGISTRY_DB
from storyexport.registry.analytics import RegistryStatistics, registry_statistics, statistics_text
from storyexport.registry.errors import RegistryError, UnknownStoryError
from storyexport.registry.inputs import check_count
from storyexport.registry.records import Counts, CountsDict, Event, ExportItem, Snapshot, VideoEntry, overall_status
from storyexport.registry.snapshot import get_meta, latest_snapshots, video_entries, write_snapshot
from storyexport.registry.store import Store
from storyexport.textsafe import is_web_url

DEFAULT_PATH = Path("data/final") / REGISTRY_DB
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class ExportRegistry:
    """Track exported videos, their publish status per platform, performance history and build events."""

    def __init__(self, path: Path | str | None = None, clock: Clock | None = None):
        self.path = Path(path) if path is not None else DEFAULT_PATH
        self.json_path = self.path.with_suffix(".json")
        self._clock = clock or utc_now
        self._store = Store(self.path)

    def now(self) -> str:
        return iso(self._clock())

    def close(self) -> None:
        self._store.close()

    # -- changes -----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def changing(self) -> Iterator[Change]:
        """A write transaction; if anything changed, set ``last_updated`` and rewrite the JSON snapshot."""
        with self._store.write() as conn:
            change = Change(conn, self.now())
            yield change
            if change.changed:
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (change.now,))
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_updated', ?)", (change.now,))
                write_snapshot(conn, self.json_path)

    def register_export(self, title_id: str, title: str, segment: str, age_group: str, video_path: str | Path,
                        thumbnail_path: str | Path | None = None, metadata_path: str | Path | None = None,
                        platforms: Iterable[str] | None = None, export_date: str | None = None) -> VideoEntry:
        """Register (or refresh) an export. Idempotent: publish status and performance history are kept."""
        self.register_exports([{
            "title_id": title_id, "title": title, "segment": segment, "age_group": age_group,
            "video_path": video_path, "thumbnail_path": thumbnail_path, "metadata_path": metadata_path,
            "platforms": platforms, "export_date": export_date,
        }])
        return self.get_video_info(title_id)

    def register_exports(self, exports: Iterable[ExportItem]) -> list[str]:
        """Register many exports in one transaction with one snapshot write (the build registers thousands).

        Each mapping takes ``register_export``'s arguments by name. Returns the ids, in order.
        """
        ids: list[str] = []
        with self.changing() as change:
            for item in exports:
                title_id = item["title_id"]
                check_export(item)
                change.upsert_video(title_id, {
                    "title": item["title"], "segment": item["segment"], "age_group": item["age_group"],
                    "video_path": _text(item["video_path"]), "thumbnail_path": _text(item.get("thumbnail_path")),
                    "metadata_path": _text(item.get("metadata_path")), "export_date": item.get("export_date"),
                })
                change.add_platforms(title_id, item.get("platforms") or ())
                ids.append(title_id)
        return ids

    def update_publish_status(self, title_id: str, platform: str, status: str,
                              url: str | None = None) -> VideoEntry:
        """Set one platform's status (and URL); ``published_date`` is set when it becomes published."""
        _require_text(platform=platform, status=status)
        require_web_url(url)
        with self.changing() as change:
            change.require_video(title_id)
            change.set_platform_status(title_id, platform, status, url)
        return self.get_video_info(title_id)

    def update_performance(self, title_id: str, views: int, likes: int, shares: int, comments: int = 0,
                           platform: str | None = None, recorded_at: str | None = None,
                           source: str | None = None) -> CountsDict:
        """Add a dated performance snapshot. ``source`` makes repeated imports of one report a no-op."""
        counts = Counts(*(_count(name, value) for name, value in
                          (("views", views), ("likes", likes), ("shares", shares), ("comments", comments))))
        with self.changing() as change:
            change.require_video(title_id)
            change.add_snapshot(title_id, platform or "", counts, normalise_timestamp(recorded_at) or change.now,
                                source)
        return self.get_video_info(title_id)["performance"]

    def record_event(self, kind: str, story_id: str | None, platform: str | None, started_at: float,
                     duration_s: float, success: bool, reason: str | None = None) -> None:
        """Record one build task run. Events are not part of the JSON snapshot, so it is not rewritten."""
        _require_text(kind=kind)
        with self._store.write() as conn:
            conn.execute(
                "INSERT INTO events (kind, story_id, platform, started_at, duration_s, success, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, story_id, platform, float(started_at), float(duration_s), int(bool(success)), reason))

    def export_json(self, target: Path | None = None) -> Path:
        """(Re)write the JSON snapshot from the store, e.g. after it was deleted or edited by hand."""
        target = Path(target) if target is not None else self.json_path
        with self._store.write() as conn:
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)", (self.now(),))
            write_snapshot(conn, target)
        return target

    # -- queries -----------------------------------------------------------------------------------------

    def get_video_info(self, title_id: str) -> VideoEntry:
        """The video's entry in the guide's format plus ``performance_history`` (every snapshot, oldest first)."""
        with self._store.read() as conn:
            entry = video_entries(conn).get(title_id)
            if entry is None:
                raise UnknownStoryError(title_id)
            rows = conn.execute("SELECT * FROM performance_snapshots WHERE title_id = ?"
                                " ORDER BY recorded_at, id", (title_id,)).fetchall()
        entry["performance_history"] = [
            {"recorded_at": s.recorded_at, "platform": s.platform or None, **s.counts.as_dict()}
            for s in map(Snapshot.from_row, rows)
        ]
        return entry

    def list_videos(self, segment: str | None = None, age_group: str | None = None, status: str | None = None,
                    platform: str | None = None) -> list[VideoEntry]:
        """The guide's entries, filtered; with ``platform`` and ``status`` the platform's own status counts."""
        with self._store.read() as conn:
            videos = list(video_entries(conn).values())
        return [v for v in videos if _matches(v, segment, age_group, status, platform)]

    def all_videos(self) -> dict[str, VideoEntry]:
        with self._store.read() as conn:
            return video_entries(conn)

    def snapshots(self, title_id: str | None = None) -> list[Snapshot]:
        """Performance snapshots, oldest first."""
        query = "SELECT * FROM performance_snapshots"
        query += " WHERE title_id = ? ORDER BY recorded_at, id" if title_id else " ORDER BY recorded_at, id"
        with self._store.read() as conn:
            return [Snapshot.from_row(r) for r in conn.execute(query, (title_id,) if title_id else ())]

    def latest_snapshots(self) -> list[Snapshot]:
        with self._store.read() as conn:
            return latest_snapshots(conn)

    def events(self, kind: str | None = None) -> list[Event]:
        query = "SELECT * FROM events" + (" WHERE kind = ?" if kind else "") + " ORDER BY started_at, id"
        with self._store.read() as conn:
            return [Event.from_row(r) for r in conn.execute(query, (kind,) if kind else ())]

    def meta(self) -> dict[str, str | None]:
        with self._store.read() as conn:
            return {"created_at": get_meta(conn, "created_at"), "last_updated": get_meta(conn, "last_updated")}

    def get_statistics(self) -> RegistryStatistics:
        return registry_statistics(self.all_videos())

    def generate_report(self) -> str:
        return statistics_text(self.get_statistics())


class Change:
    """The statements of one write transaction; ``changed`` tells whether the content really changed."""

    def __init__(self, conn: sqlite3.Connection, now: str):
        self.conn = conn
        self.now = now
        self.changed = False

    def require_video(self, title_id: str) -> sqlite3.Row:
        row = self.conn.execute("SELECT * FROM videos WHERE title_id = ?", (title_id,)).fetchone()
        if row is None:
            raise UnknownStoryError(title_id)
        return row

    def upsert_video(self, title_id: str, fields: Mapping[str, str | None], extra: JSONObject | None = None,
                     publish_status: str | None = None) -> None:
        """Insert, or update the given fields (``None`` keeps the stored value)."""
        row = self.conn.execute("SELECT * FROM videos WHERE title_id = ?", (title_id,)).fetchone()
        if row is None:
            values = {**fields, "export_date": fields.get("export_date") or self.now,
                      "publish_status": publish_status or "pending", "extra": json.dumps(extra or {})}
            columns = ", ".join(["title_id", *values])
            marks = ", ".join("?" * (len(values) + 1))
            self.conn.execute(f"INSERT INTO videos ({columns}) VALUES ({marks})", (title_id, *values.values()))
            self.changed = True
            return
        updates = {k: v for k, v in fields.items() if v is not None and row[k] != v}
        if publish_status is not None and row["publish_status"] != publish_status:
            updates["publish_status"] = publish_status
        if extra:
            merged = {**json.loads(row["extra"]), **extra}
            if merged != json.loads(row["extra"]):
                updates["extra"] = json.dumps(merged)
        if updates:
            assignments = ", ".join(f"{k} = ?" for k in updates)
            self.conn.execute(f"UPDATE videos SET {assignments} WHERE title_id = ?", (*updates.values(), title_id))
            self.changed = True

    def add_platforms(self, title_id: str, platforms: Iterable[str]) -> None:
        for platform in platforms:
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO platforms (title_id, platform, status) VALUES (?, ?, 'pending')",
                (title_id, platform))
            self.changed |= cursor.rowcount > 0
        self.refresh_overall_status(title_id)

    def set_platform_status(self, title_id: str, platform: str, status: str, url: str | None) -> None:
        row = self.conn.execute("SELECT * FROM platforms WHERE title_id = ? AND platform = ?",
                                (title_id, platform)).fetchone()
        old = dict(row) if row else {"status": None, "url": None, "published_date": None}
        published_date = None
        if status == "published":
            published_date = old["published_date"] if old["status"] == "published" else self.now
        new = {"status": status, "url": url if url is not None else old["url"], "published_date": published_date}
        if row is not None and all(old[k] == v for k, v in new.items()):
            return
        self.conn.execute(
            "INSERT INTO platforms (title_id, platform, status, url, published_date) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (title_id, platform) DO UPDATE SET status = excluded.status, url = excluded.url,"
            " published_date = excluded.published_date", (title_id, platform, *new.values()))
        self.changed = True
        self.refresh_overall_status(title_id)

    def refresh_overall_status(self, title_id: str) -> None:
        statuses = [r[0] for r in self.conn.execute("SELECT status FROM platforms WHERE title_id = ?", (title_id,))]
        cursor = self.conn.execute("UPDATE videos SET publish_status = ? WHERE title_id = ? AND publish_status != ?",
                                   (overall_status(statuses), title_id, overall_status(statuses)))
        self.changed |= cursor.rowcount > 0

    def add_snapshot(self, title_id: str, platform: str, counts: Counts, recorded_at: str,
                     source: str | None) -> bool:
        """Insert a snapshot; False when one with the same ``source`` exists (an import seen before)."""
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO performance_snapshots"
            " (title_id, platform, recorded_at, views, likes, shares, comments, source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (title_id, platform, recorded_at, counts.views, counts.likes, counts.shares, counts.comments, source))
        self.changed |= cursor.rowcount > 0
        return cursor.rowcount > 0


def normalise_timestamp(text: str | None) -> str | None:
    """An ISO-8601 date or date-time as UTC seconds (a value without offset is taken as UTC); None stays None."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise RegistryError(f"not an ISO-8601 date or date-time: {text!r}") from None
    try:
        return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except OverflowError:  # e.g. 9999-12-31T23:00:00-14:00 is in the year 10000 in UTC
        raise RegistryError(f"date-time out of range once converted to UTC: {text!r}") from None


def _matches(video: VideoEntry, segment: str | None, age_group: str | None, status: str | None,
             platform: str | None) -> bool:
    if (segment and video["segment"] != segment) or (age_group and video["age_group"] != age_group):
        return False
    if platform and platform not in video["platforms"]:
        return False
    if status:
        actual = video["platforms"][platform]["status"] if platform else video["publish_status"]
        return actual == status
    return True


def require_web_url(url: object, where: str = "url") -> str | None:
    """``url`` (None stays None). A platform URL is shown as a link in the report: only http and https are
    accepted (no javascript:)."""
    if url is not None and not is_web_url(url):
        raise RegistryError(f"{where} must be an http:// or https:// address, got {url!r}")
    return url


def _text(value: str | Path | None) -> str | None:
    return None if value is None else str(value)


def check_export(item: ExportItem) -> None:
    """Raise ``RegistryError`` if ``register_exports`` would refuse ``item`` (checked before a batch, so one bad
    story can be left out instead of failing the whole transaction)."""
    _require_text(title_id=item["title_id"], title=item["title"], segment=item["segment"],
                  age_group=item["age_group"])


def _require_text(**values: object) -> None:
    for name, value in values.items():
        if not isinstance(value, str) or not value.strip():
            raise RegistryError(f"{name} must be a non-empty string, got {value!r}")


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RegistryError(f"{name} must be a whole number >= 0, got {value!r:.40}")
    try:
        return check_count(value, name)
    except ValueError as exc:
        raise RegistryError(str(exc)) from None
