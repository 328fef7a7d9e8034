"""The typed configuration: defaults match the schema, layering works, round-trips are exact."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from storyexport.config.model import Manifest, MetadataOptions, Sample, Story, ThumbnailOptions, VideoOptions
from storyexport.resources import load_schema


@pytest.mark.parametrize(("cls", "key"), [(VideoOptions, "video"), (ThumbnailOptions, "thumbnails"),
                                          (MetadataOptions, "metadata")])
def test_dataclass_defaults_match_schema_defaults(cls, key: str) -> None:
    properties = load_schema("manifest")["$defs"][key]["properties"]
    assert {f.name for f in fields(cls)} == set(properties)
    defaults = cls().as_dict()
    for name, spec in properties.items():
        assert defaults[name] == spec["default"], name


def test_sample_defaults_match_schema() -> None:
    properties = load_schema("manifest")["$defs"]["sample"]["properties"]
    sample = Sample(path=Path("x.mp4"))
    for name, spec in properties.items():
        if "default" in spec:
            assert getattr(sample, name) == spec["default"], name


def test_layers_override_key_by_key() -> None:
    merged = ThumbnailOptions.merged({"method": "sharpness", "num_options": 3}, {"num_options": 2})
    assert merged.method == "sharpness" and merged.num_options == 2 and merged.grid == (3, 3)


def test_story_and_manifest_round_trip() -> None:
    story = Story("a", "T", "s", "18-23", Path("/x/a.mp4"), hashtags=("x",),
                  video=VideoOptions(fit="crop"), thumbnails=ThumbnailOptions(grid=(4, 4)))
    assert Story.from_dict(story.to_dict()) == story
    manifest = Manifest(Path("/m/exports.yaml"), Path("/m/out"), Path("/m/platforms"), (story,),
                        (Sample(Path("/m/s.mp4"), seed=3),))
    assert Manifest.from_dict(manifest.to_dict()) == manifest


def test_every_manifest_key_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "manifest.md").read_text(encoding="utf-8")
    schema = load_schema("manifest")
    groups = [schema["properties"], *(d.get("properties", {}) for d in schema["$defs"].values())]
    for properties in groups:
        for key in properties:
            assert f"`{key}`" in docs, key
