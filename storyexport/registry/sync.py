"""The build's ``registry`` task: register every story whose video and base metadata exist.

The store can be deleted behind the build's back (``rm data/final/export_registry.sqlite*``). The task's
``uptodate`` compares the store's ``created_at`` (:func:`store_created_at`) with the one it saw last, so a missing
or replaced store reruns it; a store without history is then first restored from the JSON snapshot, which keeps
publish statuses and performance, and the built stories are registered again.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from storyexport import layout
from storyexport.config.model import Manifest, Story
from storyexport.registry.errors import RegistryError
from storyexport.registry.records import ExportItem
from storyexport.registry.registry import ExportRegistry, check_export


def registry_path(output_dir: Path) -> Path:
    return output_dir / layout.REGISTRY_DB


def sync_registry(manifest: Manifest, registry: ExportRegistry | None = None) -> list[str]:
    """Upsert the built stories (paths relative to ``output_dir``) and rewrite the JSON snapshot.

    Re-registering keeps publish status and performance history; stories dropped from the manifest stay in the
    registry (their history is still wanted). Returns the ids registered. A story the registry refuses is left
    out, the others are registered, then ``RegistryError`` names every refused story.
    """
    if registry is None:
        registry = ExportRegistry(registry_path(manifest.output_dir))
        try:
            return sync_registry(manifest, registry)
        finally:
            registry.close()  # the store's files are final when the task ends (the up-to-date stamp stats them)
    if registry.meta()["created_at"] is None and registry.json_path.is_file():
        _restore_from_snapshot(registry)
    entries, refused = [], []
    for story in manifest.stories:
        try:
            entry = _entry(manifest.output_dir, story)
            if entry is not None:
                check_export(entry)
                entries.append(entry)
        except (RegistryError, OSError, ValueError) as exc:
            refused.append(f"story '{story.id}': {exc}")
    registered = registry.register_exports(entries)
    if not registry.json_path.is_file() or registry.meta()["created_at"] is None:
        registry.export_json()  # the snapshot was deleted, or nothing changed in a new store: give it its date
    if refused:
        raise RegistryError(f"{len(refused)} of {len(manifest.stories)} stories not registered "
                            f"(the others were): {'; '.join(refused)}")
    return registered


def _restore_from_snapshot(registry: ExportRegistry) -> None:
    """A new, empty store beside an existing snapshot: the store was deleted. Take back what the snapshot holds."""
    from storyexport.registry.json_import import import_guide_json

    try:
        count = import_guide_json(registry, registry.json_path)
    except RegistryError as exc:
        print(f"storyexport: warning: {registry.path} was missing and {exc}; re-registering the built stories "
              "only", file=sys.stderr)
        return
    print(f"storyexport: {registry.path} was missing: restored {count} video(s) from {registry.json_path.name}",
          file=sys.stderr)


def store_created_at(path: Path, *, untouched: bool = False) -> str | None:
    """When the store at ``path`` was created (None when it is missing, unreadable or has never been written).

    ``untouched`` reads the main file as it is (SQLite's ``immutable``): no lock, no ``-wal``/``-shm`` created or
    updated, so a no-op build leaves SQLite's files alone; a value still only in the write-ahead log is not seen.
    """
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{'immutable=1' if untouched else 'mode=ro'}", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'created_at'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _entry(output_dir: Path, story: Story) -> ExportItem | None:
    """What to register for a built story (video and base metadata exist), or None."""
    video = layout.video_path(output_dir, story)
    metadata = layout.base_metadata_path(output_dir, story)
    if not (video.is_file() and metadata.is_file()):
        return None
    thumbnail = layout.story_thumbnail_paths(output_dir, story).best
    return {
        "title_id": story.id, "title": story.title, "segment": story.segment, "age_group": story.age_group,
        "video_path": _relative(video, output_dir),
        "thumbnail_path": _relative(thumbnail, output_dir) if thumbnail.is_file() else None,
        "metadata_path": _relative(metadata, output_dir),
        "platforms": story.platforms,
    }


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
