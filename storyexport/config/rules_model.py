"""The shape of one platform's rules (``platforms/<name>.yaml``) as typed records.

The rules are validated by ``schemas/platform.schema.json`` before anything reads them, so these types state what the
schema guarantees rather than re-checking it. They are TypedDicts, not dataclasses, because the rules are also
written back out verbatim (``video_specs``, ``cover``, ``safe_zone`` in each platform file): a dict keeps that JSON
byte-identical, while the types tell a reader (and mypy) which keys exist and what they hold. Keys the schema
requires are ``Required``; ``with_defaults`` in ``metadata.rules`` fills ``name``, ``display_name``,
``publishing_tips`` and ``video`` so consumers need not repeat the defaults.
"""

from __future__ import annotations

from typing import Literal, Required, TypedDict

from storyexport.jsontypes import JSONValue

TextUnit = Literal["characters", "utf8_bytes", "utf16_units", "graphemes"]
CoverMethod = Literal["frame_timestamp", "upload_image", "in_app_frame"]


class RecommendedVideo(TypedDict, total=False):
    width: int
    height: int
    fps: float


class VideoRules(TypedDict, total=False):
    """Limits of the exported video; ``None`` (or absent) means the platform sets no such limit."""

    min_duration_s: float | None
    max_duration_s: float | None
    min_width: int | None
    min_height: int | None
    max_width: int | None
    max_height: int | None
    min_fps: float | None
    max_fps: float | None
    codecs: list[str] | None
    pix_fmts: list[str] | None
    audio_codecs: list[str] | None
    audio_sample_rates: list[int] | None
    max_file_size_mb: float | None
    max_bitrate_kbps: float | None
    containers: list[str] | None
    recommended: RecommendedVideo


class TextFieldRules(TypedDict, total=False):
    """One text field (title, description, caption...): its template and the limit it must fit."""

    template: Required[str]
    max_length: Required[int]
    unit: Required[TextUnit]
    min_length: int
    shrink: str | list[str]
    forbidden: dict[str, str]
    counts_hashtags: bool


class HashtagStrategy(TypedDict, total=False):
    name: Required[str]
    sources: Required[list[str]]
    story_tags: int | None
    platform_tags: list[str]


class HashtagRules(TypedDict, total=False):
    max_count: Required[int]
    max_tag_length: int | None
    grapheme_pattern: str
    strategy: Required[HashtagStrategy]


class TagRules(TypedDict, total=False):
    """Keyword tags (YouTube ``snippet.tags``), capped by their total length."""

    max_total: Required[int]
    sources: list[str]
    forbidden: list[str]


class CoverSpec(TypedDict, total=False):
    """The cover image a platform accepts (besides how it is chosen)."""

    width: int
    height: int
    max_size_mb: float
    formats: list[str]
    notes: str


class CoverRules(CoverSpec, total=False):
    method: Required[CoverMethod]


class FrameSize(TypedDict):
    width: int
    height: int


class SafeZone(TypedDict):
    """Margins (pixels of the ``reference`` frame) that the platform's interface covers."""

    reference: FrameSize
    top: int
    bottom: int
    left: int
    right: int


class PlatformRules(TypedDict, total=False):
    """One platform's validated rules with the defaults filled in."""

    name: Required[str]
    display_name: Required[str]
    video: Required[VideoRules]
    text: Required[dict[str, TextFieldRules]]
    hashtags: Required[HashtagRules]
    tags: TagRules
    privacy_levels: dict[str, str]
    upload: Required[dict[str, JSONValue]]  # the API's body: literals and "= expression" strings, any nesting
    cover: CoverRules
    safe_zone: SafeZone
    publishing_tips: Required[list[str]]


RulesByPlatform = dict[str, PlatformRules]
