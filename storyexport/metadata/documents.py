"""The shapes of the metadata documents storyexport writes: base metadata (``{id}_metadata.json``) and one
platform's metadata (``{id}_{platform}_metadata.json``), as ``schemas/metadata.schema.json`` and
``schemas/platform-metadata.schema.json`` describe them. Writers build these; readers of files already written
still check each value, since a file may be old, hand-edited or half-written.
"""

from __future__ import annotations

from typing import TypedDict

from storyexport.config.model import StoryFields
from storyexport.config.rules_model import CoverMethod, CoverSpec, SafeZone, TextUnit, VideoRules
from storyexport.jsontypes import JSONObject, JSONValue
from storyexport.metadata.checks import AdjustmentDict, CheckDict


class Generator(TypedDict):
    name: str
    version: str


class VideoSpecs(VideoRules, total=False):
    """The platform's video rules plus the original guide's names (``max_duration``, ``resolution``)."""

    max_duration: float | None
    resolution: str


class PlatformConfig(TypedDict):
    video_specs: VideoSpecs
    metadata_limits: dict[str, int]
    metadata_units: dict[str, TextUnit]


class PlatformInfo(PlatformConfig):
    """``PlatformExporter.get_platform_info``: a platform's configuration as the original guide exposed it."""

    platform: str
    display_name: str
    hashtag_strategy: str
    publishing_tips: list[str]
    cover: CoverInfo
    safe_zone: SafeZone | None
    rules_file: str


class CoverInfo(CoverSpec, total=False):
    method: CoverMethod


class Cover(CoverSpec, total=False):
    """The platform's cover spec with the chosen frame's time (clamped into the video)."""

    method: CoverMethod | None
    timestamp_s: float | None
    timestamp_ms: int | None


class ChecksSection(TypedDict):
    ok: bool
    video_probed: bool
    video: list[CheckDict]
    text: list[CheckDict]
    adjustments: list[AdjustmentDict]


class PlatformMetadata(TypedDict):
    """One platform's metadata document."""

    platform: str
    display_name: str
    story_id: str
    platform_title: str
    platform_description: str
    platform_hashtags: list[str]
    text: dict[str, str]
    tags: list[str]
    platform_config: PlatformConfig
    publishing_tips: list[str]
    hashtag_strategy: str
    cover: Cover
    safe_zone: SafeZone | None
    upload: JSONValue
    checks: ChecksSection
    generator: Generator


class FileEntry(TypedDict):
    path: str
    sha256: str
    bytes: int


class BaseStory(StoryFields):
    platforms: list[str]


class ExportOptions(TypedDict):
    video: JSONObject
    thumbnails: JSONObject
    metadata: JSONObject


# The base metadata document of one exported story (``{id}_metadata.json``); ``$schema`` needs the call syntax.
BaseMetadata = TypedDict("BaseMetadata", {
    "$schema": str,
    "story": BaseStory,
    "video": FileEntry,
    "probe": JSONValue,
    "files": dict[str, FileEntry | list[FileEntry]],
    "options": ExportOptions,
    "generator": Generator,
})
