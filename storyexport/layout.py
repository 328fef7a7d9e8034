"""Where every output lives under ``output_dir`` — the seed's file layout, in one place.

``data/final/{segment}/{age_group}/``
    ``{id}.mp4``, ``{id}_thumbnail.jpg`` (best frame), ``{id}_metadata.json``,
    ``thumbnails/{id}_option{N}.jpg``, ``thumbnails/{id}_at{N}.jpg``, ``thumbnails/{id}_grid.jpg``,
    ``thumbnails/{id}_scores.json``, ``platforms/{id}_{platform}_metadata.json``
``data/final/export_registry.sqlite`` / ``export_registry.json`` / ``report.html``

Pure functions of the configuration: the task graph uses them to declare targets before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyexport.config.model import Story, ThumbnailOptions

REGISTRY_DB = "export_registry.sqlite"
REGISTRY_JSON = "export_registry.json"
REPORT_HTML = "report.html"


@dataclass(frozen=True)
class ThumbnailSetPaths:
    best: Path
    options: tuple[Path, ...]
    at_timestamps: tuple[Path, ...]
    grid: Path | None
    scores: Path

    def all(self) -> list[Path]:
        paths = [self.best, *self.options, *self.at_timestamps, self.scores]
        if self.grid is not None:
            paths.append(self.grid)
        return paths


def _video_name(story_id: str) -> str:
    return f"{story_id}.mp4"


def _base_metadata_name(story_id: str) -> str:
    return f"{story_id}_metadata.json"


def _platform_metadata_name(story_id: str, platform: str) -> str:
    return f"platforms/{story_id}_{platform}_metadata.json"


def _thumbnail_names(story_id: str, options: ThumbnailOptions) -> ThumbnailSetNames:
    columns, rows = options.grid
    return ThumbnailSetNames(
        best=f"{story_id}_thumbnail.jpg",
        options=tuple(f"thumbnails/{story_id}_option{n}.jpg" for n in range(1, options.num_options + 1)),
        at_timestamps=tuple(f"thumbnails/{story_id}_at{n}.jpg" for n in range(1, len(options.timestamps) + 1)),
        grid=f"thumbnails/{story_id}_grid.jpg" if columns and rows else None,
        scores=f"thumbnails/{story_id}_scores.json",
    )


@dataclass(frozen=True)
class ThumbnailSetNames:
    best: str
    options: tuple[str, ...]
    at_timestamps: tuple[str, ...]
    grid: str | None
    scores: str

    def all(self) -> list[str]:
        return [self.best, *self.options, *self.at_timestamps, self.scores, *([self.grid] if self.grid else [])]


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
    names = _thumbnail_names(story_id, options)
    return ThumbnailSetPaths(
        best=directory / names.best,
        options=tuple(directory / name for name in names.options),
        at_timestamps=tuple(directory / name for name in names.at_timestamps),
        grid=directory / names.grid if names.grid else None,
        scores=directory / names.scores,
    )


def story_thumbnail_paths(output_dir: Path, story: Story) -> ThumbnailSetPaths:
    return thumbnail_set_paths(story_dir(output_dir, story), story.id, story.thumbnails)
