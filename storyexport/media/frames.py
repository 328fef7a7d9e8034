"""The frame decoder: frames of a video as numpy arrays, small (about 270x480 BGR, for analysis) or full size
(the displayed size as I420 planes, for writing).

:class:`FrameDecoder` reads through libav (:mod:`storyexport.media.libav`): one decode pass that keeps the frames
at given times (optionally skipping frames nothing refers to), or seeks, each reading on from the keyframe at or
before a group of times, several groups to one open file and a few files side by side. :func:`grab` picks seeks
or one pass by count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import cpu_share
from storyexport.media.frame_kind import FrameKind
from storyexport.media.libav import EPSILON, NotSeekable, Source, convert
from storyexport.media.probe import Probe

ANALYSIS_AREA = 270 * 480
SEEK_GROUP_SPAN = 0.6  # times closer than this share one seek

Frames = dict[float, np.ndarray]
Part = TypeVar("Part")  # what one reader of a side-by-side read is given


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
class Group:
    """Times read from one seek: to ``start`` (the keyframe at or before it), then on to the last time."""

    start: float
    times: tuple[float, ...]


@dataclass(frozen=True)
class FrameDecoder:
    """Decodes frames of ``video``: small ones at ``small_size``, full ones at ``full_size`` (width, height, as
    displayed: a ``rotation`` of the stored frames is applied, as the CLI does)."""

    video: Path
    small_size: tuple[int, int]
    full_size: tuple[int, int]
    rotation: int = 0

    @classmethod
    def of(cls, video: Path, info: Probe) -> FrameDecoder:
        return cls(Path(video), analysis_size(info.width, info.height), full_size(info), info.rotation)

    def decode(self, small: Sequence[float], full: Sequence[float], *, exact: Sequence[float] = (),
               threads: int | None = None, reference_only: bool = False, splits: Sequence[float] = ()) -> Grab:
        """Frames at (the first frame at or after) each time, in one pass from the start that stops at the
        last. ``reference_only``: the decoder skips frames no other frame refers to (a quarter of H.264's
        decoding with B-frames), so each time gets the first *reference* frame at or after it, decoded exactly
        as in a full decode; except the ``exact`` times, which get exactly the first frame at or after them.
        ``splits``: keyframe times where the pass is cut into parts decoded side by side, each read on from a
        seek to its keyframe: the same frames, as no frame shown after a keyframe refers to one before it."""
        parts = _parts(sorted(set(small) | set(full)), splits)
        if len(parts) > 1:
            found = self._decode_parts(parts, small, full, exact, threads, reference_only)
            if found is not None:
                return found
        # one converting thread: PyAV must never convert one frame on two threads at once (it deadlocks)
        with Source(self.video, threads or 0) as source, ThreadPoolExecutor(max_workers=1) as pool:
            found = self._collect(source.frames(skip_non_reference=reference_only, exact=exact), small, full,
                                  pool=pool)
            skipped = _skipped_exact(source, found, exact)
        if skipped:  # a gap in the frame rate put an exact time's frame past its window: decode every frame
            return self.decode(small, full, threads=threads, splits=splits)
        return found

    def _decode_parts(self, parts: list[tuple[float | None, list[float]]], small: Sequence[float],
                      full: Sequence[float], exact: Sequence[float], threads: int | None,
                      reference_only: bool) -> Grab | None:
        """:meth:`decode`'s parts side by side, a single-threaded decoder each (frame threads would only add
        latency where the parts already keep the cores busy); ``None`` when a seek does not land at or before
        its keyframe, or frames cannot be found by seeking (the caller decodes in one pass)."""
        small_set, full_set = set(small), set(full)

        def read(part: tuple[float | None, list[float]]) -> Grab | None:
            start, times = part
            with Source(self.video, max(1, (threads or cpu_share()) // len(parts))) as source:
                try:
                    found = self._read_on(source, start, times, small_set, full_set,
                                          latest=math.inf if start is None else start, require_frames=start is not None,
                                          skip_non_reference=reference_only, exact=exact)
                except (_OffGrid, NotSeekable):
                    return None
                return found if not _skipped_exact(source, found, [t for t in exact if t in times]) else None

        return _side_by_side(read, parts)

    def seek(self, groups: Sequence[Group], small: Collection[float], full: Collection[float],
             slack: float | None = None, skip_non_reference: bool = False) -> Grab | None:
        """Frames at each group's times, each group read from a seek to its start (groups dealt to a few open
        files read side by side, one decoder thread each). ``slack``: every time is an expected frame time and
        its frame must come within ``slack`` seconds after it, else ``None`` (the caller decodes otherwise).
        ``skip_non_reference`` (with ``slack``): the decoder skips frames nothing refers to but those at the
        times (a frame skipped by mistake would leave its time a later frame, beyond the slack)."""
        parts = chunks(list(groups), seek_readers())
        small, full = set(small), set(full)

        def read(part: list[Group]) -> Grab | None:
            found = Grab()
            with Source(self.video, threads=1) as source:
                try:
                    for group in part:
                        found.update(self._read_group(source, group, small, full, slack,
                                                      skip_non_reference and slack is not None))
                except _OffGrid:
                    return None
            return found

        return _side_by_side(read, parts)

    def size(self, kind: FrameKind) -> tuple[int, int]:
        """(width, height) of frames of ``kind``."""
        return self.small_size if kind is FrameKind.SMALL else self.full_size

    def _read_group(self, source: Source, group: Group, small: set[float], full: set[float],
                    slack: float | None, skip: bool = False) -> Grab:
        try:
            return self._read_on(source, group.start, group.times, small, full, latest=min(group.times), slack=slack,
                                 last=max(group.times) if slack is not None else None, skip_non_reference=skip,
                                 exact=group.times if skip else ())
        except (_OffGrid, NotSeekable):
            if slack is not None:
                raise _OffGrid from None
        source.rewind()  # read on from the start instead
        return self._read_on(source, None, group.times, small, full)

    def _read_on(self, source: Source, start: float | None, times: Sequence[float], small: Collection[float],
                 full: Collection[float], *, latest: float = math.inf, require_frames: bool = False,
                 slack: float | None = None, last: float | None = None, skip_non_reference: bool = False,
                 exact: Sequence[float] = ()) -> Grab:
        """The frames at ``times`` read on from a seek to ``start`` (``None``: the file's start; ``last``,
        ``skip_non_reference``, ``exact``: see :meth:`Source.frames`). :class:`_OffGrid` when the index put the
        seek past ``latest`` (its first frame comes after it), or, with ``require_frames``, when it gave no frame
        at all."""
        frames = source.frames(start, last=last, skip_non_reference=skip_non_reference, exact=exact)
        first = next(frames, None)
        landed_past = first is not None and first[0] > latest + EPSILON
        if landed_past or (first is None and require_frames):
            raise _OffGrid
        return self._collect(_chain(first, frames), [t for t in times if t in small], [t for t in times if t in full],
                             slack)

    def _collect(self, frames: Iterator[tuple[float, Any]], small: Iterable[float], full: Iterable[float],
                 slack: float | None = None, pool: Executor | None = None) -> Grab:
        """Each time gets the first frame at or after it, converted to the kinds it is wanted in (once per frame
        and kind; by ``pool`` while decoding goes on, if given); reading stops at the last. With ``slack``, every
        time must get a frame within ``slack`` after it (:class:`_OffGrid`)."""
        kinds = {FrameKind.SMALL: set(small), FrameKind.FULL: set(full)}
        wanted = sorted(kinds[FrameKind.SMALL] | kinds[FrameKind.FULL])
        images: dict[tuple[float, FrameKind], Future[np.ndarray] | np.ndarray] = {}
        asked_of: list[tuple[float, float, FrameKind]] = []
        decoded_at: dict[float, float] = {}
        index = 0
        for time, frame in frames:
            while index < len(wanted) and wanted[index] <= time + EPSILON:
                asked = wanted[index]
                index += 1
                if slack is not None and time - asked > slack:
                    raise _OffGrid
                for kind in (k for k, times in kinds.items() if asked in times):
                    if (time, kind) not in images:
                        images[(time, kind)] = pool.submit(self._image, frame, kind) if pool else \
                            self._image(frame, kind)
                    asked_of.append((asked, time, kind))
                decoded_at[asked] = key(time)
            if index == len(wanted):
                break
        if slack is not None and index < len(wanted):
            raise _OffGrid
        found = Grab(decoded_at=decoded_at)
        for asked, time, kind in asked_of:
            image = images[(time, kind)]
            found.of_kind(kind)[asked] = image.result() if isinstance(image, Future) else image
        return found

    def _image(self, frame: Any, kind: FrameKind) -> np.ndarray:
        return convert(frame, self.size(kind), kind.pix_fmt, self.rotation)


def _side_by_side(read: Callable[[Part], Grab | None], parts: Sequence[Part]) -> Grab | None:
    """``read`` of every part, on a thread each (libav decodes and converts without the GIL), merged; ``None``
    when any part gives ``None``."""
    with ThreadPoolExecutor(max_workers=max(1, len(parts))) as pool:
        results = list(pool.map(read, parts))
    grabbed = Grab()
    for result in results:
        if result is None:
            return None
        grabbed.update(result)
    return grabbed


def _parts(times: list[float], splits: Sequence[float]) -> list[tuple[float | None, list[float]]]:
    """``times`` (sorted) cut at ``splits``: (keyframe to seek to, or ``None`` for the file's start; the times
    from it up to the next split), leaving out splits with no time after them."""
    parts: list[tuple[float | None, list[float]]] = [(None, [])]
    cuts = sorted(splits)
    for time in times:
        while cuts and time >= cuts[0] - EPSILON:
            parts.append((cuts.pop(0), []))
        parts[-1][1].append(time)
    return [part for part in parts if part[1]]


def _skipped_exact(source: Source, found: Grab, exact: Iterable[float]) -> bool:
    """Whether a skipping pass read a packet between an exact time and the frame it got (that packet's frame
    was the one wanted, skipped as nothing refers to it)."""
    return any(source.shown.any_between(t, found.decoded_at.get(t, t)) for t in exact)


class _OffGrid(Exception):
    """A seek's frames are not where their times said (a variable frame rate the probe missed, a lying index)."""


