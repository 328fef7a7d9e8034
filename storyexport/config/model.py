"""Typed, immutable configuration: what a validated manifest means.

Every other stage reads these objects, never raw YAML. Defaults here mirror the ``default`` keywords in
``schemas/manifest.schema.json`` (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Required, Self, TypedDict

from storyexport.jsontypes import JSONObject, JSONValue

ALL_PLATFORMS_DEFAULT = ("youtube", "tiktok", "instagram")


class StoryText(TypedDict):
    """The one list of a story's text fields. Templates read them plus ``id`` and its alias ``title_id`` (the
    original guide's name), a rules file may shorten any of those, and the metadata tasks' config slice holds them.
    ``STORY_TEXT_FIELDS`` is read from here; mypy holds ``Story.text`` and ``Story.from_dict`` to it."""

    title: str
    segment: str
    age_group: str
    description: str
    theme: str
    tone: str


class StoryFields(StoryText):
    """What templates and metadata read of a story (``Story.text_fields``)."""

    id: str
    title_id: str
    hashtags: list[str]


class StoryDict(StoryText):
    """A story's JSON-safe form (``Story.to_dict``), as build tasks hand it to workers."""

    id: str
    source: str
    hashtags: list[str]
    platforms: list[str]
    video: JSONObject
    thumbnails: JSONObject
    metadata: JSONObject


class SampleDict(TypedDict):
    path: str
    duration: float
    width: int
    height: int
    fps: float
    seed: int


class ManifestDict(TypedDict):
    """A manifest's JSON-safe form (``Manifest.to_dict``), the argument of the registry and report tasks."""

    path: str
    output_dir: str
    platforms_dir: str
    stories: list[StoryDict]
    samples: list[SampleDict]
    version: int


class DefaultsData(TypedDict, total=False):
    """``defaults`` of a validated manifest (``schemas/manifest.schema.json``): what every story inherits."""

    platforms: list[str]
    video: JSONObject
    thumbnails: JSONObject
    metadata: JSONObject


class StoryData(DefaultsData, total=False):
    """One ``stories`` entry of a validated manifest."""

    id: Required[str]
    title: Required[str]
    segment: Required[str]
    age_group: Required[str]
    source: Required[str]
    description: str
    theme: str
    tone: str
    hashtags: list[str]


class SampleData(TypedDict, total=False):
    """One ``samples`` entry of a validated manifest."""

    path: Required[str]
    duration: float
    width: int
    height: int
    fps: float
    seed: int


class ManifestData(TypedDict, total=False):
    """A manifest file's content once the schema has validated it (the validated-manifest cache keeps it)."""

    version: Required[int]
    output_dir: str
    platforms_dir: str
    defaults: DefaultsData
    samples: list[SampleData]
    stories: Required[list[StoryData]]


# A story as the original guide passed it (``story_idea``): any mapping, whose values are read as text.
StoryIdea = Mapping[str, object]
STORY_TEXT_FIELDS = tuple(StoryText.__annotations__)
STORY_TEXT_VARIABLES = ("id", "title_id", *STORY_TEXT_FIELDS)
# What metadata reads of a story (in ``Story.to_dict`` order): not the source or the options, which reach it
# through files.
STORY_METADATA_KEYS = ("id", *STORY_TEXT_FIELDS, "hashtags", "platforms")


@dataclass(frozen=True)
class _Options:
    @classmethod
    def merged(cls, *layers: Mapping[str, JSONValue] | None) -> Self:
        """Build options from layers of overrides, later layers winning key by key."""
        values: dict[str, JSONValue] = {}
        for layer in layers:
            values.update(layer or {})
        names = {f.name for f in fields(cls)}
        return cls(**{k: _freeze(v) for k, v in values.items() if k in names})

    def as_dict(self) -> JSONObject:
        """JSON-safe dict (tuples as lists). Cached: options are frozen, and the task graph asks thousands of times."""
        cached = self.__dict__.get("_as_dict")
        if cached is None:
            cached = {f.name: _thaw(getattr(self, f.name)) for f in fields(self)}
            object.__setattr__(self, "_as_dict", cached)
        return dict(cached)


def _freeze(value: JSONValue) -> JSONValue | tuple[JSONValue, ...]:
    return tuple(value) if isinstance(value, list) else value


