"""The build's registry task: register what is built, keep what was recorded."""

from __future__ import annotations

import json
from pathlib import Path

from storyexport import layout
from storyexport.config.model import Manifest, Story
from storyexport.registry import ExportRegistry, registry_path, sync_registry


def manifest_with(tmp_path: Path, *ids: str) -> Manifest:
    stories = tuple(Story(id=i, title=f"Title {i}", segment="women", age_group="18-23",
                          source=tmp_path / f"{i}.mp4", platforms=("youtube", "tiktok")) for i in ids)
    return Manifest(path=tmp_path / "exports.yaml", output_dir=tmp_path / "final", platforms_dir=tmp_path,
                    stories=stories)


def build_outputs(manifest: Manifest, story_id: str, thumbnail: bool = True) -> None:
    story = manifest.story(story_id)
    for path in (layout.video_path(manifest.output_dir, story), layout.base_metadata_path(manifest.output_dir, story)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    if thumbnail:
        layout.story_thumbnail_paths(manifest.output_dir, story).best.write_bytes(b"jpg")


def test_sync_registers_built_stories_and_keeps_history(tmp_path):
    manifest = manifest_with(tmp_path, "built", "half", "missing")
    build_outputs(manifest, "built")
    video = layout.video_path(manifest.output_dir, manifest.story("half"))
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"x")  # no base metadata yet: not registered

    assert sync_registry(manifest) == ["built"]
    registry = ExportRegistry(registry_path(manifest.output_dir))
    info = registry.get_video_info("built")
    assert info["video_path"] == "women/18-23/built.mp4"
    assert info["thumbnail_path"] == "women/18-23/built_thumbnail.jpg"
    assert set(info["platforms"]) == {"youtube", "tiktok"}

    registry.update_publish_status("built", "youtube", "published", "https://y/1")
    registry.update_performance("built", 10, 1, 0)
    snapshot_before = registry.json_path.read_bytes()
    sync_registry(manifest)
    assert registry.json_path.read_bytes() == snapshot_before  # re-sync: nothing to change

    build_outputs(manifest, "half")
    registry.json_path.unlink()
    assert sync_registry(manifest) == ["built", "half"]
    doc = json.loads(registry.json_path.read_text())
    assert doc["videos"]["built"]["platforms"]["youtube"]["status"] == "published"
    assert doc["videos"]["built"]["performance"]["views"] == 10
    assert doc["videos"]["half"]["thumbnail_path"] == "women/18-23/half_thumbnail.jpg"


def test_sync_without_thumbnail_leaves_it_out(tmp_path):
    manifest = manifest_with(tmp_path, "plain")
    build_outputs(manifest, "plain", thumbnail=False)
    sync_registry(manifest)
    doc = json.loads((manifest.output_dir / layout.REGISTRY_JSON).read_text())
    assert "thumbnail_path" not in doc["videos"]["plain"]