def _chain(first: tuple[float, Any] | None, rest: Iterator[tuple[float, Any]]) -> Iterator[tuple[float, Any]]:
    if first is not None:
        yield first
    yield from rest


def seek_readers() -> int:
    """Open files read side by side for seeks: twice the cores, as each reader also waits on Python between its
    seeks, decoding and conversions (vtest with a keyframe every 2 s, 2 cores: 0.47 s with 2 readers, 0.38 s
    with 4). Which reader reads a group never changes its frames."""
    return max(1, min(4, 2 * cpu_share()))


def chunks(items: Sequence[Any], count: int) -> list[list[Any]]:
    """``items`` dealt round-robin into at most ``count`` non-empty lists (similar work in each)."""
    dealt: list[list[Any]] = [[] for _ in range(max(1, min(count, len(items))))]
    for index, item in enumerate(items):
        dealt[index % len(dealt)].append(item)
    return [part for part in dealt if part]


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
    seek per group of close times when there are few, else one decode pass.

    Times past the last frame are left out rather than failing the whole grab."""
    small = sorted({key(t) for t in small_times})
    full = sorted({key(t) for t in full_times})
    groups = _group(sorted(set(small) | set(full)))
    if not groups:
        return Grab()
    decoder = FrameDecoder.of(video, info)
    if len(groups) < info.duration / 2:
        return decoder.seek([Group(group[0], tuple(group)) for group in groups], small, full) or Grab()
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
