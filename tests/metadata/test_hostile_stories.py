"""Every hostile story crossed with every built-in platform: the output meets the platform's own limits."""

from __future__ import annotations

import json

import pytest

from storyexport.metadata import ELLIPSIS, PlatformExporter, find_hashtags, graphemes, measure, tags_total_length
from storyexport.resources import builtin_platforms_dir

from .conftest import HOSTILE_STORIES, story

PLATFORMS = sorted(p.stem for p in builtin_platforms_dir().glob("*.yaml"))


def reference_graphemes(story_data: dict, rules_text: str) -> set[str]:
    """Every grapheme the output may contain: the inputs', the rules file's (template text, replacements), '…'."""
    pieces = [str(v) for k, v in story_data.items() if k != "hashtags"] + list(story_data["hashtags"]) + [rules_text]
    found = {ELLIPSIS, "#", "\ufffd"}  # U+FFFD stands in for a lone surrogate, which UTF-8 cannot carry
    for piece in pieces:
        found.update(graphemes(piece.replace("\r\n", "\n")))
    return found


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("name", sorted(HOSTILE_STORIES))
def test_output_meets_platform_limits(exporter, platform_metadata_validator, name, platform):
    data = story(name)
    metadata = exporter.generate_platform_metadata(data, platform)
    rules = exporter.rules[platform]
    rules_text = (builtin_platforms_dir() / f"{platform}.yaml").read_text(encoding="utf-8")
    allowed = reference_graphemes(data, rules_text)

    errors = sorted(e.message for e in platform_metadata_validator.iter_errors(metadata))
    assert errors == []
    json.dumps(metadata, ensure_ascii=False).encode("utf-8")  # valid UTF-8: no lone surrogates survive
    for field, spec in rules["text"].items():
        text = metadata["text"][field]
        assert measure(text, spec["unit"]) <= spec["max_length"], (field, spec["unit"])
        assert not set(spec.get("forbidden", {})) & set(text), field
        broken = set(graphemes(text)) - allowed
        assert not broken, f"{field}: graphemes not in the input: {sorted(broken)!r}"
    counted = [t for f, t in metadata["text"].items() if rules["text"][f].get("counts_hashtags", True)]
    assert sum(len(find_hashtags(t)) for t in counted) <= rules["hashtags"]["max_count"]
    assert len(metadata["platform_hashtags"]) <= rules["hashtags"]["max_count"]
    assert len({h.casefold() for h in metadata["platform_hashtags"]}) == len(metadata["platform_hashtags"])
    if rules.get("tags"):
        assert tags_total_length(metadata["tags"]) <= rules["tags"]["max_total"]
    assert all(check["ok"] for check in metadata["checks"]["text"])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_long_texts_are_cut_with_an_ellipsis_and_the_cut_is_recorded(exporter, platform):
    metadata = exporter.generate_platform_metadata(story("huge_description"), platform)
    description = metadata["platform_description"]
    assert "word" + ELLIPSIS in description
    assert "wor…" not in description  # cut at a word boundary
    cuts = [a for a in metadata["checks"]["adjustments"] if a["action"] == "truncated"]
    assert cuts and cuts[0]["field"] == "text.description" and cuts[0]["detail"]["variable"] == "description"
    assert "#long" in metadata["platform_hashtags"]  # the description was cut, not the hashtags


def test_youtube_description_is_limited_in_bytes_not_characters(exporter):
    metadata = exporter.generate_platform_metadata(story("emoji_title_at_limit"), "youtube")
    description = metadata["platform_description"]
    assert measure(description, "utf8_bytes") <= 5000
    assert len(description) < 1300  # 4 bytes per emoji: far fewer than 5000 characters
    assert metadata["platform_title"] == "😀" * 100  # exactly at the 100-character title limit: untouched


def test_tiktok_caption_is_limited_in_utf16_units(exporter):
    metadata = exporter.generate_platform_metadata(story("zwj_families"), "tiktok")
    caption = metadata["upload"]["post_info"]["title"]
    assert measure(caption, "utf16_units") <= 2200
    assert measure(caption, "utf16_units") > 2000  # filled close to the limit, not cut far too short
    assert caption.count("👨‍👩‍👧‍👦") == caption.count("👨")  # every family is whole


