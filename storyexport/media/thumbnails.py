"""Thumbnails: the seed's :class:`ThumbnailGenerator` API, plus :func:`build_thumbnail_set` for the build.

Every method returns a :class:`ThumbnailResult`: the paths written, the timestamp each shows (seconds, 4
decimals) and that frame's scores (metrics at the ~270x480 analysis size, plus ``score`` for the method when it
was ranked). JPEGs are encoded by OpenCV at a fixed quality and written atomically, so reruns give equal bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from storyexport.config.model import ThumbnailOptions
from storyexport.fsutil import write_bytes_atomic, write_json_atomic
from storyexport.layout import ThumbnailSetPaths
from storyexport.media.analysis import Analysis, analyse, fallback_pick, resolve_timestamp, spread_times
from storyexport.media.contact_sheet import draw_contact_sheet, format_size, format_time
from storyexport.media.errors import MediaError
from storyexport.media.frames import (
    Frames,
    analysis_size,
    fit_cover,
    full_size,
    grab_full,
    grab_small,
    parallel_workers,
)
from storyexport.media.probe import Probe, probe
from storyexport.media.scores import DIGITS, Candidate, frame_metrics, pick_distinct, ranked, score_candidates


@dataclass(frozen=True)
class ThumbnailResult:
    """``paths[i]`` shows the frame at ``timestamps[i]`` whose metrics are ``scores[i]`` (a grid: one path,
    every tile's time and scores)."""

    paths: list[Path]
    timestamps: list[float]
    scores: list[dict[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"paths": [str(p) for p in self.paths], "timestamps": self.timestamps, "scores": self.scores}


class ThumbnailGenerator:
    """Thumbnails of ``width`` x ``height`` (centre-cropped to fill); ``quality`` is ffmpeg's ``-q:v`` scale
    (1 best .. 31 worst), mapped to a JPEG quality of 100 - 3 * (quality - 1)."""

    def __init__(self, width: int = 1080, height: int = 1920, quality: int = 2) -> None:
        self.width, self.height = int(width), int(height)
        self.jpeg_quality = max(5, min(100, 100 - 3 * (int(quality) - 1)))

    # --- the seed's four methods ---------------------------------------------------------------------------

    def generate_at_timestamps(self, video: Path | str, output_dir: Path | str,
                               timestamps: Sequence[float | str]) -> ThumbnailResult:
        """Write ``{stem}_at{N}.jpg`` for each timestamp (seconds, or a share like ``"25%"``)."""
        video, info = _probed(video)
        paths = [Path(output_dir) / f"{video.stem}_at{n}.jpg" for n in range(1, len(timestamps) + 1)]
        times = [resolve_timestamp(t, info, video) for t in timestamps]
        return self._write_at(paths, times, grab_full(video, info, times))

    def generate_grid(self, video: Path | str, output_path: Path | str, grid_size: tuple[int, int] = (3, 3),
                      title: str = "") -> ThumbnailResult:
        """Write a contact sheet of ``columns`` x ``rows`` tiles evenly spread between 7 % and 93 %."""
        video, info = _probed(video)
        columns, rows = grid_size
        times = spread_times(info.duration, columns * rows)
        frames = grab_small(video, info, times)
        return self._write_grid(video, info, Path(output_path), (columns, rows), times, frames, title)

    def find_best_frame(self, video: Path | str, output_path: Path | str, num_candidates: int = 30,
                        method: str = "sharpness") -> ThumbnailResult:
        """Write the best of ``num_candidates`` frames by ``method`` (sharpness, brightness, contrast, combined);
        black, fading, uniform and transition frames are rejected first."""
        video, info = _probed(video)
        analysis = analyse(video, info, spread_times(info.duration, num_candidates), method)
        best, _ = _examined_picks(analysis, 0, info.duration, method)
        return self._write_picks([Path(output_path)], [best], analysis)

    def generate_multiple_options(self, video: Path | str, output_dir: Path | str, title_id: str,
                                  num_options: int = 5, method: str = "combined",
                                  num_candidates: int = 30) -> ThumbnailResult:
        """Write ``{title_id}_option{N}.jpg``: the best distinct frames, never black, at least
        duration / (2 * num_options) apart."""
        video, info = _probed(video)
        analysis = analyse(video, info, spread_times(info.duration, max(num_candidates, num_options)), method)
        _, picks = _examined_picks(analysis, num_options, info.duration, method)
        paths = [Path(output_dir) / f"{title_id}_option{n}.jpg" for n in range(1, len(picks) + 1)]
        return self._write_picks(paths, picks, analysis)

    # --- writing -------------------------------------------------------------------------------------------

    def _write_at(self, paths: Sequence[Path], times: Sequence[float], frames: dict[float, np.ndarray],
                  pool: Executor | None = None) -> ThumbnailResult:
        def write(path: Path, time: float) -> dict[str, float]:
            image = self._write_frame(path, frames[time])
            return _rounded(frame_metrics(cv2.resize(image, analysis_size(self.width, self.height),
                                                     interpolation=cv2.INTER_AREA)))

        scores = _map(pool, write, paths, times)
        return ThumbnailResult(list(paths), list(times), scores)

    def _write_picks(self, paths: Sequence[Path], picks: Sequence[Candidate], analysis: Analysis,
                     pool: Executor | None = None) -> ThumbnailResult:
        """Each distinct frame is fitted and encoded once (the best frame is usually option 1 as well)."""
        analysis.fetch_full([pick.timestamp for pick in picks])
        times = sorted({pick.timestamp for pick in picks})
        encoded = dict(zip(times, _map(pool, lambda t: self._encode(fit_cover(
            analysis.full_frame(t), self.width, self.height), t), times), strict=True))
        for path, pick in zip(paths, picks, strict=True):
            write_bytes_atomic(path, encoded[pick.timestamp])
        return ThumbnailResult(list(paths), [c.timestamp for c in picks], [c.as_dict()["scores"] for c in picks])

    def _write_grid(self, video: Path, info: Probe, path: Path, grid: tuple[int, int], times: Sequence[float],
                    frames: Frames, title: str, analysis: Analysis | None = None) -> ThumbnailResult:
        tiles = [(t, frames[t]) for t in times if t in frames]
        if not tiles:
            raise MediaError(f"{video.name}: no frames for the contact sheet")
        header = " | ".join(part for part in (title or video.name, f"duration {format_time(info.duration)}",
                                              f"{info.width}x{info.height}", format_size(info.size)) if part)
        self._write_jpeg(path, draw_contact_sheet(tiles, grid[0], grid[1], header))
        measured = {c.timestamp: c.as_dict()["scores"] for c in analysis.candidates} if analysis else {}
        scores = [measured.get(t) or _rounded(frame_metrics(image)) for t, image in tiles]
        return ThumbnailResult([path], [t for t, _ in tiles], scores)

    def _write_frame(self, path: Path, image: np.ndarray) -> np.ndarray:
        """Fit a native-size frame to this generator's size and write it; returns what was written."""
        fitted = fit_cover(image, self.width, self.height)
        self._write_jpeg(path, fitted)
        return fitted

    def _write_jpeg(self, path: Path, image: np.ndarray) -> None:
        write_bytes_atomic(path, self._encode(image, path.name))

    def _encode(self, image: np.ndarray, what: object) -> bytes:
        """JPEG bytes (OpenCV releases the GIL while encoding, so a few can run in threads)."""
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise MediaError(f"{what}: JPEG encoding failed")
        return encoded.tobytes()


def build_thumbnail_set(video: Path, paths: ThumbnailSetPaths, options: ThumbnailOptions, title: str = "",
                        info: Probe | None = None) -> dict:
    """Write every path of ``paths`` from one analysis of ``video`` and return the scores dict written to
    ``paths.scores`` (``best.timestamp`` is the cover frame the platforms get). ``info``: the video's probe
    when the caller already has it (say, from :func:`export_video`), saving a probe."""
    video, info = (Path(video), info) if info is not None else _probed(video)
    generator = ThumbnailGenerator(*full_size(info), quality=options.quality)
    columns, rows = options.grid if paths.grid is not None else (0, 0)
    candidate_times = spread_times(info.duration, max(options.num_candidates, len(paths.options), 1))
    grid_times = _grid_times(candidate_times, info.duration, columns * rows)
    at_times = [resolve_timestamp(t, info, video) for t in options.timestamps]
    analysis = analyse(video, info, sorted(set(candidate_times) | set(grid_times)), options.method, at_times)
    best, picks = _examined_picks(analysis, len(paths.options), info.duration, options.method)
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        # the winners are sought at full size while the frames already here are encoded
        fetching = pool.submit(analysis.fetch_full, [best.timestamp, *(pick.timestamp for pick in picks)])
        full_at = {t: analysis.full_frame(t) for t in at_times}
        at = generator._write_at(paths.at_timestamps, at_times, full_at, pool)
        grid = _grid_part(generator, video, info, paths, (columns, rows), analysis.nearest_times(grid_times),
                          analysis, title)
        fetching.result()
        generator._write_picks([paths.best, *paths.options], [best, *picks], analysis, pool)
    scores = _scores_document(video, info, options, paths, analysis, best, picks, at, grid)
    write_json_atomic(paths.scores, scores)
    return scores


def _map(pool: Executor | None, function: Callable[..., Any], *items: Iterable[Any]) -> list[Any]:
    return list(pool.map(function, *items) if pool is not None else map(function, *items))


def _probed(video: Path | str) -> tuple[Path, Probe]:
    path = Path(video)
    return path, probe(path)


def _best(candidates: list[Candidate]) -> Candidate:
    usable = ranked(candidates)
    return usable[0] if usable else fallback_pick(candidates)


def _examined_picks(analysis: Analysis, count: int, duration: float,
                    method: str) -> tuple[Candidate, list[Candidate]]:
    """The best frame and ``count`` options, each with its faces counted: a pick not yet examined is examined,
    which re-scores the candidates, so the picks are made again until every one was examined."""
    while True:
        best = _best(analysis.candidates)
        picks = _options(analysis.candidates, count, duration, method)
        if not analysis.examine_faces([best, *picks]):
            return best, picks


def _options(candidates: list[Candidate], count: int, duration: float, method: str) -> list[Candidate]:
    """``count`` distinct picks. Too few usable frames: frames rejected only as fade or transition (visible,
    if imperfect) may fill in; still too few: the picks repeat (there must be a file per option). Black and
    uniform frames are never picked while anything else exists."""
    if count <= 0:
        return []
    gap = duration / (2 * count)
    picks = pick_distinct(candidates, count, gap)
    if len(picks) < count:
        picks = _with_imperfect_frames(candidates, count, gap, method) or picks
    picks = picks or [fallback_pick(candidates)]
    return [picks[i % len(picks)] for i in range(count)]


def _with_imperfect_frames(candidates: list[Candidate], count: int, gap: float, method: str) -> list[Candidate]:
    """Pick again with fade/transition rejections lifted (on copies, ranked after every flawless frame);
    return the original candidates."""
    lifted = [replace(c, rejected=None) if c.rejected in ("fade", "transition") else replace(c) for c in candidates]
    score_candidates(lifted, method)
    for copy, original in zip(lifted, candidates, strict=True):
        if original.rejected:
            copy.score -= 2.0
    originals = {c.timestamp: c for c in candidates}
    return [originals[c.timestamp] for c in pick_distinct(lifted, count, gap)]


def _grid_times(candidate_times: list[float], duration: float, tiles: int) -> list[float]:
    """Grid tiles reuse candidate frames (no extra decode) when there are enough candidates."""
    if tiles <= 0:
        return []
    if tiles == 1 or tiles > len(candidate_times):
        return spread_times(duration, tiles)
    last = len(candidate_times) - 1
    return [candidate_times[round(i * last / (tiles - 1))] for i in range(tiles)]


def _grid_part(generator: ThumbnailGenerator, video: Path, info: Probe, paths: ThumbnailSetPaths,
               grid: tuple[int, int], times: list[float], analysis: Analysis, title: str) -> dict | None:
    if paths.grid is None or not times:
        return None
    written = generator._write_grid(video, info, paths.grid, grid, times, analysis.frames, title, analysis)
    return {"path": paths.grid.name, "columns": grid[0], "rows": grid[1], "timestamps": written.timestamps}


def _scores_document(video: Path, info: Probe, options: ThumbnailOptions, paths: ThumbnailSetPaths,
                     analysis: Analysis, best: Candidate, picks: list[Candidate], at: ThumbnailResult,
                     grid: dict | None) -> dict[str, Any]:
    def pick(path: Path, candidate: Candidate) -> dict[str, Any]:
        return {"path": path.name, **candidate.as_dict()}

    return {
        "video": video.name,
        "probe": info.as_dict(),  # the base metadata takes it from here instead of probing the video again
        "duration": round(info.duration, DIGITS),
        "size": [info.width, info.height],
        "method": options.method,
        "best": pick(paths.best, best),
        "options": [pick(path, c) for path, c in zip(paths.options, picks, strict=True)],
        "candidates": [c.as_dict() for c in analysis.candidates],
        "timestamps": [
            {"path": path.name, "requested": str(requested), "timestamp": time, "scores": scores}
            for path, requested, time, scores in zip(paths.at_timestamps, options.timestamps, at.timestamps,
                                                     at.scores, strict=True)
        ],
        "grid": grid,
    }


def _rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), DIGITS) for k, v in sorted(metrics.items())}
