"""A platform added only as a YAML file works end to end: no code knows its name or its API fields."""

from __future__ import annotations

import json
import shutil

from storyexport.metadata import PlatformExporter, measure

from .conftest import story

FACEBOOK = """\
# yaml-language-server: $schema=../schemas/platform.schema.json
name: facebook
display_name: Facebook Reels
video:
  min_duration_s: 3
  max_duration_s: 90
  min_fps: 24
  max_fps: 60
  codecs: [h264]
  max_file_size_mb: 1000
  recommended: {width: 1080, height: 1920, fps: 30}
text:
  title:
    template: "{{ title }}"
    max_length: 40
    unit: graphemes
    shrink: title
  description:
    template: |-
      {{ title }} — {{ description }}
      {{ hashtag_line }}
    max_length: 300
    unit: utf16_units
  headline:
    template: "{{ display_name }}: {{ theme | upper }}"
    max_length: 25
    unit: characters
    shrink: theme
    counts_hashtags: false
hashtags:
  max_count: 4
  strategy:
    name: discovery
    sources: [platform, theme, story]
    story_tags: 2
    platform_tags: [reels, fbreels]
privacy_levels: {public: EVERYONE, unlisted: FRIENDS, private: SELF}
upload:
  video_state: PUBLISHED
  description: "= text.description"
  title: "= text.title"
  privacy: {value: "= privacy_level"}
  thumbnail_offset_s: "= cover_timestamp_s"
  hashtags_used: "= hashtags | length"
publishing_tips: [Post when your audience is online.]
"""


def test_facebook_reels_from_yaml_only(tmp_path, platform_metadata_validator, builtin_dir):
    for path in builtin_dir.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "facebook.yaml").write_text(FACEBOOK, encoding="utf-8")
    exporter = PlatformExporter(rules_dir=tmp_path)
    assert exporter.list_platforms() == ["facebook", "instagram", "tiktok", "youtube"]

    data = {**story("huge_description"), "theme": "courage and a very long theme", "hashtags": ["a1", "b2", "c3"]}
    metadata = exporter.generate_platform_metadata(
        data, "facebook", cover_timestamp_s=1.25,
        probe={"duration": 120.0, "width": 1080, "height": 1920, "fps": 30, "video_codec": "h264", "size": 5_000_000})
    assert not list(platform_metadata_validator.iter_errors(metadata))
    assert metadata["platform_hashtags"] == ["#reels", "#fbreels", "#courageandaverylongtheme", "#a1"]
    assert measure(metadata["platform_description"], "utf16_units") <= 300
    assert measure(metadata["text"]["headline"], "characters") <= 25
    assert metadata["text"]["headline"].startswith("Facebook Reels: ")
    assert metadata["upload"] == {
        "video_state": "PUBLISHED",
        "description": metadata["platform_description"],
        "title": "Long one",
        "privacy": {"value": "SELF"},
        "thumbnail_offset_s": 1.25,
        "hashtags_used": 4,
    }
    duration = next(c for c in metadata["checks"]["video"] if c["name"] == "duration")
    assert duration["ok"] is False and duration["limit"] == {"min": 3, "max": 90}
    assert metadata["checks"]["ok"] is False
    assert metadata["platform_config"]["metadata_units"]["title"] == "graphemes"

    written = exporter.save_platform_metadata({**data, "platforms": ["facebook"]}, tmp_path / "out")
    assert list(written) == ["facebook"]
    assert written["facebook"] == tmp_path / "out" / "s_huge_description_facebook_metadata.json"
    saved = json.loads(written["facebook"].read_text(encoding="utf-8"))
    assert saved["platform"] == "facebook" and saved["checks"]["video_probed"] is False