def test_youtube_replaces_angle_brackets_and_says_so(exporter):
    metadata = exporter.generate_platform_metadata(story("script_tag"), "youtube")
    assert "<" not in metadata["platform_title"] and ">" not in metadata["platform_title"]
    assert metadata["platform_title"].startswith("‹script›alert('x')‹/script›")
    replaced = [a for a in metadata["checks"]["adjustments"] if a["action"] == "characters_replaced"]
    assert {a["field"] for a in replaced} == {"text.title", "text.description"}
    title_change = next(a for a in replaced if a["field"] == "text.title")
    title = metadata["platform_title"]
    assert title_change["detail"]["counts"] == {"<": title.count("‹"), ">": title.count("›")}
    assert title_change["detail"]["replacements"] == {"<": "‹", ">": "›"}


def test_other_platforms_keep_angle_brackets(exporter):
    assert exporter.generate_platform_metadata(story("script_tag"), "tiktok")["platform_title"].startswith("<script>")


def test_eighty_hashtags_are_capped_with_reasons(exporter):
    youtube = exporter.generate_platform_metadata(story("eighty_hashtags"), "youtube")
    assert youtube["platform_hashtags"][:3] == ["#tag0", "#tag1", "#tag2"]  # the three most important first
    instagram = exporter.generate_platform_metadata(story("eighty_hashtags"), "instagram")
    assert instagram["platform_hashtags"] == ["#tag0", "#tag1", "#tag2", "#reels"]  # 'balanced': 3 story + 1
    reasons = [a["reason"] for a in instagram["checks"]["adjustments"] if a["action"] == "hashtags_dropped"]
    assert any("strategy takes 3 story hashtags" in r for r in reasons)


def test_inline_hashtags_over_the_cap_lose_their_mark(exporter):
    metadata = exporter.generate_platform_metadata(story("inline_hashtag_flood"), "tiktok")
    assert len(find_hashtags(metadata["platform_description"])) == 5
    assert metadata["platform_hashtags"] == []  # the story's own inline tags filled the cap
    actions = {a["action"] for a in metadata["checks"]["adjustments"]}
    assert {"hashtags_dropped", "hashtags_unmarked"} <= actions
    assert "in69" in metadata["platform_description"] and "#in69" not in metadata["platform_description"]


def test_empty_description_leaves_no_blank_lines(exporter):
    metadata = exporter.generate_platform_metadata(story("empty_description"), "instagram")
    assert metadata["platform_description"] == "Only a title\n\n#reels"


def test_control_characters_and_lone_surrogates_are_cleaned(exporter):
    metadata = exporter.generate_platform_metadata(story("control_and_surrogate"), "tiktok")
    assert metadata["platform_title"] == "bell tab\there \ufffd"
    assert metadata["platform_description"].startswith("bell tab\there \ufffd\nline\nbreak")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_huge_title_is_cut_after_the_description_and_the_hashtags_stay(exporter, platform):
    metadata = exporter.generate_platform_metadata(story("huge_title"), platform)
    assert "#big" in metadata["platform_hashtags"]
    assert metadata["platform_description"].endswith(" ".join(metadata["platform_hashtags"]))
    cuts = {a["detail"]["variable"]: a for a in metadata["checks"]["adjustments"]
            if a["action"] == "truncated" and a["field"] == "text.description"}
    assert cuts["description"]["detail"]["kept_length"] == 0 and cuts["title"]["detail"]["kept_length"] > 0


def test_the_whole_text_is_cut_only_as_a_last_resort(tmp_path, builtin_dir):
    rules = (builtin_dir / "tiktok.yaml").read_text(encoding="utf-8").replace(
        "{{ title }}\n      {% if description %}", "{{ title }} {{ segment * 3000 }}\n      {% if description %}")
    (tmp_path / "tiktok.yaml").write_text(rules, encoding="utf-8")
    metadata = PlatformExporter(tmp_path).generate_platform_metadata(story("huge_description"), "tiktok")
    assert measure(metadata["platform_description"], "utf16_units") <= 2200
    assert metadata["platform_description"].endswith(ELLIPSIS) and metadata["platform_hashtags"] == []
    last = metadata["checks"]["adjustments"][-1]
    assert last["action"] == "truncated" and last["detail"] == {"variable": None}
