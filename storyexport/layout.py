"""Where every output lives under ``output_dir`` — the original guide's file layout, in one place.

``data/final/{segment}/{age_group}/``
    ``{id}.mp4``, ``{id}_thumbnail.jpg`` (best frame), ``{id}_metadata.json``,
    ``thumbnails/{id}_option{N}.jpg``, ``thumbnails/{id}_at{N}.jpg``, ``thumbnails/{id}_grid.jpg``,
    ``thumbnails/{id}_scores.json``, ``platforms/{id}_{platform}_metadata.json``
``data/final/export_registry.sqlite`` / ``export_registry.json`` / ``report.html``

Pure functions of the configuration: the task graph uses them to declare targets before anything runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from storyexport.config.model import Story, ThumbnailOptions

REGISTRY_DB = "export_registry.sqlite"
REGISTRY_JSON = "export_registry.json"
REPORT_HTML = "report.html"

T = TypeVar("T", str, Path)
U = TypeVar("U", str, Path)


@dataclass(frozen=True)
class ThumbnailSet(Generic[T]):
    """The files of one thumbnail set: names relative to the story folder, or paths (see :meth:`map`)."""

    best: T
    options: tuple[T, ...]
    at_timestamps: tuple[T, ...]
    grid: T | None
    scores: T

    def all(self) -> list[T]:
        files = [self.best]
        files += self.options + self.at_timestamps + (self.scores,)
        if self.grid:
            files.append(self.grid)
        return files

    def map(self, place: Callable[[T], U]) -> ThumbnailSet[U]:
        return ThumbnailSet(best=place(self.best), options=tuple(map(place, self.options)),
                            at_timestamps=tuple(map(place, self.at_timestamps)),
                            grid=place(self.grid) if self.grid is not None else None, scores=place(self.scores))


ThumbnailSetPaths = ThumbnailSet[Path]


def _video_name(story_id: str) -> str:
    return f"{story_id}.mp4"


def _base_metadata_name(story_id: str) -> str:
    return f"{story_id}_metadata.json"


def platform_metadata_filename(story_id: str, platform: str) -> str:
    """The file name of a story's metadata for one platform (the original guide's name for it)."""
    return f"{story_id}_{platform}_metadata.json"


def _platform_metadata_name(story_id: str, platform: str) -> str:
    return f"platforms/{platform_metadata_filename(story_id, platform)}"


def _thumbnail_names(story_id: str, options: ThumbnailOptions) -> ThumbnailSet[str]:
    columns, rows = options.grid
    return ThumbnailSet(
        best=f"{story_id}_thumbnail.jpg",
        options=tuple(f"thumbnails/{story_id}_option{n}.jpg" for n in range(1, options.num_options + 1)),
        at_timestamps=tuple(f"thumbnails/{story_id}_at{n}.jpg" for n in range(1, len(options.timestamps) + 1)),
        grid=f"thumbnails/{story_id}_grid.jpg" if columns and rows else None,
        scores=f"thumbnails/{story_id}_scores.json",
    )


@dataclass(frozen=True)
class StoryOutputs:
    """One story's outputs as plain strings under a base folder: the task graph builds thousands of these, and
    string joins cost a fraction of ``Path`` objects."""

    folder: str
    video: str
    base_metadata: str
    thumbnails: tuple[str, ...]
    scores: str
    platforms: dict[str, str]


def story_outputs(base: str, story: Story) -> StoryOutputs:
    folder = f"{base}/{story.segment}/{story.age_group}"
    names = _thumbnail_names(story.id, story.thumbnails)
    return StoryOutputs(
        folder=folder,
        video=f"{folder}/{_video_name(story.id)}",
        base_metadata=f"{folder}/{_base_metadata_name(story.id)}",
        thumbnails=tuple(f"{folder}/{name}" for name in names.all()),
        scores=f"{folder}/{names.scores}",
        platforms={p: f"{folder}/{_platform_metadata_name(story.id, p)}" for p in story.platforms},
    )


def story_dir(output_dir: Path, story: Story) -> Path:
    return output_dir / story.segment / story.age_group


def video_path(output_dir: Path, story: Story) -> Path:
    return story_dir(output_dir, story) / _video_name(story.id)


def base_metadata_path(output_dir: Path, story: Story) -> Path:
    return story_dir(output_dir, story) / _base_metadata_name(story.id)


def platform_metadata_path(output_dir: Path, story: Story, platform: str) -> Path:
    return story_dir(output_dir, story) / _platform_metadata_name(story.id, platform)


def thumbnail_set_paths(directory: Path, story_id: str, options: ThumbnailOptions) -> ThumbnailSetPaths:
    """Paths of one thumbnail set; ``directory`` is the story folder (thumbnails go to its ``thumbnails/``)."""
    return _thumbnail_names(story_id, options).map(lambda name: directory / name)


def story_thumbnail_paths(output_dir: Path, story: Story) -> ThumbnailSetPaths:
    return thumbnail_set_paths(story_dir(output_dir, story), story.id, story.thumbnails)
