"""PlatformExporter: the original guide's API, upload bodies under each API's field names, reproducible files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from storyexport.config.model import MetadataOptions, Story
from storyexport.metadata import PlatformExporter, UnknownPlatform
from storyexport.metadata.templates import TemplateProblem

STORY = {"id": "abc123", "title": "The Lighthouse", "segment": "women", "age_group": "18-23",
         "description": "A keeper finds a letter.", "theme": "hope", "tone": "calm",
         "hashtags": ["#lighthouse", "keeper", "sea", "letters"]}


def make_story(**changes) -> Story:
    fields = {k: v for k, v in STORY.items() if k != "hashtags"}
    return Story(**fields, hashtags=tuple(STORY["hashtags"]), source=Path("in.mp4"), **changes)


def test_guide_api_platform_info(exporter):
    assert exporter.list_platforms() == ["instagram", "tiktok", "youtube"]
    info = exporter.get_platform_info("youtube")
    assert info["metadata_limits"]["title"] == 100
    assert info["metadata_limits"]["description"] == 5000 and info["metadata_units"]["description"] == "utf8_bytes"
    assert info["video_specs"]["max_duration"] == 179.5 and info["video_specs"]["resolution"] == "1080x1920"
    assert info["hashtag_strategy"] == "moderate"


def test_unknown_platform_is_a_clear_error(exporter):
    with pytest.raises(UnknownPlatform, match=r"unknown platform 'vine': no vine.yaml in .* \(known: instagram, "):
        exporter.generate_platform_metadata(STORY, "vine")


def test_youtube_upload_body(exporter):
    metadata = exporter.generate_platform_metadata(
        STORY, "youtube", cover_timestamp_s=3.2,
        options=MetadataOptions(privacy="unlisted", made_for_kids=True, category_id="24"))
    assert metadata["upload"] == {
        "snippet": {"title": "The Lighthouse", "description": metadata["platform_description"],
                    "tags": ["lighthouse", "keeper", "sea", "letters", "shorts", "story", "hope", "calm"],
                    "categoryId": "24"},
        "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": True},
    }
    assert metadata["platform_hashtags"] == ["#lighthouse", "#keeper", "#sea", "#shorts", "#story", "#hope", "#calm"]
    assert metadata["platform_description"].endswith("#lighthouse #keeper #sea #shorts #story #hope #calm")
    assert metadata["cover"]["timestamp_ms"] == 3200 and metadata["cover"]["method"] == "in_app_frame"


def test_tiktok_upload_body(exporter):
    metadata = exporter.generate_platform_metadata(STORY, "tiktok", cover_timestamp_s=2.0004)
    post_info = metadata["upload"]["post_info"]
    assert post_info["title"] == ("The Lighthouse\nA keeper finds a letter.\n\n"
                                  "#fyp #storytime #lighthouse #keeper #sea")
    assert post_info["privacy_level"] == "SELF_ONLY"  # the default privacy is private
    assert post_info["video_cover_timestamp_ms"] == 2000
    assert metadata["hashtag_strategy"] == "aggressive"


def test_instagram_upload_body_and_cover_clamped_into_the_video(exporter):
    metadata = exporter.generate_platform_metadata(STORY, "instagram", cover_timestamp_s=99.0,
                                                   probe={"duration": 8.5})
    assert metadata["upload"] == {
        "media_type": "REELS", "share_to_feed": True, "thumb_offset": 8500,
        "caption": "The Lighthouse\nA keeper finds a letter.\n\n#lighthouse #keeper #sea #reels #hope",
    }


def test_without_a_cover_time_the_field_is_left_out(exporter):
    assert "video_cover_timestamp_ms" not in exporter.generate_platform_metadata(STORY, "tiktok")["upload"][
        "post_info"]


def test_a_story_object_uses_its_platforms_and_options(exporter):
    story = make_story(platforms=("tiktok",), metadata=MetadataOptions(privacy="public"))
    everything = exporter.generate_all_platforms(story)
    assert list(everything) == ["tiktok"]
    assert everything["tiktok"]["upload"]["post_info"]["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert everything["tiktok"]["story_id"] == "abc123"


def test_a_mapping_with_title_id_only(exporter):
    story = {k: v for k, v in STORY.items() if k != "id"} | {"title_id": "t1"}
    assert set(exporter.generate_all_platforms(story)) == {"youtube", "tiktok", "instagram"}
    assert exporter.generate_platform_metadata(story, "tiktok")["story_id"] == "t1"


def test_saved_files_are_valid_reproducible_and_atomic(tmp_path, platform_metadata_validator):
    exporter = PlatformExporter()
    extras = {"probe": {"duration": 8.0, "width": 1080, "height": 1920}, "cover_timestamp_s": 1.5}
    first = exporter.save_platform_metadata(STORY, tmp_path / "a", **extras)
    second = PlatformExporter().save_platform_metadata(STORY, tmp_path / "b", **extras)
    assert sorted(p.name for p in first.values()) == [
        "abc123_instagram_metadata.json", "abc123_tiktok_metadata.json", "abc123_youtube_metadata.json"]
    for platform, path in first.items():
        assert path.parent == tmp_path / "a"  # output_dir is the folder the files go in, as in the guide
        assert path.read_bytes() == second[platform].read_bytes()
        data = json.loads(path.read_text(encoding="utf-8"))
        assert not list(platform_metadata_validator.iter_errors(data))
    assert sorted(os.listdir(tmp_path / "a")) == sorted(p.name for p in first.values())  # no temps


def test_saving_a_story_without_id_fails_clearly(exporter, tmp_path):
    with pytest.raises(ValueError, match="story has no id"):
        exporter.save_platform_metadata({"title": "x"}, tmp_path)


def test_the_builtin_rules_file_is_named_in_info(exporter, builtin_dir):
    assert exporter.get_platform_info("tiktok")["rules_file"] == str(builtin_dir / "tiktok.yaml")


def test_tiktok_chunked_upload_fields_follow_the_video_size(exporter):
    small = exporter.generate_platform_metadata(STORY, "tiktok", probe={"size": 3_000_000})
    assert small["upload"]["source_info"] == {"source": "FILE_UPLOAD", "video_size": 3_000_000,
                                              "chunk_size": 3_000_000, "total_chunk_count": 1}
    large = exporter.generate_platform_metadata(STORY, "tiktok", probe={"size": 205_000_000})
    assert large["upload"]["source_info"] == {"source": "FILE_UPLOAD", "video_size": 205_000_000,
                                              "chunk_size": 10_000_000, "total_chunk_count": 20}
    unknown = exporter.generate_platform_metadata(STORY, "tiktok")
    assert unknown["upload"]["source_info"] == {"source": "FILE_UPLOAD"}


def test_an_empty_youtube_title_fails_its_check(exporter):
    metadata = exporter.generate_platform_metadata({**STORY, "title": "\x07\x08"}, "youtube")
    title_check = next(c for c in metadata["checks"]["text"] if c["name"] == "text.title.length")
    assert title_check["ok"] is False and title_check["message"] == "text.title is 0 characters, below the minimum of 1"
    assert metadata["checks"]["ok"] is False


def test_a_mapping_may_name_its_platforms_in_one_string(exporter):
    """As its hashtags may: "tiktok youtube" is two platforms, not one platform per letter."""
    story = STORY | {"platforms": "tiktok, youtube"}
    assert list(exporter.generate_all_platforms(story)) == ["tiktok", "youtube"]


def test_an_upload_expression_that_json_cannot_hold_names_its_field(tmp_path, builtin_dir):
    rules = (builtin_dir / "youtube.yaml").read_text(encoding="utf-8")
    (tmp_path / "youtube.yaml").write_text(rules.replace('title: "= text.title"', 'title: "= text.items()"'),
                                           encoding="utf-8")
    with pytest.raises(TemplateProblem, match=r"youtube\.yaml upload\.snippet\.title: expression gives a "
                                              r"dict_items, which JSON cannot hold"):
        PlatformExporter(rules_dir=tmp_path).generate_platform_metadata(STORY, "youtube")
