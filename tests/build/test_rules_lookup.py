"""The loader, the task graph and the up-to-date stamp find a project's rules files through one lookup."""

from __future__ import annotations

import shutil
from pathlib import Path

from storyexport.build.stamp import rules_paths
from storyexport.config.model import STORY_METADATA_KEYS, Story
from storyexport.metadata.rules import load_platform_rules
from storyexport.resources import builtin_platforms_dir, rules_file, rules_files


def _project_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "platforms"
    folder.mkdir()
    shutil.copy(builtin_platforms_dir() / "youtube.yaml", folder / "youtube.yaml")
    shutil.copy(builtin_platforms_dir() / "tiktok.yaml", folder / "tiktok.yml")
    (folder / ".hidden.yaml").write_text("not: rules\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not rules\n", encoding="utf-8")
    return folder


def test_loader_graph_and_stamp_see_the_same_rules_files(tmp_path):
    folder = _project_rules(tmp_path)
    files = rules_files(folder)
    assert files == {"tiktok": folder / "tiktok.yml", "youtube": folder / "youtube.yaml"}
    assert sorted(load_platform_rules(folder)) == sorted(files)
    assert [rules_file(folder, name) for name in files] == list(files.values())
    assert rules_paths(str(folder)) == [str(folder), *(str(path) for path in files.values())]


def test_a_platform_without_a_file_is_named_as_yaml(tmp_path):
    assert rules_file(tmp_path / "missing", "instagram") == tmp_path / "missing" / "instagram.yaml"
    assert rules_file(_project_rules(tmp_path), "instagram") == tmp_path / "platforms" / "instagram.yaml"


def test_the_metadata_config_slice_keeps_its_keys(tmp_path):
    # The metadata tasks' config slice is part of their up-to-date check: a key added or lost would rebuild every
    # story's metadata after an upgrade.
    story = Story(id="s1", title="T", segment="seg", age_group="kids", source=tmp_path / "s1.mp4")
    assert STORY_METADATA_KEYS == ("id", "title", "segment", "age_group", "description", "theme", "tone",
                                   "hashtags", "platforms")
    assert set(story.to_dict()) - set(STORY_METADATA_KEYS) == {"source", "video", "thumbnails", "metadata"}


def test_a_clashing_yml_beside_a_yaml_invalidates_the_validated_manifest_cache(tmp_path):
    from storyexport.config.cache import rules_signature

    folder = _project_rules(tmp_path)
    before = rules_signature(folder)
    shutil.copy(folder / "youtube.yaml", folder / "youtube.yml")
    assert rules_signature(folder) != before  # the clash must be reported, not answered from the cache
    assert rules_files(folder)["youtube"] == folder / "youtube.yaml"
