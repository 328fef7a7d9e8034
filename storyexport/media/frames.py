"""The frame decoder: frames of a video as numpy arrays, small (about 270x480 BGR, for analysis) or full size
(the displayed size as I420 planes, for writing).

:class:`FrameDecoder` runs one ffmpeg process per request: a decode pass (optionally after an input seek) that
``select``\\ s the frames at given times and pipes raw video, small frames as ``bgr24`` on stdout and full frames
as ``yuv420p`` on a second pipe; :meth:`FrameDecoder.stretches` decodes stretches counted from keyframes in one
concat input (see :mod:`seeks`). :func:`grab` picks accurate input seeks or one pass by count.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import ffmpeg
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import compile_args, cpu_share, media_error, showinfo_pattern
from storyexport.media.frame_kind import FrameKind
from storyexport.media.keyframes import parallel_workers
from storyexport.media.probe import Probe
from storyexport.media.seeks import Seek, SeekResult, Stretches, chunks, run_seeks, segment_frames

ANALYSIS_AREA = 270 * 480
SEEK_GROUP_SPAN = 0.6  # times closer than this share one seek
SEEK_MARGIN = 0.01  # accurate seeks start this much early, so a frame whose time was rounded up is never cut
EPSILON = 0.0005
_SHOWINFO = showinfo_pattern(rf"(?P<branch>{'|'.join(FrameKind)})")

Frames = dict[float, np.ndarray]


@dataclass
class Grab:
    """``small``: BGR analysis frames; ``full``: native-size frames as I420 planes (convert with :func:`to_bgr`);
    both keyed by the requested time. ``decoded_at``: requested time -> time of the frame actually decoded."""

    small: Frames = field(default_factory=dict)
    full: Frames = field(default_factory=dict)
    decoded_at: dict[float, float] = field(default_factory=dict)

    def of_kind(self, kind: FrameKind) -> Frames:
        return self.small if kind is FrameKind.SMALL else self.full

    def update(self, other: Grab) -> None:
        self.small.update(other.small)
        self.full.update(other.full)
        self.decoded_at.update(other.decoded_at)


@dataclass(frozen=True)
class FrameDecoder:
    """Decodes frames of ``video``: small ones at ``small_size``, full ones at ``full_size`` (width, height)."""

    video: Path
    small_size: tuple[int, int]
    full_size: tuple[int, int]

    @classmethod
    def of(cls, video: Path, info: Probe) -> FrameDecoder:
        return cls(Path(video), analysis_size(info.width, info.height), full_size(info))

    def decode(self, small: Sequence[float], full: Sequence[float], start: float = 0.0,
               threads: int | None = None, reference_only: bool = False) -> Grab:
        """Frames at (the first frame at or after) each time; ``start`` > 0 input-seeks there first. Reading
        stops half a second after the last time. ``reference_only``: the decoder skips frames no other frame
        refers to (``-skip_frame noref``: a third of H.264's decoding with B-frames), so each time gets the
        first *reference* frame at or after it, decoded exactly as in a full decode."""
        input_args: dict[str, Any] = {"t": f"{max([*small, *full]) - start + 0.5:.4f}"}
        if start > 0:
            input_args["ss"] = f"{start:.4f}"
        if threads:
            input_args["threads"] = threads
        if reference_only:
            input_args["skip_frame"] = "noref"
        branches = {kind: select_expression(times)
                    for kind, times in ((FrameKind.SMALL, small), (FrameKind.FULL, full)) if times}
        raw, frame_times = self._execute(input_args, branches)
        result = Grab()
        if small:
            result.small, result.decoded_at = _match_times(
                small, self.images(FrameKind.SMALL, raw.get(FrameKind.SMALL, b"")), frame_times[FrameKind.SMALL])
        if full:
            result.full, found = _match_times(full, self.images(FrameKind.FULL, raw.get(FrameKind.FULL, b"")),
                                             frame_times[FrameKind.FULL])
            result.decoded_at = {**found, **result.decoded_at}
        return result

    def stretches(self, starts: Sequence[float], nudge: float, small: Sequence[Sequence[int]] | None = None,
                  full: Sequence[Sequence[int]] | None = None,
                  frame: float | None = None, origin: float = 0.0) -> Stretches | None:
        """Frames counted from keyframes, each stretch starting ``nudge`` after its keyframe of a file starting
        at ``origin`` (see :func:`seeks.segment_frames`); ``None`` when they did not come back frame for frame."""
        return segment_frames(self, starts, nudge, small, full, frame, origin)

    def size(self, kind: FrameKind) -> tuple[int, int]:
        """(width, height) of frames of ``kind``."""
        return self.small_size if kind is FrameKind.SMALL else self.full_size

    def branch(self, stream: Any, kind: FrameKind, expression: str, target: str, frames: int | None = None,
               label: str | None = None) -> Any:
        """The ``select`` -> scale -> showinfo -> raw output chain of one kind of frame."""
        width, height = self.size(kind)
        scaled = stream.filter("select", expression).filter("scale", width, height,
                                                            force_original_aspect_ratio="disable", flags="area")
        limit = {"frames:v": frames} if frames else {}  # stop decoding once the last frame is out
        return scaled.filter(f"showinfo@{label or kind}", checksum=0).output(
            target, format="rawvideo", pix_fmt=kind.pix_fmt, fps_mode="passthrough", **limit)

    def images(self, kind: FrameKind, data: bytes) -> list[np.ndarray]:
        """Raw frames of one kind split into arrays (BGR for small frames, I420 planes for full ones)."""
        shape = kind.shape(*self.size(kind))
        size = int(np.prod(shape))
        return [np.frombuffer(data, np.uint8, size, offset).reshape(shape)
                for offset in range(0, len(data) - size + 1, size)]

    def _execute(self, input_args: dict[str, Any],
                 branches: dict[FrameKind, str]) -> tuple[dict[FrameKind, bytes], dict[FrameKind, list[float]]]:
        """One ffmpeg process; with both kinds of frames the video is split into two ``select`` branches:
        small BGR frames on stdout, full-size I420 frames on a second pipe."""
        video = ffmpeg.input(str(self.video), **input_args).video
        sources = video.filter_multi_output("split") if len(branches) == 2 else None
        extra = os.pipe() if len(branches) == 2 else None
        try:
            outputs = []
            for index, (kind, expression) in enumerate(branches.items()):
                stream = sources[index] if sources is not None else video
                target = "pipe:1" if index == 0 or extra is None else f"pipe:{extra[1]}"
                outputs.append(self.branch(stream, kind, expression, target))
        except BaseException:
            for fd in extra or ():
                os.close(fd)
            raise
        raw, stderr = _run_pipes(ffmpeg.merge_outputs(*outputs), self.video, extra)
        frame_times: dict[FrameKind, list[float]] = {kind: [] for kind in FrameKind}
        for match in _SHOWINFO.finditer(stderr):
            frame_times[FrameKind(match["branch"])].append(float(match["time"]))
        return dict(zip(branches, raw, strict=True)), frame_times


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """About 270x480 pixels of area with the source's shape (even sides, never upscaled)."""
    factor = min(1.0, (ANALYSIS_AREA / max(1, width * height)) ** 0.5)
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


def full_size(info: Probe) -> tuple[int, int]:
    """The displayed size rounded down to even sides (yuv420p needs them)."""
    return max(2, info.width // 2 * 2), max(2, info.height // 2 * 2)


def to_bgr(i420: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)


def key(time: float) -> float:
    """The 4-decimal form every frame time is keyed by."""
    return round(max(0.0, float(time)), 4)


def grab(video: Path, info: Probe, small_times: Iterable[float] = (), full_times: Iterable[float] = ()) -> Grab:
    """Frames at (the first frame at or after) each time; keys are the times rounded to 4 decimals: one
    accurate input seek per group of close times when there are few, else one decode pass.

    Times past the last frame are left out rather than failing the whole grab."""
    small = sorted({key(t) for t in small_times})
    full = sorted({key(t) for t in full_times})
    groups = _group(sorted(set(small) | set(full)))
    if not groups:
        return Grab()
    decoder = FrameDecoder.of(video, info)
    if len(groups) < info.duration / 2:
        return _by_seeking(decoder, groups, set(small), set(full))
    return decoder.decode(small, full, threads=cpu_share())


def grab_small(video: Path, info: Probe, times: Iterable[float]) -> Frames:
    return grab(video, info, small_times=times).small


def grab_full(video: Path, info: Probe, times: Iterable[float]) -> dict[float, np.ndarray]:
    """Native-size BGR frames at ``times`` (a frame that cannot be found is an error)."""
    wanted = sorted({key(t) for t in times})
    found = grab(video, info, full_times=wanted).full
    missing = [t for t in wanted if t not in found]
    if missing:
        raise MediaError(f"{Path(video).name}: no frame at {missing[0]:.2f} s")
    return {t: to_bgr(found[t]) for t in wanted}


def _group(times: list[float]) -> list[list[float]]:
    groups: list[list[float]] = []
    for time in times:
        if groups and time - groups[-1][0] <= SEEK_GROUP_SPAN:
            groups[-1].append(time)
        else:
            groups.append([time])
    return groups


def _by_seeking(decoder: FrameDecoder, groups: list[list[float]], small: set[float], full: set[float]) -> Grab:
    """One accurate input seek per group and kind, shared among a few ffmpeg processes."""
    wanted_of = {FrameKind.SMALL: small, FrameKind.FULL: full}
    seeks = [_exact_seek(group, [t for t in group if t in wanted], kind)
             for group in groups for kind, wanted in wanted_of.items() if any(t in wanted for t in group)]
    parts = chunks(seeks, parallel_workers())
    result = Grab()
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        for part, results in zip(parts, pool.map(lambda part: run_seeks(decoder, part), parts), strict=True):
            for seek, found in zip(part, results, strict=True):
                frames, decoded_at = _exact_frames(seek, found, wanted_of[seek.kind])
                result.of_kind(seek.kind).update(frames)
                result.decoded_at.update(decoded_at)
    return result


def _exact_seek(group: list[float], times: Iterable[float], kind: FrameKind) -> Seek:
    """An accurate seek a little before the group's first time, then the first frame at or after each time."""
    start = max(0.0, group[0] - SEEK_MARGIN)
    relative = [t - start for t in times]
    return Seek(start=start, accurate=True, kind=kind, expression=select_expression(relative),
                frames=len(relative), span=max(relative) + 0.5)


def _exact_frames(seek: Seek, result: SeekResult, wanted: Iterable[float]) -> tuple[Frames, dict[float, float]]:
    chosen = {t for t in wanted if seek.start <= t <= seek.start + (seek.span or 0.0)}
    relative, decoded_at = _match_times([t - seek.start for t in sorted(chosen)], result.images,
                                        result.frame_times)
    return ({key(t + seek.start): frame for t, frame in relative.items()},
            {key(t + seek.start): key(s + seek.start) for t, s in decoded_at.items()})


def select_expression(times: Sequence[float]) -> str:
    """Select the first frame whose time reaches each target (``prev_t`` is NaN on the first frame)."""
    return "+".join(f"gte(t,{t - EPSILON:.4f})*not(gte(prev_t,{t - EPSILON:.4f}))" for t in times)


def _match_times(times: Sequence[float], images: list[np.ndarray],
                 frame_times: list[float]) -> tuple[Frames, dict[float, float]]:
    """Each time gets the first frame whose time (``frame_times``, in the order of ``images``) is at or after it
    (two times may share a frame), and that frame's time."""
    frame_times = frame_times[: len(images)]
    frames: Frames = {}
    chosen: dict[float, float] = {}
    index = 0
    for time in sorted(times):
        while index < len(frame_times) and frame_times[index] < time - EPSILON:
            index += 1
        if index < len(frame_times):
            frames[time] = images[index]
            chosen[time] = key(frame_times[index])
    return frames, chosen


def _run_pipes(graph: Any, video: Path, extra: tuple[int, int] | None) -> tuple[list[bytes], str]:
    """Run a graph writing to stdout and, with ``extra`` (read end, write end), to a second pipe; read every
    pipe concurrently so neither side blocks."""
    args = compile_args(graph)
    try:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   pass_fds=(extra[1],) if extra else ())
    except OSError as exc:
        if extra:
            os.close(extra[0])
        raise MediaError(f"{Path(video).name}: cannot decode frames: cannot run ffmpeg ({exc})") from exc
    finally:
        if extra:
            os.close(extra[1])  # the child holds its own copy of the write end
    streams = [process.stdout, process.stderr]
    if extra:
        streams.append(os.fdopen(extra[0], "rb"))
    results: list[bytes] = [b""] * len(streams)
    readers = [threading.Thread(target=_read_all, args=(stream, results, i), daemon=True)
               for i, stream in enumerate(streams)]
    for reader in readers:
        reader.start()
    try:
        code = process.wait()
    except BaseException:  # interrupted: do not leave ffmpeg running
        process.kill()
        process.wait()
        raise
    for reader in readers:
        reader.join()
    stderr = results[1].decode("utf-8", "replace")
    if code != 0:
        raise media_error(video, "cannot decode frames", stderr)
    return [results[0], *results[2:]], stderr


def _read_all(stream: Any, results: list[bytes], index: int) -> None:
    with stream:
        results[index] = stream.read()
