"""Import the analytics CSV exports of YouTube Studio, TikTok and Instagram as performance snapshots.

Which columns mean what is data (``csv_mappings.yaml``), recognised by the header. Each row becomes a snapshot
whose ``source`` is a hash of (platform, story, counts): importing the same file again inserts nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Required, TypedDict

import yaml

from storyexport.registry.errors import RegistryError
from storyexport.registry.inputs import check_count, read_import_text
from storyexport.registry.records import Counts, VideoEntry
from storyexport.registry.registry import Change, ExportRegistry, normalise_timestamp

MAPPINGS_FILE = Path(__file__).with_name("csv_mappings.yaml")
COUNT_FIELDS = ("views", "likes", "shares", "comments")
_SUFFIXES = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


@dataclass
class CsvImportResult:
    platform: str
    rows: int = 0
    recorded: int = 0
    already_imported: int = 0
    unmatched: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.platform}: {self.rows} rows, {self.recorded} snapshots recorded, "
                f"{self.already_imported} already imported, {len(self.unmatched)} unmatched")


class CsvMapping(TypedDict, total=False):
    """One platform's entry in ``csv_mappings.yaml``."""

    label: Required[str]
    detect: Required[list[str]]
    skip: list[str]
    columns: Required[dict[str, list[str]]]  # field -> the column names it may have, first found wins


@cache
def load_mappings(path: Path = MAPPINGS_FILE) -> dict[str, CsvMapping]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def detect_platform(header: list[str], mappings: Mapping[str, CsvMapping]) -> str | None:
    names = {_norm(h) for h in header}
    found = [p for p, m in mappings.items() if all(_norm(c) in names for c in m["detect"])]
    return found[0] if len(found) == 1 else None


def import_csv(registry: ExportRegistry, path: Path, platform: str | None = None,
               recorded_at: str | None = None) -> CsvImportResult:
    """Record one snapshot per matched row; unmatched rows are listed, not fatal."""
    mappings = load_mappings()
    header, rows = _read(path)
    platform = platform or detect_platform(header, mappings)
    if platform is None:
        raise RegistryError(f"{path}: header matches none of the known exports "
                            f"({', '.join(mappings)}); pass --platform or add it to csv_mappings.yaml")
    if platform not in mappings:
        raise RegistryError(f"{path}: no column mapping for platform {platform!r} in csv_mappings.yaml")
    mapping = mappings[platform]
    columns = _resolve_columns(header, mapping["columns"])
    if "views" not in columns:
        raise RegistryError(f"{path}: no views column for {platform} (expected one of "
                            f"{', '.join(mapping['columns']['views'])})")
    matcher = _Matcher(registry.all_videos(), platform)
    result = CsvImportResult(platform)
    skip = {_norm(v) for v in mapping.get("skip", [])}
    with registry.changing() as change:  # one transaction: a file is imported completely or not at all
        when = normalise_timestamp(recorded_at) or change.now
        for line, row in rows:
            if not any(cell.strip() for cell in row.values()) or _norm(next(iter(row.values()), "")) in skip:
                continue
            result.rows += 1
            _import_row(change, path, line, row, columns, matcher, result, when)
    return result


def _import_row(change: Change, path: Path, line: int, row: dict[str, str], columns: dict[str, str],
                matcher: _Matcher, result: CsvImportResult, recorded_at: str) -> None:
    ids = {f: row.get(c, "").strip() for f, c in columns.items() if f not in COUNT_FIELDS}
    title_id = matcher.match(ids)
    label = _row_label(ids)
    if title_id is None:
        result.unmatched.append(f"{path.name}:{line}: {label}")
        return
    try:
        counts = Counts(*(_number(row.get(columns[f], "")) if f in columns else 0 for f in COUNT_FIELDS))
    except ValueError as exc:
        result.unmatched.append(f"{path.name}:{line}: {label}: {exc}")
        return
    source = _source(result.platform, title_id, counts)
    if change.add_snapshot(title_id, result.platform, counts, recorded_at, source):
        result.recorded += 1
    else:
        result.already_imported += 1


class _Matcher:
    """Find the registered story a CSV row is about: by URL, platform video id, title, or id in the text."""

    def __init__(self, videos: Mapping[str, VideoEntry], platform: str):
        self.videos = videos
        self.urls = {_norm_url(url): tid for tid, v in videos.items() if (url := _platform_url(v, platform))}
        self.titles = {_norm(v["title"]): tid for tid, v in videos.items()}

    def match(self, ids: dict[str, str]) -> str | None:
        if ids.get("url") and _norm_url(ids["url"]) in self.urls:
            return self.urls[_norm_url(ids["url"])]
        video_id = ids.get("video_id")
        if video_id:
            if video_id in self.videos:
                return video_id
            for url, tid in self.urls.items():
                if re.search(rf"[/=]{re.escape(video_id.lower())}(?:$|[/?&])", url):
                    return tid
        if ids.get("title") and _norm(ids["title"]) in self.titles:
            return self.titles[_norm(ids["title"])]
        text = " ".join(ids.get(k, "") for k in ("title", "description"))
        found = [tid for tid in self.videos if re.search(rf"(?<![\w-]){re.escape(tid)}(?![\w-])", text)]
        return found[0] if len(found) == 1 else None


def _platform_url(video: VideoEntry, platform: str) -> str | None:
    entry = video["platforms"].get(platform)
    return entry.get("url") if entry else None


def _row_label(ids: dict[str, str]) -> str:
    """How an unmatched row is named to the user: its title (or caption start) and its id or link."""
    name = ids.get("title") or ids.get("description", "")[:40]
    key = ids.get("video_id") or ids.get("url")
    if name and key:
        return f"{name} ({key})"
    return name or key or "(no identifying column)"


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    text = read_import_text(path, "utf-8-sig")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in reader.fieldnames or []]
        rows = [(reader.line_num, {(k or "").strip(): v or "" for k, v in row.items()}) for row in reader]
    except csv.Error as exc:
        raise RegistryError(f"{path}: not a readable CSV file: {exc}") from exc
    if not header:
        raise RegistryError(f"{path}: empty CSV file (no header line)")
    return header, rows


def _resolve_columns(header: list[str], wanted: dict[str, list[str]]) -> dict[str, str]:
    """Field -> the file's column: the first name listed in the mapping that the header has."""
    by_norm = {_norm(h): h for h in header}
    resolved = {}
    for field_name, names in wanted.items():
        present = [by_norm[_norm(n)] for n in names if _norm(n) in by_norm]
        if present:
            resolved[field_name] = present[0]
    return resolved


def _number(text: str) -> int:
    """``1,234`` / ``1 234`` / ``1.2K`` / empty -> int (platform exports use all of these)."""
    cleaned = text.strip().replace(",", "").replace("\u202f", "").replace(" ", "").lower()
    if not cleaned:
        return 0
    scale = _SUFFIXES.get(cleaned[-1], 1)
    try:
        value = float(cleaned[:-1] if scale != 1 else cleaned) * scale
    except ValueError:
        raise ValueError(f"not a number: {text[:40]!r}") from None
    return check_count(value, f"count {text[:40]!r}")


def _source(platform: str, title_id: str, counts: Counts) -> str:
    digest = hashlib.sha256(f"{platform}|{title_id}|{counts}".encode()).hexdigest()[:24]
    return f"csv:{digest}"


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _norm_url(url: str) -> str:
    url = re.sub(r"^https?://(www\.|m\.)?", "", url.strip().lower())
    return url.split("?")[0].rstrip("/")
