"""Loading applies defaults layer by layer and resolves paths against the manifest's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyexport.config import ConfigError, load_manifest
from storyexport.resources import builtin_platforms_dir

MANIFEST = """\
version: 1
defaults:
  platforms: [tiktok]
  video: {crf: 30}
  thumbnails: {method: brightness, num_options: 2}
stories:
  - {id: a, title: A, segment: s, age_group: x, source: a.mp4}
  - {id: b, title: B, segment: s, age_group: x, source: sub/b.mp4, platforms: [youtube],
     thumbnails: {num_options: 4}}
"""


def test_defaults_layering_and_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("a.mp4", "sub/b.mp4"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    manifest = load_manifest(tmp_path / "m.yaml")
    a, b = manifest.stories
    assert manifest.output_dir == (tmp_path / "data/final").resolve()
    assert manifest.platforms_dir == builtin_platforms_dir()
    assert a.source == (tmp_path / "a.mp4").resolve() and b.source == (tmp_path / "sub/b.mp4").resolve()
    assert a.platforms == ("tiktok",) and b.platforms == ("youtube",)
    assert a.video.crf == 30 and a.video.fps == 30
    assert (a.thumbnails.method, a.thumbnails.num_options) == ("brightness", 2)
    assert (b.thumbnails.method, b.thumbnails.num_options) == ("brightness", 4)


def test_local_platforms_folder_wins(tmp_path: Path) -> None:
    (tmp_path / "platforms").mkdir()
    (tmp_path / "a.mp4").write_bytes(b"")
    (tmp_path / "m.yaml").write_text(MANIFEST.replace("source: sub/b.mp4", "source: a.mp4"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_manifest(tmp_path / "m.yaml")
    assert "unknown platform 'tiktok'" in exc.value.one_line()
