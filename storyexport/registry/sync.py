"""The build's ``registry`` task: register every story whose video and base metadata exist."""

from __future__ import annotations

from pathlib import Path

from storyexport import layout
from storyexport.config.model import Manifest, Story
from storyexport.registry.registry import ExportRegistry


def registry_path(output_dir: Path) -> Path:
    return output_dir / layout.REGISTRY_DB


def sync_registry(manifest: Manifest, registry: ExportRegistry | None = None) -> list[str]:
    """Upsert the built stories (paths relative to ``output_dir``) and rewrite the JSON snapshot.

    Re-registering keeps publish status and performance history; stories dropped from the manifest stay in the
    registry (their history is still wanted). Returns the ids registered.
    """
    registry = registry or ExportRegistry(registry_path(manifest.output_dir))
    registered = [story.id for story in manifest.stories if _register(registry, manifest.output_dir, story)]
    registry.export_json()
    return registered


def _register(registry: ExportRegistry, output_dir: Path, story: Story) -> bool:
    video = layout.video_path(output_dir, story)
    metadata = layout.base_metadata_path(output_dir, story)
    if not (video.is_file() and metadata.is_file()):
        return False
    thumbnail = layout.story_thumbnail_paths(output_dir, story).best
    registry.register_export(
        story.id, story.title, story.segment, story.age_group,
        video_path=_relative(video, output_dir),
        thumbnail_path=_relative(thumbnail, output_dir) if thumbnail.is_file() else None,
        metadata_path=_relative(metadata, output_dir),
        platforms=story.platforms,
    )
    return True


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
