"""Base metadata (``{id}_metadata.json``): what was exported, its probe, and checksums of every file.

Reproducible by construction: no wall-clock time, paths relative to the output folder with forward slashes, and
canonical JSON (sorted keys) written atomically, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from storyexport import __version__
from storyexport.config.model import Story
from storyexport.fsutil import write_json_atomic
from storyexport.jsontypes import JSONValue
from storyexport.metadata.checks import Probe
from storyexport.metadata.documents import BaseMetadata, FileEntry

SCHEMA_ID = "https://storyexport.dev/schemas/metadata.schema.json"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def relative_posix(path: Path, relative_to: Path) -> str:
    """``path`` relative to ``relative_to`` with forward slashes (falls back to the absolute path)."""
    path, base = Path(path).absolute(), Path(relative_to).absolute()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def file_entry(path: Path, relative_to: Path) -> FileEntry:
    return {"path": relative_posix(path, relative_to), "sha256": sha256_file(path), "bytes": Path(path).stat().st_size}


def _json_safe(value: object) -> JSONValue:
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, Path):
        return value.as_posix()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a probe value of type {type(value).__name__} cannot be written as JSON")


def build_base_metadata(story: Story, video: Path, probe: Probe,
                        files: Mapping[str, Path | list[Path]], relative_to: Path) -> BaseMetadata:
    """The base metadata document for one exported story (see schemas/metadata.schema.json)."""
    entries: dict[Path, FileEntry] = {}

    def entry(path: Path) -> FileEntry:  # the video is listed twice: hash it once
        if path not in entries:
            entries[path] = file_entry(path, relative_to)
        return entries[path]

    return {
        "$schema": SCHEMA_ID,
        "story": {**story.text_fields(), "platforms": list(story.platforms)},
        "video": entry(Path(video)),
        "probe": _json_safe(dict(probe)),
        "files": {
            name: [entry(Path(p)) for p in value] if isinstance(value, list | tuple) else entry(Path(value))
            for name, value in sorted(files.items()) if value is not None
        },
        "options": {
            "video": story.video.as_dict(),
            "thumbnails": story.thumbnails.as_dict(),
            "metadata": story.metadata.as_dict(),
        },
        "generator": {"name": "storyexport", "version": __version__},
    }


def write_base_metadata(target: Path, story: Story, video: Path, probe: Probe,
                        files: Mapping[str, Path | list[Path]], relative_to: Path) -> BaseMetadata:
    """Build the base metadata and write it atomically to ``target``; returns the document."""
    document = build_base_metadata(story, video, probe, files, relative_to)
    write_json_atomic(target, document)
    return document
