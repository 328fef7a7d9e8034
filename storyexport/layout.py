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


def story_dir(output_dir: Path, story: Story) -> Path:
    return output_dir / story.segment / story.age_group


def video_path(output_dir: Path, story: Story) -> Path:
    return story_dir(output_dir, story) / f"{story.id}.mp4"


def base_metadata_path(output_dir: Path, story: Story) -> Path:
    return story_dir(output_dir, story) / f"{story.id}_metadata.json"


def platform_metadata_path(output_dir: Path, story: Story, platform: str) -> Path:
    return story_dir(output_dir, story) / "platforms" / f"{story.id}_{platform}_metadata.json"


def thumbnail_set_paths(directory: Path, story_id: str, options: ThumbnailOptions) -> ThumbnailSetPaths:
    """Paths of one thumbnail set; ``directory`` is the story folder (thumbnails go to its ``thumbnails/``)."""
    thumbs = directory / "thumbnails"
    columns, rows = options.grid
    return ThumbnailSetPaths(
        best=directory / f"{story_id}_thumbnail.jpg",
        options=tuple(thumbs / f"{story_id}_option{n}.jpg" for n in range(1, options.num_options + 1)),
        at_timestamps=tuple(thumbs / f"{story_id}_at{n}.jpg" for n in range(1, len(options.timestamps) + 1)),
        grid=thumbs / f"{story_id}_grid.jpg" if columns and rows else None,
        scores=thumbs / f"{story_id}_scores.json",
    )


def story_thumbnail_paths(output_dir: Path, story: Story) -> ThumbnailSetPaths:
    return thumbnail_set_paths(story_dir(output_dir, story), story.id, story.thumbnails)
