"""Run storyexport's thumbnail methods on one clip of the real-footage set and judge what they wrote.

Shared by ``bench/quality.py`` (the QUALITY.md tables) and ``tests/media/test_real_footage.py`` (the issue's targets
as assertions), so both grade the same way: against :mod:`truth`, never against storyexport's own scores.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from truth import Frames, bar_share, decode_frames, flags, has_distinct_frames, min_pairwise_dhash, min_pairwise_gap

from storyexport.config.model import ThumbnailOptions
from storyexport.layout import thumbnail_set_paths
from storyexport.media.thumbnails import ThumbnailGenerator, build_thumbnail_set

MIN_PERCENTILE = 80.0
MIN_DHASH = 8
MIN_GAP = 0.5
MAX_BARS = 0.02
OPTIONS = 5
BEST_METHODS = ("find_best_frame combined", "find_best_frame sharpness", "build_thumbnail_set")
OPTION_METHODS = ("generate_multiple_options", "build_thumbnail_set")


@dataclass
class Judged:
    """One method's picks on one clip, judged. ``best`` is ``None`` for a method without a single best frame."""

    method: str
    seconds: float
    best: float | None = None
    best_paths: list[Path] = field(default_factory=list)
    options: list[float] = field(default_factory=list)
    option_paths: list[Path] = field(default_factory=list)
    other_paths: list[Path] = field(default_factory=list)  # further single-frame thumbnails (at timestamps)
    percentile: float | None = None
    best_flags: list[str] = field(default_factory=list)
    option_flags: list[list[str]] = field(default_factory=list)
    min_dhash: int | None = None
    min_gap: float | None = None
    bars: float = 0.0
    note: str | None = None  # storyexport's own word on why its picks are less than ideal (the scores JSON's)
    distinct_frames: bool | None = None  # the clip has OPTIONS distinct frames at all (None: not settled)

    def judge(self, frames: Frames, events: list[dict[str, Any]]) -> Judged:
        if self.best is not None:
            self.percentile = frames.percentile(self.best)
            self.best_flags = flags(frames, events, self.best)
        self.option_flags = [flags(frames, events, t) for t in self.options]
        if self.option_paths:
            self.min_dhash = min_pairwise_dhash(self.option_paths)
            self.min_gap = min_pairwise_gap(self.options)
            self.distinct_frames = has_distinct_frames(frames, OPTIONS, MIN_DHASH, MIN_GAP)
        written = [*self.best_paths, *self.option_paths, *self.other_paths]
        self.bars = max((bar_share(p) for p in written), default=0.0)
        return self

    @property
    def repeats_allowed(self) -> bool:
        """The issue lets a video without five usable distinct frames repeat (or show look-alike) options, as
        long as the scores JSON says why: only when the clip really has none (every decoded frame searched)."""
        return self.distinct_frames is False and bool(self.note)

    @property
    def options_distinct(self) -> bool:
        """Five options, pairwise at least MIN_DHASH bits apart as written and MIN_GAP seconds apart."""
        return len(self.options) == OPTIONS and (self.min_dhash or 0) >= MIN_DHASH and (self.min_gap or 0) >= MIN_GAP

    @property
    def flagged(self) -> list[str]:
        """Every pick with a flag, as ``time: flags``."""
        times = ([self.best] if self.best is not None else []) + self.options
        found = ([self.best_flags] if self.best is not None else []) + self.option_flags
        return [f"{t:.2f} s: {'+'.join(f)}" for t, f in zip(times, found, strict=True) if f]


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def run_best(clip: Path, work: Path, method: str) -> Judged:
    out = work / f"best-{method}.jpg"
    result, seconds = _timed(lambda: ThumbnailGenerator().find_best_frame(clip, out, method=method))
    return Judged(f"find_best_frame {method}", seconds, best=result.timestamps[0], best_paths=list(result.paths))


def run_options(clip: Path, work: Path) -> Judged:
    folder = work / "options"
    result, seconds = _timed(lambda: ThumbnailGenerator().generate_multiple_options(clip, folder, "bench",
                                                                                    num_options=OPTIONS))
    return Judged("generate_multiple_options", seconds, options=list(result.timestamps),
                  option_paths=list(result.paths), note=result.note)


def run_set(clip: Path, work: Path) -> Judged:
    options = ThumbnailOptions()
    paths = thumbnail_set_paths(work / "set", "bench", options)
    scores, seconds = _timed(lambda: build_thumbnail_set(clip, paths, options))
    return Judged("build_thumbnail_set", seconds, best=scores["best"]["timestamp"], best_paths=[paths.best],
                  options=[o["timestamp"] for o in scores["options"]], option_paths=list(paths.options),
                  other_paths=list(paths.at_timestamps), note=scores["note"])


def run_methods(clip: Path, entry: dict[str, Any], work: Path, frames: Frames | None = None) -> dict[str, Judged]:
    """Every storyexport method on ``clip`` (``entry``: its set.json description), judged."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    frames = frames or decode_frames(clip, entry["picture"])
    runs = [run_best(clip, work, "combined"), run_best(clip, work, "sharpness"), run_options(clip, work),
            run_set(clip, work)]
    return {judged.method: judged.judge(frames, entry["events"]) for judged in runs}


def target_failures(judged: dict[str, Judged]) -> list[str]:
    """The issue's per-clip targets that these results miss, one line each (empty: all met)."""
    problems: list[str] = []
    for name in BEST_METHODS:
        result = judged[name]
        if result.percentile is not None and result.percentile < MIN_PERCENTILE:
            problems.append(f"{name}: best frame at sharpness percentile {result.percentile:.0f} < {MIN_PERCENTILE:g}")
    for result in judged.values():
        if result.flagged:
            problems.append(f"{result.method}: flagged picks {', '.join(result.flagged)}")
        if result.bars > MAX_BARS:
            problems.append(f"{result.method}: {result.bars:.0%} of a written thumbnail is bars (> {MAX_BARS:.0%})")
    for name in OPTION_METHODS:
        result = judged[name]
        if result.repeats_allowed:
            continue
        if len(result.options) != OPTIONS:
            problems.append(f"{name}: {len(result.options)} options, not {OPTIONS}")
        if result.min_dhash is not None and result.min_dhash < MIN_DHASH:
            problems.append(f"{name}: two options only {result.min_dhash} dHash bits apart (< {MIN_DHASH})")
        if result.min_gap is not None and result.min_gap < MIN_GAP:
            problems.append(f"{name}: two options only {result.min_gap:.2f} s apart (< {MIN_GAP:g} s)")
    return problems
