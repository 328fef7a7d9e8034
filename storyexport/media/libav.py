"""Decoded frames straight from libav through PyAV: one demuxer and decoder kept open across every seek.

The ffmpeg CLI had to open the file again for every stretch of frames (the concat demuxer reopens it per
segment and decodes its first frames to probe it, ~9 ms a stretch on a 768x576 H.264 clip, as much as the
stretch's own keyframe) and could not skip frames selectively. Here one open file serves every seek of a
request, and a pass may skip the frames nothing refers to while still decoding the few that must be exact.

Times are seconds from the file's start (its container start time), as the CLI's ``t`` and every probe count
them. Frames come out in display order, so the first frame at or after a time is found by reading on.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import file_argument

EPSILON = 0.0005  # seconds: times are keyed to 4 decimals
EXACT_WINDOW = 1.5  # frames after an exact time whose packets are decoded in full even when skipping
_SCALERS = threading.local()  # per thread: pix_fmt -> VideoReformatter (see _reformatter)


@dataclass
class Shown:
    """Times of the packets a skipping pass read: what tells afterwards whether an exact time's frame was skipped."""

    times: list[float] = field(default_factory=list)

    def any_between(self, start: float, end: float) -> bool:
        """Whether a packet from ``start`` (included) up to ``end`` (excluded) was read: had it been decoded,
        its frame would have come before ``end``'s."""
        return any(start - EPSILON <= t < end - EPSILON for t in self.times)


class NotSeekable(MediaError):
    """Frames cannot be found by seeking: the demuxer refuses to seek, or frames without timestamps were read
    after a seek (nothing says which frames they are)."""


