"""Hashtags: find them the way platforms do, normalise them, and choose them by a strategy written in YAML.

A hashtag is a '#' at the start of the text or after whitespace, followed by a letter, digit or underscore, and
running to the next whitespace or '#'; the body must contain a letter. ``text.count('#')`` would also count URL
fragments, ``C#``, ``#1`` and the keycap emoji.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import regex

from storyexport.config.model import StoryFields
from storyexport.config.rules_model import HashtagRules, HashtagStrategy, TagRules
from storyexport.metadata.text import graphemes

DEFAULT_GRAPHEME_PATTERN = r"[\p{L}\p{N}_]\p{M}*"
DEFAULT_TAG_FORBIDDEN = ("<", ">", ",", '"')
_HASHTAG = regex.compile(r"(?<!\S)#(?=[\p{L}\p{N}_])(?=[^\s#]*\p{L})[^\s#]+")
_HAS_LETTER = regex.compile(r"\p{L}")
_SPACES = regex.compile(r"\s+")


@dataclass
class Selection:
    """The chosen hashtags (with '#') and what was left out, with the reason for each."""

    hashtags: list[str] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)

    def drop(self, tag: str, reason: str) -> None:
        self.dropped.append({"hashtag": tag, "reason": reason})


def find_hashtags(text: str) -> list[str]:
    """Hashtags as a platform sees them in ``text``, in order (with the '#')."""
    return _HASHTAG.findall(text)


def unmark_excess_hashtags(text: str, keep: int) -> tuple[str, list[str]]:
    """Remove the '#' of every hashtag after the first ``keep``, so the text stays under a hashtag cap."""
    matches = list(_HASHTAG.finditer(text))[max(keep, 0):]
    for match in reversed(matches):
        text = text[: match.start()] + text[match.start() + 1:]
    return text, [m.group(0) for m in matches]


def normalise_hashtag(raw: str, grapheme_pattern: str = DEFAULT_GRAPHEME_PATTERN) -> str:
    """The hashtag body of ``raw`` (no '#'): only graphemes the platform allows; spaces and punctuation go."""
    allowed = regex.compile(grapheme_pattern)
    return "".join(g for g in graphemes(raw.strip().lstrip("#")) if allowed.fullmatch(g))


def same_tag_key(tag: str) -> str:
    """What two tags that read the same share: compatibility-normalised and case-folded (Unicode's NFKC caseless
    match), so "café" typed two ways, "ｌｏｖｅ" and "Love" count as one tag and use one slot of a cap."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", tag).casefold())


def as_list(value: object) -> list[str]:
    """Story hashtags given as a list, or as one string separated by spaces or commas."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in regex.split(r"[\s,]+", value) if part]
    if isinstance(value, Iterable):
        return [str(item) for item in value]
    raise TypeError(f"hashtags must be a list or a text, not {type(value).__name__}")


def _candidates(story: StoryFields, strategy: HashtagStrategy) -> Iterable[tuple[str, str]]:
    """(raw tag, source) pairs in the strategy's order of importance."""
    story_tags = as_list(story.get("hashtags"))
    limit = strategy.get("story_tags")
    by_source = {
        "story": story_tags if limit is None else story_tags[:limit],
        "platform": list(strategy.get("platform_tags") or []),
        "theme": [story.get("theme") or ""],
        "tone": [story.get("tone") or ""],
    }
    for source in strategy.get("sources", []):
        for raw in by_source[source]:
            if raw:
                yield raw, source


def select_hashtags(story: StoryFields, rules: HashtagRules) -> Selection:
    """Choose hashtags for one platform from its ``hashtags`` rules: normalise, deduplicate, cap."""
    strategy = rules["strategy"]
    pattern = rules.get("grapheme_pattern") or DEFAULT_GRAPHEME_PATTERN
    max_count, max_length = rules["max_count"], rules.get("max_tag_length")
    selection, seen = Selection(), set()
    skipped_story = as_list(story.get("hashtags"))[strategy.get("story_tags") or 0:]
    if strategy.get("story_tags") is not None and "story" in strategy.get("sources", []):
        for raw in skipped_story:
            selection.drop(raw, f"the '{strategy['name']}' strategy takes {strategy['story_tags']} story hashtags")
    for raw, _source in _candidates(story, strategy):
        body = normalise_hashtag(raw, pattern)
        if not _HAS_LETTER.search(body):
            selection.drop(raw, "no letter left after removing spaces and punctuation")
        elif max_length is not None and len(body) > max_length:
            selection.drop(raw, f"longer than {max_length} characters")
        elif same_tag_key(body) in seen:
            selection.drop(raw, "duplicate (ignoring case and Unicode form)")
        elif len(selection.hashtags) >= max_count:
            selection.drop(raw, f"over the platform's cap of {max_count} hashtags")
        else:
            seen.add(same_tag_key(body))
            selection.hashtags.append("#" + body)
    return selection


def clean_tag(raw: str, forbidden: Sequence[str]) -> str:
    """A keyword tag: no '#', no forbidden characters, single spaces."""
    for char in forbidden:
        raw = raw.replace(char, " ")
    return _SPACES.sub(" ", raw.lstrip("#")).strip()


def tags_total_length(tags: Sequence[str]) -> int:
    """YouTube's count: every tag, a comma between tags, and two quotes around a tag with a space."""
    return sum(len(tag) + (2 if " " in tag else 0) for tag in tags) + max(len(tags) - 1, 0)


def select_tags(story: StoryFields, hashtags: Sequence[str], rules: TagRules) -> Selection:
    """Keyword tags (YouTube snippet.tags) from the rules' sources, kept while the total length fits."""
    forbidden = rules.get("forbidden", DEFAULT_TAG_FORBIDDEN)
    by_source = {
        "story": as_list(story.get("hashtags")),
        "hashtags": list(hashtags),
        "theme": [story.get("theme") or ""],
        "tone": [story.get("tone") or ""],
    }
    selection, seen = Selection(), set()
    for source in rules.get("sources", ["story", "hashtags", "theme", "tone"]):
        for raw in by_source[source]:
            tag = clean_tag(raw, forbidden)
            if not tag or same_tag_key(tag) in seen:
                continue
            if tags_total_length([*selection.hashtags, tag]) > rules["max_total"]:
                selection.drop(tag, f"tags would exceed {rules['max_total']} characters in total")
                continue
            seen.add(same_tag_key(tag))
            selection.hashtags.append(tag)
    return selection
