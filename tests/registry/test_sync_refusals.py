"""One story the registry refuses (say, a blank title that reached it through the Python API) never stops the
other stories from being registered; the task still fails, naming the story."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyexport import layout
from storyexport.config.model import Manifest, Story
from storyexport.registry import ExportRegistry, RegistryError, registry_path, sync_registry


def built_manifest(tmp_path: Path, titles: dict[str, str]) -> Manifest:
    stories = tuple(Story(id=i, title=t, segment="women", age_group="18-23", source=tmp_path / f"{i}.mp4")
                    for i, t in titles.items())
    manifest = Manifest(path=tmp_path / "exports.yaml", output_dir=tmp_path / "final", platforms_dir=tmp_path,
                        stories=stories)
    for story in stories:
        for path in (layout.video_path(manifest.output_dir, story),
                     layout.base_metadata_path(manifest.output_dir, story)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
    return manifest


def test_a_refused_story_leaves_the_others_registered(tmp_path: Path) -> None:
    manifest = built_manifest(tmp_path, {"good": "Good story", "blank": "   ", "later": "Later story"})
    with pytest.raises(RegistryError) as caught:
        sync_registry(manifest)
    message = str(caught.value)
    assert "1 of 3 stories not registered" in message and "story 'blank': title must be a non-empty" in message
    assert "\n" not in message
    registry = ExportRegistry(registry_path(manifest.output_dir))
    assert sorted(registry.all_videos()) == ["good", "later"]
    snapshot = registry.json_path.read_text(encoding="utf-8")
    assert '"good"' in snapshot and '"later"' in snapshot and '"blank"' not in snapshot


def test_all_valid_still_returns_every_id(tmp_path: Path) -> None:
    manifest = built_manifest(tmp_path, {"a": "A", "b": "B"})
    assert sync_registry(manifest) == ["a", "b"]
