"""The validated-manifest cache never hides a change: manifest, rules or tool version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storyexport.config import ConfigError
from storyexport.config.cache import cache_file
from storyexport.config.manifest import load_for_build
from storyexport.resources import builtin_platforms_dir

MANIFEST = "version: 1\nstories:\n  - {id: a, title: A, segment: s, age_group: x, source: a.mp4}\n"


def test_cache_hit_and_invalidation(tmp_path: Path) -> None:
    manifest = tmp_path / "exports.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    shutil.copytree(builtin_platforms_dir(), tmp_path / "platforms")
    first, _ = load_for_build(manifest)
    assert cache_file(manifest).is_file()
    again, rules = load_for_build(manifest)
    assert again == first and set(rules) == {"youtube", "tiktok", "instagram"}

    manifest.write_text(MANIFEST.replace("title: A", "title: B"), encoding="utf-8")
    assert load_for_build(manifest)[0].stories[0].title == "B"

    manifest.write_text(MANIFEST.replace("title: A", "titel: A"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"exports\.yaml:3:"):
        load_for_build(manifest)

    manifest.write_text(MANIFEST, encoding="utf-8")
    load_for_build(manifest)
    rules_file = tmp_path / "platforms" / "tiktok.yaml"
    rules_file.write_text(rules_file.read_text(encoding="utf-8").replace("max_count: 5", "max_count: -1"),
                          encoding="utf-8")
    with pytest.raises(ConfigError, match=r"tiktok\.yaml"):
        load_for_build(manifest)