class Source:
    """One open video stream: ``frames`` reads decoded frames from the start or from a seek. ``threads``:
    the decoder's threads (0: libav's choice; frame threads add a few frames of latency to every seek, so
    many-seek readers take one and run side by side instead)."""

    def __init__(self, video: Path, threads: int = 0) -> None:
        self.video = Path(video)
        self.threads = threads
        self._open()

    def _open(self) -> None:
        try:
            self.container: Any = av.open(file_argument(self.video), mode="r")
        except (OSError, av.FFmpegError) as exc:
            raise MediaError(f"{self.video.name}: cannot decode frames: {_reason(exc)}") from exc
        moving = [stream for stream in self.container.streams.video
                  if not stream.disposition & av.stream.Disposition.attached_pic]  # not cover art
        if not moving:
            self.container.close()
            raise MediaError(f"{self.video.name}: cannot decode frames: no video stream")
        self.stream = moving[0]  # the stream the probe describes
        self.stream.thread_type = "AUTO" if self.threads != 1 else "SLICE"
        self.stream.thread_count = self.threads
        start = self.container.start_time
        self.origin = start / av.time_base if start is not None else 0.0
        self.unit = float(self.stream.time_base) if self.stream.time_base else 0.0
        self.rate = float(self.stream.average_rate or self.stream.guessed_rate or 25)
        self.shown = Shown()
        self._counted: float | None = 0.0  # the next frame's time where frames carry none (raw H.264), as the
        # CLI counts them at the stream's rate; known only when reading from the start

    def rewind(self) -> None:
        """Back to the file's start (a fresh demuxer: a file without timestamps cannot be sought to its start)."""
        self.container.close()
        self._open()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *_: object) -> None:
        self.container.close()

    def frames(self, start: float | None = None, *, skip_non_reference: bool = False,
               exact: Sequence[float] = (), last: float | None = None) -> Iterator[tuple[float, Any]]:
        """(time, frame) in display order; ``start``: seek to the keyframe at or before it first.
        ``skip_non_reference``: frames nothing refers to are skipped (``skip_frame``: a quarter of H.264's
        decoding with B-frames), except those within :data:`EXACT_WINDOW` frames after an ``exact`` time.
        ``last``: the time of the last frame wanted: once its packet and any later-sent packets shown before it
        are in, the decoder gives up the frames it holds back instead of decoding the packets that follow
        (with B-frames, a couple of frames per seek)."""
        if start is not None:
            self._seek(start)
            self._counted = None
        context = self.stream.codec_context
        windows = sorted(exact)
        seen_last = False
        for packet in self._packets():
            time = self._packet_time(packet)
            if last is not None and time is not None:
                if seen_last and time > last + EPSILON:
                    break
                seen_last = seen_last or abs(time - last) <= EPSILON
            if skip_non_reference:
                context.skip_frame = self._skip(time, windows)
            yield from self._decoded(packet)
        yield from self._decoded(None)  # the frames a decoder holds back (also at the end of the file)

    def _packets(self) -> Iterator[Any]:
        """The stream's packets; a file that breaks off or turns to garbage ends there, as for the CLI."""
        packets = self.container.demux(self.stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.FFmpegError:  # read no further, as the CLI stops at a broken file's end
                return
            yield packet

    def _decoded(self, packet: Any) -> list[tuple[float, Any]]:
        """The frames ``packet`` completes; a damaged packet gives none and decoding goes on, as in the CLI
        (frames referring to it are concealed by the decoder, exactly as a full decode conceals them)."""
        try:
            return [(self._time(frame), frame) for frame in self.stream.codec_context.decode(packet)]
        except av.FFmpegError:
            return []

    def keyframes(self) -> Iterator[tuple[float, int]]:
        """(time, compressed bytes) of each keyframe packet, read without decoding."""
        try:
            for packet in self.container.demux(self.stream):
                time = self._packet_time(packet)
                if packet.is_keyframe and time is not None:
                    yield time, packet.size
        except av.FFmpegError as exc:
            raise MediaError(f"{self.video.name}: cannot list keyframes: {_reason(exc)}") from exc

    def _seek(self, start: float) -> None:
        if not self.unit:
            raise NotSeekable(f"{self.video.name}: cannot seek: no time base")
        try:
            self.container.seek(round((start + self.origin) / self.unit), stream=self.stream, backward=True,
                                any_frame=False)
        except av.FFmpegError as exc:
            raise NotSeekable(f"{self.video.name}: cannot seek: {_reason(exc)}") from exc

    def _packet_time(self, packet: Any) -> float | None:
        return packet.pts * self.unit - self.origin if packet.pts is not None and self.unit else None

    def _skip(self, time: float | None, windows: list[float]) -> Literal["DEFAULT", "NONREF"]:
        """Decode this packet in full (an exact time's frame may be one nothing refers to) or references only."""
        if time is None:
            return "DEFAULT"
        self.shown.times.append(time)
        index = bisect.bisect_right(windows, time + EPSILON)
        return "DEFAULT" if index and time < windows[index - 1] + EXACT_WINDOW / self.rate else "NONREF"

    def _time(self, frame: Any) -> float:
        """The frame's time from the start: its timestamp, else counted at the stream's rate from the last one
        (raw streams carry none); :class:`NotSeekable` after a seek, where there is nothing to count from."""
        pts = frame.pts if frame.pts is not None else frame.dts
        if pts is not None and self.unit:
            time = round(pts * self.unit - self.origin, 6)
        elif self._counted is not None:
            time = round(self._counted, 6)
        else:
            raise NotSeekable(f"{self.video.name}: frames without timestamps cannot be found by seeking")
        if self._counted is not None or pts is not None:
            self._counted = time + 1 / self.rate
        return time


def convert(frame: Any, size: tuple[int, int], pix_fmt: str, rotation: int) -> np.ndarray:
    """``frame`` scaled to ``size`` (width, height, as displayed) in ``pix_fmt`` (``bgr24``: rows, columns,
    channels; ``yuv420p``: the I420 planes stacked), turned by ``rotation`` degrees counter-clockwise as the
    CLI turns rotated video (scaled in the stored orientation first: a quarter turn swaps the sides)."""
    width, height = size if rotation % 180 == 0 else (size[1], size[0])
    image = _reformatter(pix_fmt).reformat(frame, width=width, height=height, format=pix_fmt, interpolation="AREA",
                                           threads=1).to_ndarray()
    turns = (rotation // 90) % 4
    if not turns:
        return np.ascontiguousarray(image)
    if pix_fmt != "yuv420p":
        return np.ascontiguousarray(np.rot90(image, turns))
    return _rotate_i420(image, width, height, turns)


def _reformatter(pix_fmt: str) -> VideoReformatter:
    """This thread's scaler for ``pix_fmt``. ``VideoFrame.reformat`` sets up a new one for every frame, with a
    thread pool of its own: 1.8 ms a small frame of a 768x576 clip against 0.26 ms (same pixels). One thread each,
    as the frames are converted on several threads already."""
    kept: dict[str, VideoReformatter] | None = getattr(_SCALERS, "by_format", None)
    if kept is None:
        kept = _SCALERS.by_format = {}
    if pix_fmt not in kept:
        kept[pix_fmt] = VideoReformatter()
    return kept[pix_fmt]


def _rotate_i420(image: np.ndarray, width: int, height: int, turns: int) -> np.ndarray:
    """Turn each plane of an I420 frame: Y, then the quarter-size U and V, stacked again."""
    luma = image[:height]
    chroma = image[height:].reshape(2, height // 2, width // 2)
    planes = [np.rot90(plane, turns) for plane in (luma, chroma[0], chroma[1])]
    turned_height, turned_width = planes[0].shape
    return np.concatenate([plane.ravel() for plane in planes]).reshape(turned_height * 3 // 2, turned_width)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).splitlines()[0] if text else type(exc).__name__
