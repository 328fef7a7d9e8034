"""Hashtag detection, normalisation, strategies from data, caps and YouTube tag totals."""

from __future__ import annotations

from storyexport.metadata import find_hashtags, normalise_hashtag, select_hashtags, tags_total_length
from storyexport.metadata.hashtags import select_tags, unmark_excess_hashtags


def test_hashtags_are_found_only_at_start_or_after_whitespace():
    text = "#start see https://x.org/page#frag, C# and #1 and #2nd #café\n#next #️⃣ end#no"
    assert find_hashtags(text) == ["#start", "#2nd", "#café", "#next"]
    assert text.count("#") == 9  # what count('#') would have claimed


def test_normalisation_removes_spaces_punctuation_and_emoji_but_keeps_letters_and_marks():
    assert normalise_hashtag("#Rock n' Roll!") == "RocknRoll"
    assert normalise_hashtag("self-love 💖") == "selflove"
    assert normalise_hashtag("cafe\u0301") == "cafe\u0301"
    assert normalise_hashtag("故事") == "故事"
    assert normalise_hashtag("#ok#ok") == "okok"


def strategy_rules(**strategy):
    return {"max_count": 5, "strategy": {"name": "test", **strategy}}


def test_strategy_order_and_inclusion_come_from_data():
    story = {"hashtags": ["one", "two", "three"], "theme": "Self Love", "tone": "calm"}
    first = select_hashtags(story, strategy_rules(sources=["platform", "story", "tone"], story_tags=2,
                                                  platform_tags=["fyp"]))
    assert first.hashtags == ["#fyp", "#one", "#two", "#calm"]
    second = select_hashtags(story, strategy_rules(sources=["theme", "story"], platform_tags=["fyp"]))
    assert second.hashtags == ["#SelfLove", "#one", "#two", "#three"]


def test_duplicates_invalid_and_over_cap_are_dropped_with_reasons():
    story = {"hashtags": ["Love", "#love", "LOVE!", "!!!", "#1", "a", "b", "c", "d", "e"]}
    selection = select_hashtags(story, strategy_rules(sources=["story"]))
    assert selection.hashtags == ["#Love", "#a", "#b", "#c", "#d"]
    reasons = {item["hashtag"]: item["reason"] for item in selection.dropped}
    assert reasons == {
        "#love": "duplicate (ignoring case and Unicode form)", "LOVE!": "duplicate (ignoring case and Unicode form)",
        "!!!": "no letter left after removing spaces and punctuation",
        "#1": "no letter left after removing spaces and punctuation",
        "e": "over the platform's cap of 5 hashtags",
    }


def test_story_hashtags_may_be_one_string():
    assert select_hashtags({"hashtags": "one, two three"}, strategy_rules(sources=["story"])).hashtags == \
        ["#one", "#two", "#three"]


def test_max_tag_length_drops_long_tags():
    rules = {**strategy_rules(sources=["story"]), "max_tag_length": 3}
    assert select_hashtags({"hashtags": ["abcd", "abc"]}, rules).hashtags == ["#abc"]


def test_excess_hashtags_lose_their_mark_only():
    assert unmark_excess_hashtags("#a #b x#c #d", 2) == ("#a #b x#c d", ["#d"])


def test_youtube_tags_total_counts_commas_and_quotes():
    assert tags_total_length(["a", "b c"]) == 1 + 1 + 5
    assert tags_total_length([]) == 0


def test_youtube_tags_stop_at_the_total_and_drop_the_rest_with_a_reason():
    story = {"hashtags": [f"tag number {i}" for i in range(60)], "theme": "x", "tone": ""}
    selection = select_tags(story, ["#x", "#y"], {"max_total": 100, "sources": ["story", "hashtags", "theme"]})
    assert tags_total_length(selection.hashtags) <= 100
    assert selection.hashtags[:2] == ["tag number 0", "tag number 1"]
    assert "y" in selection.hashtags  # short tags after the long ones still get in when they fit
    assert selection.dropped and selection.dropped[0]["reason"] == "tags would exceed 100 characters in total"


def test_tags_lose_forbidden_characters():
    selection = select_tags({"hashtags": ["<b>bold</b>", 'say "hi", ok']}, [], {"max_total": 500,
                                                                              "sources": ["story"]})
    assert selection.hashtags == ["b bold /b", "say hi ok"]


def test_tags_equal_up_to_unicode_form_or_case_are_one_tag_and_the_first_is_kept():
    composed, decomposed, fullwidth = "Caf\u00e9", "cafe\u0301", "\uff23\uff41\uff46\u00e9"  # Café, café, Ｃａｆé
    story = {"hashtags": [composed, decomposed, fullwidth, "ＬＯＶＥ", "love", "ﬁre", "FIRE", "sun", "moon", "star"]}
    selection = select_hashtags(story, strategy_rules(sources=["story"]))
    assert selection.hashtags == ["#Caf\u00e9", "#ＬＯＶＥ", "#ﬁre", "#sun", "#moon"]
    assert [d["hashtag"] for d in selection.dropped] == [decomposed, fullwidth, "love", "FIRE", "star"]
    tags = select_tags(story, [], {"max_total": 500, "sources": ["story"]})
    assert tags.hashtags == ["Caf\u00e9", "ＬＯＶＥ", "ﬁre", "sun", "moon", "star"]


def test_tiktok_cap_is_not_wasted_on_variants(exporter):
    story = {"id": "s", "title": "T", "segment": "s", "age_group": "a", "description": "", "theme": "", "tone": "",
             "hashtags": ["Caf\u00e9", "cafe\u0301", "Run", "run", "sun"]}
    data = exporter.generate_platform_metadata(story, "tiktok")
    assert data["platform_hashtags"] == ["#fyp", "#storytime", "#Caf\u00e9", "#Run", "#sun"]