def _thaw(value: JSONValue | tuple[JSONValue, ...]) -> JSONValue:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class VideoOptions(_Options):
    width: int = 1080
    height: int = 1920
    fps: float = 30
    fit: str = "blur-pad"
    crf: int = 20
    preset: str = "veryfast"
    max_bitrate: int = 0
    audio_bitrate: int = 128
    audio_sample_rate: int = 48000
    loudnorm: bool = True
    loudness_target: float = -14
    trim: bool = False
    copy_if_conforming: bool = True
    remove_bars: bool = False


@dataclass(frozen=True)
class ThumbnailOptions(_Options):
    timestamps: tuple[float | str, ...] = ("0.5", "25%", "50%", "75%")
    num_options: int = 5
    method: str = "combined"
    num_candidates: int = 30
    grid: tuple[int, int] = (3, 3)
    quality: int = 2


@dataclass(frozen=True)
class MetadataOptions(_Options):
    privacy: str = "private"
    made_for_kids: bool = False
    category_id: str = "22"


@dataclass(frozen=True)
class Sample:
    path: Path
    duration: float = 8
    width: int = 1080
    height: int = 1920
    fps: float = 30
    seed: int = 0

    def to_dict(self) -> SampleDict:
        return {"path": str(self.path), "duration": self.duration, "width": self.width, "height": self.height,
                "fps": self.fps, "seed": self.seed}

    @classmethod
    def from_dict(cls, data: SampleDict) -> Sample:
        return cls(Path(data["path"]), data["duration"], data["width"], data["height"], data["fps"], data["seed"])


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    segment: str
    age_group: str
    source: Path
    description: str = ""
    theme: str = ""
    tone: str = ""
    hashtags: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ALL_PLATFORMS_DEFAULT
    video: VideoOptions = field(default_factory=VideoOptions)
    thumbnails: ThumbnailOptions = field(default_factory=ThumbnailOptions)
    metadata: MetadataOptions = field(default_factory=MetadataOptions)

    def to_dict(self) -> StoryDict:
        """JSON-safe form, used to hand a story to build workers (which may be spawned, not forked)."""
        return {
            "id": self.id, **self.text(),
            "source": str(self.source),
            "hashtags": list(self.hashtags),
            "platforms": list(self.platforms),
            "video": self.video.as_dict(),
            "thumbnails": self.thumbnails.as_dict(),
            "metadata": self.metadata.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: StoryDict) -> Story:
        return cls(
            id=data["id"], title=data["title"], segment=data["segment"], age_group=data["age_group"],
            description=data["description"], theme=data["theme"], tone=data["tone"],
            source=Path(data["source"]),
            hashtags=tuple(data["hashtags"]),
            platforms=tuple(data["platforms"]),
            video=VideoOptions.merged(data["video"]),
            thumbnails=ThumbnailOptions.merged(data["thumbnails"]),
            metadata=MetadataOptions.merged(data["metadata"]),
        )

    def text(self) -> StoryText:
        """The story's text fields only."""
        return {"title": self.title, "segment": self.segment, "age_group": self.age_group,
                "description": self.description, "theme": self.theme, "tone": self.tone}

    def text_fields(self) -> StoryFields:
        """The fields templates and metadata read (a mapping, as the original guide's ``story_idea`` was)."""
        return {"id": self.id, "title_id": self.id, **self.text(), "hashtags": list(self.hashtags)}


@dataclass(frozen=True)
class Manifest:
    path: Path
    output_dir: Path
    platforms_dir: Path
    stories: tuple[Story, ...]
    samples: tuple[Sample, ...] = ()
    version: int = 1

    @property
    def root(self) -> Path:
        return self.path.parent

    def story(self, story_id: str) -> Story:
        for story in self.stories:
            if story.id == story_id:
                return story
        raise KeyError(story_id)

    def to_dict(self) -> ManifestDict:
        return {
            "path": str(self.path),
            "output_dir": str(self.output_dir),
            "platforms_dir": str(self.platforms_dir),
            "stories": [story.to_dict() for story in self.stories],
            "samples": [sample.to_dict() for sample in self.samples],
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: ManifestDict) -> Manifest:
        return cls(
            path=Path(data["path"]),
            output_dir=Path(data["output_dir"]),
            platforms_dir=Path(data["platforms_dir"]),
            stories=tuple(Story.from_dict(story) for story in data["stories"]),
            samples=tuple(Sample.from_dict(sample) for sample in data["samples"]),
            version=data["version"],
        )
