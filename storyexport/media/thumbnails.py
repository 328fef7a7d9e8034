"""Thumbnails: the seed's :class:`ThumbnailGenerator` API, plus :func:`build_thumbnail_set` for the build.

Both read as one pass through :mod:`storyexport.media.thumbs`: plan the candidates, decode them, measure them
on the picture area (inside any baked-in bars), pick the best frame and the options, write them fitted to the
thumbnail size. Every method returns a :class:`ThumbnailResult`: the paths written, the timestamp each shows
(seconds, 4 decimals) and that frame's scores (metrics at the ~270x480 analysis size, plus ``score`` for the
method when it was ranked). JPEGs are encoded by OpenCV at a fixed quality and written atomically, so reruns
give equal bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from storyexport.config.model import ThumbnailOptions
from storyexport.fsutil import write_json_atomic
from storyexport.layout import ThumbnailSetPaths
from storyexport.media.filters import FIT_MODES
from storyexport.media.frames import analysis_size, full_size, grab_full, grab_small, to_bgr
from storyexport.media.keyframes import parallel_workers
from storyexport.media.picture import picture_area_of_frames
from storyexport.media.probe import Probe, probe
from storyexport.media.scores import frame_metrics
from storyexport.media.thumbs.fit import Fitting
from storyexport.media.thumbs.plan import resolve_timestamp, spread_times
from storyexport.media.thumbs.run import Run, analyse
from storyexport.media.thumbs.write import (
    ThumbnailResult,
    grid_part,
    rounded,
    scores_document,
    small_copy,
    write_at,
    write_grid,
    write_picks,
)


class ThumbnailGenerator:
    """Thumbnails of ``width`` x ``height``, the picture (inside any bars) fitted the ``fit`` way (``crop`` by
    default: filled, the window on the subject); ``quality`` is ffmpeg's ``-q:v`` scale (1 best .. 31 worst),
    mapped to a JPEG quality of 100 - 3 * (quality - 1)."""

    def __init__(self, width: int = 1080, height: int = 1920, quality: int = 2, fit: str = "crop") -> None:
        if fit not in FIT_MODES:
            raise ValueError(f"unknown fit mode {fit!r} (use one of {', '.join(FIT_MODES)})")
        self.width, self.height = int(width), int(height)
        self.jpeg_quality = max(5, min(100, 100 - 3 * (int(quality) - 1)))
        self.fitting = Fitting(fit, (self.width, self.height))

    # --- the seed's four methods ---------------------------------------------------------------------------

    def generate_at_timestamps(self, video: Path | str, output_dir: Path | str,
                               timestamps: Sequence[float | str]) -> ThumbnailResult:
        """Write ``{stem}_at{N}.jpg`` for each timestamp (seconds, or a share like ``"25%"``)."""
        video, info = _probed(video)
        paths = [Path(output_dir) / f"{video.stem}_at{n}.jpg" for n in range(1, len(timestamps) + 1)]
        times = [resolve_timestamp(t, info, video) for t in timestamps]
        frames = grab_full(video, info, times)
        small = analysis_size(info.width, info.height)
        area = picture_area_of_frames([small_copy(frames[t], small) for t in times])
        return write_at(paths, times, frames, area, small, self.fitting, self.jpeg_quality)

    def generate_grid(self, video: Path | str, output_path: Path | str, grid_size: tuple[int, int] = (3, 3),
                      title: str = "") -> ThumbnailResult:
        """Write a contact sheet of ``columns`` x ``rows`` tiles (the picture area) between 7 % and 93 %."""
        video, info = _probed(video)
        columns, rows = grid_size
        times = spread_times(info.duration, columns * rows)
        frames = grab_small(video, info, times)
        tiles = [(t, frames[t]) for t in times if t in frames]
        area = picture_area_of_frames([image for _, image in tiles]) if tiles else None
        tiles = [(t, area.crop(image)) for t, image in tiles] if area else []
        write_grid(video, info, Path(output_path), (columns, rows), tiles, title, self.jpeg_quality)
        return ThumbnailResult([Path(output_path)], [t for t, _ in tiles],
                               [rounded(frame_metrics(image)) for _, image in tiles])

    def find_best_frame(self, video: Path | str, output_path: Path | str, num_candidates: int = 30,
                        method: str = "sharpness") -> ThumbnailResult:
        """Write the best of ``num_candidates`` frames by ``method`` (sharpness, brightness, contrast, combined),
        measured on the picture as written; black, uniform, fading and dissolving frames rank last."""
        run = self._analyse(video, num_candidates, method, 0)
        return write_picks(run, [Path(output_path)], [run.picks.best])

    def generate_multiple_options(self, video: Path | str, output_dir: Path | str, title_id: str,
                                  num_options: int = 5, method: str = "combined",
                                  num_candidates: int = 30) -> ThumbnailResult:
        """Write ``{title_id}_option{N}.jpg``: the best frames of different shots first, visibly different and
        at least duration / (2 * num_options) apart while the video allows (see :mod:`thumbs.pick`)."""
        run = self._analyse(video, max(num_candidates, num_options), method, num_options)
        paths = [Path(output_dir) / f"{title_id}_option{n}.jpg" for n in range(1, num_options + 1)]
        return write_picks(run, paths, run.picks.options)

    def _analyse(self, video: Path | str, count: int, method: str, options: int) -> Run:
        path, info = _probed(video)
        return analyse(path, info, count, method, options, self.fitting, quality=self.jpeg_quality)


def build_thumbnail_set(video: Path, paths: ThumbnailSetPaths, options: ThumbnailOptions, title: str = "",
                        info: Probe | None = None, fit: str = "blur-pad") -> dict:
    """Write every path of ``paths`` from one analysis of ``video`` and return the scores dict written to
    ``paths.scores`` (``best.timestamp`` is the cover frame the platforms get). ``info``: the video's probe
    when the caller already has it (say, from :func:`export_video`), saving a probe; ``fit``: the story's
    ``video.fit``, how the picture fills the thumbnails."""
    video, info = (Path(video), info) if info is not None else _probed(video)
    generator = ThumbnailGenerator(*full_size(info), quality=options.quality, fit=fit)
    quality = generator.jpeg_quality
    at_times = [resolve_timestamp(t, info, video) for t in options.timestamps]
    count = max(options.num_candidates, len(paths.options), 1)
    run = analyse(video, info, count, options.method, len(paths.options), generator.fitting, at_times,
                  quality=quality)
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        picked = write_picks(run, [paths.best, *paths.options], [run.picks.best, *run.picks.options], pool)
        full_at = {t: to_bgr(run.decoded.full[t]) for t in at_times}
        at = write_at(paths.at_timestamps, at_times, full_at, run.measured.area, run.decoder.small_size,
                      generator.fitting, quality, pool)
    grid = grid_part(run, paths, options, title, quality)
    scores = scores_document(run, options, paths, fit, picked, at, grid)
    write_json_atomic(paths.scores, scores)
    return scores


def _probed(video: Path | str) -> tuple[Path, Probe]:
    path = Path(video)
    return path, probe(path)
