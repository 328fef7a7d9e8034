"""The build's ``registry`` task: register every story whose video and base metadata exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storyexport import layout
from storyexport.config.model import Manifest, Story
from storyexport.registry.errors import RegistryError
from storyexport.registry.registry import ExportRegistry, check_export


def registry_path(output_dir: Path) -> Path:
    return output_dir / layout.REGISTRY_DB


def sync_registry(manifest: Manifest, registry: ExportRegistry | None = None) -> list[str]:
    """Upsert the built stories (paths relative to ``output_dir``) and rewrite the JSON snapshot.

    Re-registering keeps publish status and performance history; stories dropped from the manifest stay in the
    registry (their history is still wanted). Returns the ids registered. A story the registry refuses is left
    out, the others are registered, then ``RegistryError`` names every refused story.
    """
    registry = registry or ExportRegistry(registry_path(manifest.output_dir))
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
    if not registry.json_path.is_file():  # nothing changed, but the snapshot was deleted
        registry.export_json()
    if refused:
        raise RegistryError(f"{len(refused)} of {len(manifest.stories)} stories not registered "
                            f"(the others were): {'; '.join(refused)}")
    return registered


def _entry(output_dir: Path, story: Story) -> dict[str, Any] | None:
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
