"""Many input seeks in one ffmpeg process.

Starting ffmpeg and opening an MP4 costs ~40 ms, often more than decoding the few frames a seek needs. So every
seek becomes one *input* of a single process (same file, its own ``-ss``, one decoder thread each; ffmpeg runs
the inputs side by side), and each writes its selected frames as raw video to its own file in a private temp
folder (no pipes to keep drained). ``-frames:v`` stops each input once its last frame is out.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import run, showinfo_pattern
from storyexport.media.frame_kind import FrameKind

if TYPE_CHECKING:
    from storyexport.media.frames import FrameDecoder

_SHOWINFO = showinfo_pattern(rf"(?P<kind>[{''.join(kind.prefix for kind in FrameKind)}])(?P<index>\d+)")

_DECODED = re.compile(r"^\[showinfo@all @ [^\]]*\] n:", re.M)

Stretches = dict[FrameKind, list[list[np.ndarray]]]  # per kind of frame, per stretch: its frames in order


@dataclass(frozen=True)
class Seek:
    """One input: seek to ``start`` (to the keyframe at or before it unless ``accurate``), keep the frames
    ``expression`` selects as frames of ``kind``, at most ``frames`` of them, reading at most ``span`` s."""

    start: float
    accurate: bool
    kind: FrameKind
    expression: str
    frames: int
    span: float | None = None


@dataclass(frozen=True)
class SeekResult:
    """The frames one seek selected and their times relative to its ``start`` (same order)."""

    images: list[np.ndarray]
    frame_times: list[float]


def run_seeks(job: FrameDecoder, seeks: Sequence[Seek]) -> list[SeekResult]:
    """Run ``seeks`` in one ffmpeg process; results in the same order."""
    if not seeks:
        return []
    with tempfile.TemporaryDirectory(prefix="storyexport-frames-") as name:
        folder = Path(name)
        outputs = [_output(job, seek, folder, index) for index, seek in enumerate(seeks)]
        stderr = run(ffmpeg.merge_outputs(*outputs), job.video, "cannot decode frames").stderr
        frame_times: list[list[float]] = [[] for _ in seeks]  # by the seek's index
        for match in _SHOWINFO.finditer(stderr.decode("utf-8", "replace")):
            frame_times[int(match["index"])].append(float(match["time"]))
        results = []
        for index, seek in enumerate(seeks):
            images = _read(job, seek.kind, folder / _output_name(seek, index))
            results.append(SeekResult(images, frame_times[index][: len(images)]))
    return results


def segment_frames(job: FrameDecoder, starts: Sequence[float], nudge: float,
                   small: Sequence[Sequence[int]] | None = None, full: Sequence[Sequence[int]] | None = None,
                   frame: float | None = None) -> Stretches | None:
    """Frames ``small[i]`` (small BGR) and ``full[i]`` (full-size I420), counted from the keyframe, of the
    stretch starting at keyframe + ``nudge`` (``starts[i]``), all from ONE concat input: opening the file, a
    decoder and a filter chain once instead of per seek halves the CPU. A segment reads from its keyframe up to
    its last wanted frame (the outpoint sits a quarter frame past it). Frames are told apart by count, so
    ``None`` comes back unless every segment gave exactly its frames (or ffmpeg failed): the caller then seeks
    as usual. Returns the per-segment frames of each kind asked for."""
    kinds = {kind: [sorted(set(indices)) for indices in wanted]
             for kind, wanted in ((FrameKind.SMALL, small), (FrameKind.FULL, full)) if wanted is not None}
    if not starts:
        return {kind: [] for kind in kinds}
    frame = frame or 2 * nudge  # a frame's duration: by default ``nudge`` is half a frame
    counts = [max((n for picked in kinds.values() for n in picked[i]), default=0) + 1 for i in range(len(starts))]
    source = str(Path(job.video).resolve()).replace("'", "'\\''")
    lines = ["ffconcat version 1.0"]
    for start, count in zip(starts, counts, strict=True):
        last = start - nudge + (count - 1) * frame
        outpoint = max(last, start) + frame / 4  # past the inpoint even for a stretch of just its keyframe
        lines += [f"file '{source}'", f"inpoint {start:.6f}", f"outpoint {outpoint:.6f}"]
    firsts = [sum(counts[:i]) for i in range(len(counts))]
    with tempfile.TemporaryDirectory(prefix="storyexport-frames-") as name:
        folder = Path(name)
        script = folder / "segments.ffconcat"
        script.write_text("\n".join(lines) + "\n", encoding="utf-8")
        stream = ffmpeg.input(str(script), f="concat", safe=0, threads=1).video.filter("showinfo@all", checksum=0)
        sources = stream.filter_multi_output("split") if len(kinds) == 2 else None
        outputs = []
        for index, (kind, picked) in enumerate(kinds.items()):
            expression = "+".join(f"eq(n,{first + n})" for first, ns in zip(firsts, picked, strict=True)
                                  for n in ns) or "0"
            outputs.append(job.branch(sources[index] if sources is not None else stream, kind, expression,
                                       str(folder / f"{kind}.raw"), None, label=f"{kind.prefix}0"))
        try:
            stderr = run(ffmpeg.merge_outputs(*outputs), job.video, "cannot decode frames").stderr
        except MediaError:  # say, an ffmpeg without the concat demuxer
            return None
        text = stderr.decode("utf-8", "replace")
        found: dict[str, int] = {}  # frames shown per kind's prefix
        for match in _SHOWINFO.finditer(text):
            found[match["kind"]] = found.get(match["kind"], 0) + 1
        images = {kind: _read(job, kind, folder / f"{kind}.raw") for kind in kinds}
    if len(_DECODED.findall(text)) != sum(counts):  # a stretch gave frames past its last (or fewer): miscounted
        return None
    result: Stretches = {}
    for kind, picked in kinds.items():
        wanted = sum(len(ns) for ns in picked)
        if len(images[kind]) != wanted or found.get(kind.prefix, 0) != wanted:
            return None
        offsets = [sum(len(ns) for ns in picked[:i]) for i in range(len(picked))]
        result[kind] = [images[kind][offset:offset + len(ns)] for offset, ns in zip(offsets, picked, strict=True)]
    return result


def _read(job: FrameDecoder, kind: FrameKind, path: Path) -> list[np.ndarray]:
    return job.images(kind, path.read_bytes() if path.exists() else b"")


def _output(job: FrameDecoder, seek: Seek, folder: Path, index: int) -> Any:
    args: dict[str, Any] = {"ss": f"{seek.start:.4f}", "threads": 1}
    if not seek.accurate:
        args["noaccurate_seek"] = None
    if seek.span is not None:
        args["t"] = f"{seek.span:.4f}"
    stream = ffmpeg.input(str(job.video), **args).video
    return job.branch(stream, seek.kind, seek.expression, str(folder / _output_name(seek, index)), seek.frames,
                      label=_label(seek, index))


def _label(seek: Seek, index: int) -> str:
    """The showinfo label of the ``index``-th seek's output (``s3``: small frames)."""
    return f"{seek.kind.prefix}{index}"


def _output_name(seek: Seek, index: int) -> str:
    return f"{_label(seek, index)}.raw"


def chunks(items: Sequence[Any], count: int) -> list[list[Any]]:
    """``items`` dealt round-robin into at most ``count`` non-empty lists (similar work in each)."""
    dealt: list[list[Any]] = [[] for _ in range(max(1, min(count, len(items))))]
    for index, item in enumerate(items):
        dealt[index % len(dealt)].append(item)
    return [part for part in dealt if part]
