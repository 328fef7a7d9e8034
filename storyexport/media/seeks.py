"""Many input seeks in one ffmpeg process.

Starting ffmpeg and opening an MP4 costs ~40 ms, often more than decoding the few frames a seek needs. So every
seek becomes one *input* of a single process (same file, its own ``-ss``, one decoder thread each; ffmpeg runs
the inputs side by side), and each writes its selected frames as raw video to its own file in a private temp
folder (no pipes to keep drained). ``-frames:v`` stops each input once its last frame is out.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import run, showinfo_pattern, showinfo_time_base
from storyexport.media.frame_kind import FrameKind

if TYPE_CHECKING:
    from storyexport.media.frames import FrameDecoder

_SHOWINFO = showinfo_pattern(rf"(?P<kind>[{''.join(kind.prefix for kind in FrameKind)}])(?P<index>\d+)")

SEGMENT_GAP = 2.0  # seconds of output timeline between stretches: more than a B-frame overrun past an out point
SEGMENT_SLACK = 0.3  # frames: the demuxer's rounding moves a frame at most a quarter frame (see segment_frames)

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
                   frame: float | None = None, origin: float = 0.0) -> Stretches | None:
    """Frames ``small[i]`` (small BGR) and ``full[i]`` (full-size I420), counted from the keyframe, of the
    stretch starting at keyframe + ``nudge`` (``starts[i]``), all from ONE concat input: opening the file, a
    decoder and a filter chain once instead of per seek halves the CPU. ``origin``: the file's start time (the
    concat demuxer's in and out points are file times, ``starts`` are times from the start).

    A segment reads from its keyframe up to its last wanted frame (the out point sits a quarter frame past it),
    but the out point goes by *decoding* time, so with B-frames a stretch also gives some frames past its last.
    Frames are therefore told apart by time, not by count: each segment gets a stretch of the output timeline
    of its own, a gap wider than any overrun apart (``-copyts``: a frame's output time is its file time minus
    the in point plus the segment's offset), and the n-th frame of a stretch is the one nearest keyframe + n
    frames. The demuxer rounds that shift to the stream's time base (a whole frame in AVI), so offsets are whole
    frames and a frame lands at most a quarter frame from where it is expected. ``None`` comes back unless every
    wanted frame was found there (or ffmpeg failed, or the file's path has a line break the script cannot hold):
    the caller then decodes otherwise. Returns the per-segment frames of each kind asked for."""
    kinds = {kind: [sorted(set(indices)) for indices in wanted]
             for kind, wanted in ((FrameKind.SMALL, small), (FrameKind.FULL, full)) if wanted is not None}
    if not starts:
        return {kind: [] for kind in kinds}
    source = str(Path(job.video).resolve())
    if "\n" in source or "\r" in source:  # a line break would end the script's line: the caller decodes otherwise
        return None
    source = source.replace("'", "'\\''")
    frame = frame or 2 * nudge  # a frame's duration: by default ``nudge`` is half a frame
    segments = _segments(starts, nudge, frame, kinds)
    lines = ["ffconcat version 1.0"]
    for segment in segments:
        lines += [f"file '{source}'", f"inpoint {segment.start + origin:.6f}",
                  f"outpoint {segment.end + origin:.6f}", f"duration {segment.room:.6f}"]
    wanted = {kind: [segment.output_time(n) for segment, ns in zip(segments, picked, strict=True) for n in ns]
              for kind, picked in kinds.items()}
    with tempfile.TemporaryDirectory(prefix="storyexport-frames-") as name:
        folder = Path(name)
        script = folder / "segments.ffconcat"
        script.write_text("\n".join(lines) + "\n", encoding="utf-8")
        stream = ffmpeg.input(str(script), f="concat", safe=0, threads=1, copyts=None).video
        sources = stream.filter_multi_output("split") if len(kinds) == 2 else None
        outputs = [job.branch(sources[index] if sources is not None else stream, kind, _nearest(wanted[kind], frame),
                              str(folder / f"{kind}.raw"), None, label=f"{kind.prefix}0")
                   for index, kind in enumerate(kinds)]
        try:
            stderr = run(ffmpeg.merge_outputs(*outputs), job.video, "cannot decode frames").stderr
        except MediaError:  # say, an ffmpeg without the concat demuxer
            return None
        text = stderr.decode("utf-8", "replace")
        images = {kind: _read(job, kind, folder / f"{kind}.raw") for kind in kinds}
    result: Stretches = {}
    for kind, picked in kinds.items():
        if not _frames_match(wanted[kind], _output_times(text, f"{kind.prefix}0"), len(images[kind]), frame):
            return None
        offsets = [sum(len(ns) for ns in picked[:i]) for i in range(len(picked))]
        result[kind] = [images[kind][offset:offset + len(ns)] for offset, ns in zip(offsets, picked, strict=True)]
    return result


@dataclass(frozen=True)
class _Segment:
    """One stretch in the concat script: file times ``start``..``end`` (from the file's start), placed at
    ``offset`` on the output timeline with ``room`` seconds before the next segment begins."""

    start: float
    end: float
    offset: float
    room: float
    nudge: float
    frame: float

    def output_time(self, index: int) -> float:
        """Where the ``index``-th frame from the keyframe lands on the output timeline (``-copyts``: a file
        time minus the in point plus the segment's offset)."""
        return self.offset + index * self.frame - self.nudge


def _segments(starts: Sequence[float], nudge: float, frame: float,
              kinds: dict[FrameKind, list[list[int]]]) -> list[_Segment]:
    """Each stretch up to a quarter frame past its last wanted frame, spaced on the output timeline by its own
    length plus :data:`SEGMENT_GAP` (more than any B-frame overrun) in whole frames, so no two stretches'
    frames mix."""
    segments: list[_Segment] = []
    offset = 0.0
    for index, start in enumerate(starts):
        count = max((n for picked in kinds.values() for n in picked[index]), default=0) + 1
        end = max(start - nudge + (count - 1) * frame, start) + frame / 4  # past the in point even for 1 frame
        room = round(math.ceil((end - start + nudge + SEGMENT_GAP) / frame) * frame, 6)
        segments.append(_Segment(start, end, offset, room, nudge, frame))
        offset = round(offset + room, 6)
    return segments


def _nearest(times: Sequence[float], frame: float) -> str:
    """A ``select`` expression for the frame nearest each time (within half a frame)."""
    return "+".join(f"lt(abs(t-{t:.6f}),{frame / 2:.6f})" for t in times) or "0"


def _output_times(text: str, label: str) -> list[float]:
    """Exact output times of the frames ``showinfo@label`` saw (integer pts times its time base)."""
    base = showinfo_time_base(label).search(text)
    if base is None:
        return []
    unit = int(base["num"]) / int(base["den"])
    return [int(match["pts"]) * unit for match in showinfo_pattern(label).finditer(text)]


def _frames_match(wanted: Sequence[float], found: Sequence[float], images: int, frame: float) -> bool:
    """Every wanted time got its own frame, within :data:`SEGMENT_SLACK` frames of it."""
    return len(found) == len(wanted) == images and \
        all(abs(got - want) <= SEGMENT_SLACK * frame for want, got in zip(wanted, found, strict=True))


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
