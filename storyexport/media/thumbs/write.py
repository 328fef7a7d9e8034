"""Step 5: fit the picked frames to the thumbnail size and write them, with the contact sheet and the scores.

Only the picture area is ever written (baked-in bars are cut off first); it is fitted to the thumbnail with
the story's ``video.fit``: ``crop`` takes the candidate's measured window (placed on faces or detail),
``pad`` letterboxes it on black, ``blur-pad`` over a blurred enlarged copy of itself, as the exported video
does (see :mod:`storyexport.media.filters`). All drawing is OpenCV at fixed settings, so equal inputs give
equal bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from storyexport.config.model import ThumbnailOptions
from storyexport.fsutil import write_bytes_atomic
from storyexport.layout import ThumbnailSetPaths
from storyexport.media.contact_sheet import draw_contact_sheet, format_size, format_time
from storyexport.media.errors import MediaError
from storyexport.media.frames import analysis_size
from storyexport.media.picture import PictureArea
from storyexport.media.probe import Probe
from storyexport.media.scores import DIGITS, Candidate, frame_metrics
from storyexport.media.thumbs.fit import Fitting, fit_picture, full_window
from storyexport.media.thumbs.plan import spread_times

if TYPE_CHECKING:
    from storyexport.media.thumbs.run import Run

@dataclass(frozen=True)
class ThumbnailResult:
    """``paths[i]`` shows the frame at ``timestamps[i]`` whose metrics are ``scores[i]`` (a grid: one path,
    every tile's time and scores). ``fallback``: every candidate was rejected, so the picks are the least bad
    by score; ``note`` says why picks are less than ideal (fallback, repeated options), else ``None``."""

    paths: list[Path]
    timestamps: list[float]
    scores: list[dict[str, float]] = field(default_factory=list)
    fallback: bool = False
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"paths": [str(p) for p in self.paths], "timestamps": self.timestamps, "scores": self.scores,
                "fallback": self.fallback, "note": self.note}


def encode_jpeg(image: np.ndarray, quality: int, what: object) -> bytes:
    """JPEG bytes (OpenCV releases the GIL while encoding, so a few can run in threads)."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise MediaError(f"{what}: JPEG encoding failed")
    return encoded.tobytes()


def write_jpeg(path: Path, image: np.ndarray, quality: int) -> None:
    write_bytes_atomic(path, encode_jpeg(image, quality, path.name))


def write_grid(video: Path, info: Probe, path: Path, grid: tuple[int, int],
               tiles: Sequence[tuple[float, np.ndarray]], title: str, quality: int) -> None:
    """A contact sheet of ``tiles`` (time, picture) under a header naming the video."""
    if not tiles:
        raise MediaError(f"{video.name}: no frames for the contact sheet")
    header = " | ".join(part for part in (title or video.name, f"duration {format_time(info.duration)}",
                                          f"{info.width}x{info.height}", format_size(info.size)) if part)
    write_jpeg(path, draw_contact_sheet(tiles, grid[0], grid[1], header), quality)


def write_picks(run: Run, paths: Sequence[Path], picks: Sequence[Candidate],
                pool: Executor | None = None) -> ThumbnailResult:
    """Each distinct frame is fitted and encoded once (the best frame is usually option 1 as well; options
    were encoded when they were hashed as written)."""
    run.fetch(picks)
    distinct = list({id(c): c for c in picks}.values())
    encoded = dict(zip([id(c) for c in distinct], _map(pool, run.jpeg, distinct), strict=True))
    for path, candidate in zip(paths, picks, strict=True):
        write_bytes_atomic(path, encoded[id(candidate)])
    return ThumbnailResult(list(paths), [c.timestamp for c in picks], [c.as_dict()["scores"] for c in picks],
                           run.picks.fallback, run.picks.note)


def write_at(paths: Sequence[Path], times: Sequence[float], frames: dict[float, np.ndarray], area: PictureArea,
             small: tuple[int, int], fitting: Fitting, quality: int, pool: Executor | None = None) -> ThumbnailResult:
    """Frames at exact times (BGR, full size), the picture (``area``, in ``small``-frame pixels) fitted."""

    def write(path: Path, time: float) -> dict[str, float]:
        image = frames[time]
        full = (image.shape[1], image.shape[0])
        window = fitting.window(cv2.cvtColor(small_copy(image, small), cv2.COLOR_BGR2GRAY), area)
        fitted = fit_picture(image, full_window(window, area, small, full), fitting)
        write_jpeg(path, fitted, quality)
        return rounded(frame_metrics(small_copy(fitted, analysis_size(*fitting.size))))

    return ThumbnailResult(list(paths), list(times), _map(pool, write, paths, times))


def grid_part(run: Run, paths: ThumbnailSetPaths, options: ThumbnailOptions, title: str,
               quality: int) -> dict | None:
    """Grid tiles reuse candidate frames (no extra decode): the candidate nearest each evenly spread time."""
    columns, rows = options.grid
    if paths.grid is None or columns * rows <= 0:
        return None
    candidates = run.measured.candidates
    wanted = spread_times(run.info.duration, columns * rows)
    times = [min(candidates, key=lambda c: (abs(c.timestamp - t), c.timestamp)).timestamp for t in wanted]
    tiles = [(t, run.measured.area.crop(run.measured.frames[t])) for t in times]
    write_grid(run.video, run.info, paths.grid, (columns, rows), tiles, title, quality)
    return {"path": paths.grid.name, "columns": columns, "rows": rows, "timestamps": times}


def scores_document(run: Run, options: ThumbnailOptions, paths: ThumbnailSetPaths, fit: str,
                     picked: ThumbnailResult, at: ThumbnailResult, grid: dict | None) -> dict[str, Any]:
    def entry(path: Path, candidate: Candidate) -> dict[str, Any]:
        return {"path": path.name, **candidate.as_dict()}

    info = run.info
    return {
        "video": run.video.name,
        "probe": info.as_dict(),  # the base metadata takes it from here instead of probing the video again
        "duration": round(info.duration, DIGITS),
        "size": [info.width, info.height],
        "picture": run.picture_area().as_dict(),  # the active picture inside any baked-in bars
        "fit": fit,
        "method": options.method,
        "plan": {"strategy": run.decoded.plan.strategy, "neighbour": run.decoded.plan.offset,
                 "frames": "reference" if run.decoded.plan.reference_only else "all"},
        "fallback": picked.fallback,
        "note": picked.note,
        "best": entry(paths.best, run.picks.best),
        "options": [entry(path, c) for path, c in zip(paths.options, run.picks.options, strict=True)],
        "candidates": [c.as_dict() for c in run.measured.candidates],
        "timestamps": [
            {"path": path.name, "requested": str(requested), "timestamp": time, "scores": scores}
            for path, requested, time, scores in zip(paths.at_timestamps, options.timestamps, at.timestamps,
                                                     at.scores, strict=True)
        ],
        "grid": grid,
    }


def small_copy(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _map(pool: Executor | None, function: Callable[..., Any], *items: Iterable[Any]) -> list[Any]:
    return list(pool.map(function, *items) if pool is not None else map(function, *items))


def rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), DIGITS) for k, v in sorted(metrics.items())}
