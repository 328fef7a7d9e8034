"""What a benchmark run measures: the full run (the RESULTS.md table) or ``--quick`` (a smoke run in ~1-2 min)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clips import ClipSpec

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"


@dataclass(frozen=True)
class Settings:
    quick: bool
    vertical: ClipSpec          # conforming 1080x1920 clip: export, thumbnails, batch builds
    long: ClipSpec              # the long clip for the thumbnail set
    landscape: ClipSpec         # non-conforming 1280x720 clip: the transcode row
    tiny: ClipSpec              # source of every story in the many-stories project
    batch: int                  # stories in the batch build (seed: 20)
    many: int                   # stories in the no-op / plan / validate project (issue: 1,000)
    media_runs: int             # runs for multi-second media measurements (median)
    fast_runs: int              # runs for sub-second measurements (median)
    naive_frames: int | None    # frames actually extracted for the naive set of the clip (None: all of them)
    naive_long_frames: int      # the same for the long clip (its full naive set takes minutes)
    build_runs: int             # fresh parallel builds of the batch, each paired with a decode baseline (median)
    workers: int = 4

    @property
    def cores(self) -> int:
        return len(os.sched_getaffinity(0))

    @property
    def work_dir(self) -> Path:
        return OUT_DIR / ("quick" if self.quick else "full")

    @property
    def media_dir(self) -> Path:
        return OUT_DIR / "media"


def settings_for(quick: bool) -> Settings:
    if quick:
        return Settings(
            quick=True,
            vertical=ClipSpec("vertical", 10),
            long=ClipSpec("vertical", 30),
            landscape=ClipSpec("landscape", 5, 1280, 720, seed=4),
            tiny=ClipSpec("tiny", 3.5, 360, 640, seed=5),
            batch=4, many=50, media_runs=1, fast_runs=3, naive_frames=3, naive_long_frames=3, build_runs=1,
        )
    return Settings(
        quick=False,
        vertical=ClipSpec("vertical", 30),
        long=ClipSpec("vertical", 180, seed=2),
        landscape=ClipSpec("landscape", 15, 1280, 720, seed=4),
        tiny=ClipSpec("tiny", 3.5, 360, 640, seed=5),
        batch=20, many=1000, media_runs=3, fast_runs=5, naive_frames=15, naive_long_frames=5, build_runs=3,
    )
