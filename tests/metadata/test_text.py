"""Units and grapheme-safe truncation."""

from __future__ import annotations

import pytest

from storyexport.metadata import ELLIPSIS, graphemes, measure, truncate
from storyexport.metadata.text import fit_graphemes, replace_forbidden

from .conftest import CJK, COMBINING, FAMILY, FLAGS, SKIN_TONES


@pytest.mark.parametrize(("text", "characters", "utf8", "utf16", "clusters"), [
    ("abc", 3, 3, 3, 3),
    ("é", 1, 2, 1, 1),
    ("e\u0301", 2, 3, 2, 1),
    ("😀", 1, 4, 2, 1),
    (FAMILY, 7, 25, 11, 1),
    ("🇯🇵", 2, 8, 4, 1),
    ("👍🏽", 2, 8, 4, 1),
    ("故事", 2, 6, 2, 2),
])
def test_each_unit_counts_its_own_way(text, characters, utf8, utf16, clusters):
    assert [measure(text, u) for u in ("characters", "utf8_bytes", "utf16_units", "graphemes")] == \
        [characters, utf8, utf16, clusters]


def test_unknown_unit_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown length unit 'bytes'"):
        measure("x", "bytes")


@pytest.mark.parametrize("unit", ["characters", "utf8_bytes", "utf16_units"])
@pytest.mark.parametrize("sample", [FAMILY, FLAGS, SKIN_TONES, COMBINING, CJK, "😀"])
@pytest.mark.parametrize("limit", [1, 2, 5, 8, 13, 30])
def test_truncation_never_splits_a_grapheme(sample, unit, limit):
    text = sample * 12
    cut = truncate(text, limit, unit)
    assert measure(cut, unit) <= limit
    if measure(text, unit) <= limit:
        assert cut == text
    elif cut:
        assert cut.endswith(ELLIPSIS)
        assert set(graphemes(cut[:-1])) <= set(graphemes(sample))


def test_truncation_prefers_a_word_boundary():
    assert truncate("the quick brown fox jumps", 17, "characters") == "the quick brown…"


def test_truncation_without_spaces_cuts_at_a_grapheme_instead_of_dropping_everything():
    assert truncate(CJK * 3, 10, "characters") == CJK[:9] + ELLIPSIS


def test_text_that_fits_is_untouched_and_nothing_fits_gives_none():
    assert truncate("short", 5, "characters") == "short"
    assert fit_graphemes("abc", lambda candidate: False) is None
    assert fit_graphemes("abc", lambda candidate: candidate == "") == ""


def test_forbidden_characters_are_replaced_and_counted():
    assert replace_forbidden("<a><b>", {"<": "‹", ">": ""}) == ("‹a‹b", {"<": 2, ">": 2})
