"""Many input seeks in one ffmpeg process.

Starting ffmpeg and opening an MP4 costs ~40 ms, often more than decoding the few frames a seek needs. So every
seek becomes one *input* of a single process (same file, its own ``-ss``, one decoder thread each; ffmpeg runs
the inputs side by side), and each writes its selected frames as raw video to its own file in a private temp
folder (no pipes to keep drained). ``-frames:v`` stops each input once its last frame is out.
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import ffmpeg
import numpy as np

from storyexport.media.ffmpeg import run

_SHOWINFO = re.compile(r"^\[showinfo@s(?P<index>\d+) @ [^\]]*\] n:\s*\d+\s+pts:\s*-?\d+\s+"
                       r"pts_time:\s*(?P<time>-?[\d.e+-]+)", re.M)


class FrameJob(Protocol):
    video: Path

    def _branch(self, stream: Any, name: str, expression: str, target: str, frames: int | None = None,
                label: str | None = None) -> Any: ...

    def _images(self, name: str, raw: dict[str, bytes]) -> list[np.ndarray]: ...


@dataclass(frozen=True)
class Seek:
    """One input: seek to ``start`` (to the keyframe at or before it unless ``accurate``), keep the frames
    ``expression`` selects (``kind`` "small" or "full"), at most ``frames`` of them, reading at most ``span`` s."""

    start: float
    accurate: bool
    kind: str
    expression: str
    frames: int
    span: float | None = None


@dataclass(frozen=True)
class SeekResult:
    """The frames one seek selected and their times relative to its ``start`` (same order)."""

    images: list[np.ndarray]
    stamps: list[float]


def run_seeks(job: FrameJob, seeks: Sequence[Seek]) -> list[SeekResult]:
    """Run ``seeks`` in one ffmpeg process; results in the same order."""
    if not seeks:
        return []
    with tempfile.TemporaryDirectory(prefix="storyexport-frames-") as folder:
        targets = [Path(folder) / f"{index}.raw" for index in range(len(seeks))]
        outputs = [_output(job, seek, target, index) for index, (seek, target) in enumerate(zip(seeks, targets,
                                                                                                   strict=True))]
        stderr = run(ffmpeg.merge_outputs(*outputs), job.video, "cannot decode frames").stderr
        stamps: dict[int, list[float]] = defaultdict(list)
        for match in _SHOWINFO.finditer(stderr.decode("utf-8", "replace")):
            stamps[int(match["index"])].append(float(match["time"]))
        results = []
        for index, (seek, target) in enumerate(zip(seeks, targets, strict=True)):
            images = job._images(seek.kind, {seek.kind: target.read_bytes() if target.exists() else b""})
            results.append(SeekResult(images, stamps[index][: len(images)]))
    return results


def _output(job: FrameJob, seek: Seek, target: Path, index: int) -> Any:
    args: dict[str, Any] = {"ss": f"{seek.start:.4f}", "threads": 1}
    if not seek.accurate:
        args["noaccurate_seek"] = None
    if seek.span is not None:
        args["t"] = f"{seek.span:.4f}"
    stream = ffmpeg.input(str(job.video), **args).video
    return job._branch(stream, seek.kind, seek.expression, str(target), seek.frames, label=f"s{index}")


def chunks(items: Sequence[Any], count: int) -> list[list[Any]]:
    """``items`` dealt round-robin into at most ``count`` non-empty lists (similar work in each)."""
    dealt: list[list[Any]] = [[] for _ in range(max(1, min(count, len(items))))]
    for index, item in enumerate(items):
        dealt[index % len(dealt)].append(item)
    return [part for part in dealt if part]
