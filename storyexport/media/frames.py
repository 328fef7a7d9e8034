"""Getting frames out of a video with as little decoding as possible.

One request names *small* times (analysis frames, about 270x480 BGR) and *full* times (native-size frames for the
written thumbnails). Nearby times are grouped; when there are few groups for the duration each group is one
input-seeked ffmpeg process (a few side by side, one thread each), otherwise a single decode pass serves them all
(the research notes' rule: seek when groups < duration / 2). Either way a process ``select``s the first frame at or
after each time and pipes raw video: small frames as ``bgr24`` on stdout, full frames as ``yuv420p`` on a second
pipe, so the winners never need another seek.
"""

from __future__ import annotations

import os
import re
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
from storyexport.media.ffmpeg import compile_args, media_error
from storyexport.media.probe import Probe

ANALYSIS_AREA = 270 * 480
SEEK_GROUP_SPAN = 0.6  # times closer than this share one seek
_EPSILON = 0.0005
_SHOWINFO = re.compile(r"^\[showinfo@(?P<branch>small|full) @ [^\]]*\] n:\s*\d+\s+pts:\s*-?\d+\s+"
                       r"pts_time:\s*(?P<time>-?[\d.e+-]+)", re.M)

Frames = dict[float, np.ndarray]


@dataclass
class Grab:
    """``small``: BGR analysis frames; ``full``: native-size frames as I420 planes (convert with :func:`to_bgr`)."""

    small: Frames = field(default_factory=dict)
    full: Frames = field(default_factory=dict)

    def update(self, other: Grab) -> None:
        self.small.update(other.small)
        self.full.update(other.full)


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """About 270x480 pixels of area with the source's shape (even sides, never upscaled)."""
    factor = min(1.0, (ANALYSIS_AREA / max(1, width * height)) ** 0.5)
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


def full_size(info: Probe) -> tuple[int, int]:
    """The displayed size rounded down to even sides (yuv420p needs them)."""
    return max(2, info.width // 2 * 2), max(2, info.height // 2 * 2)


def to_bgr(i420: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)


def fit_cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to fill ``width`` x ``height`` and crop the overflow evenly (what a thumbnail slot wants)."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    x, y = (size[0] - width) // 2, (size[1] - height) // 2
    return resized[y:y + height, x:x + width]


def parallel_workers() -> int:
    return max(1, min(4, os.cpu_count() or 2))


def grab(video: Path, info: Probe, small_times: Iterable[float] = (), full_times: Iterable[float] = ()) -> Grab:
    """Frames at (the first frame at or after) each time; keys are the times rounded to 4 decimals.

    Times past the last frame are left out rather than failing the whole grab."""
    small = sorted({_key(t) for t in small_times})
    full = sorted({_key(t) for t in full_times})
    groups = _group(sorted(set(small) | set(full)))
    if not groups:
        return Grab()
    job = _Job(video, analysis_size(info.width, info.height), full_size(info))
    if len(groups) < info.duration / 2:
        return _by_seeking(job, groups, set(small), set(full))
    return job.run(small, full, start=0.0, threads=None)


def grab_small(video: Path, info: Probe, times: Iterable[float]) -> Frames:
    return grab(video, info, small_times=times).small


def grab_full(video: Path, info: Probe, times: Iterable[float]) -> dict[float, np.ndarray]:
    """Native-size BGR frames at ``times`` (a frame that cannot be found is an error)."""
    wanted = sorted({_key(t) for t in times})
    found = grab(video, info, full_times=wanted).full
    missing = [t for t in wanted if t not in found]
    if missing:
        raise MediaError(f"{Path(video).name}: no frame at {missing[0]:.2f} s")
    return {t: to_bgr(found[t]) for t in wanted}


def _key(time: float) -> float:
    return round(max(0.0, float(time)), 4)


def _group(times: list[float]) -> list[list[float]]:
    groups: list[list[float]] = []
    for time in times:
        if groups and time - groups[-1][0] <= SEEK_GROUP_SPAN:
            groups[-1].append(time)
        else:
            groups.append([time])
    return groups


def _by_seeking(job: _Job, groups: list[list[float]], small: set[float], full: set[float]) -> Grab:
    def one(group: list[float]) -> Grab:
        start = group[0]
        relative = job.run([t - start for t in group if t in small], [t - start for t in group if t in full],
                           start=start, threads=1)
        return Grab({_key(t + start): f for t, f in relative.small.items()},
                    {_key(t + start): f for t, f in relative.full.items()})

    result = Grab()
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        for part in pool.map(one, groups):
            result.update(part)
    return result


@dataclass(frozen=True)
class _Job:
    video: Path
    small_size: tuple[int, int]
    full_size: tuple[int, int]

    def run(self, small: Sequence[float], full: Sequence[float], start: float, threads: int | None) -> Grab:
        """One ffmpeg process; with both kinds of frames the video is split into two selected branches."""
        input_args: dict[str, Any] = {}
        if start > 0:
            input_args.update(ss=f"{start:.4f}", t=f"{max([*small, *full]) + 0.5:.4f}")
        if threads:
            input_args["threads"] = threads
        video = ffmpeg.input(str(self.video), **input_args).video
        branches = [(name, times) for name, times in (("small", small), ("full", full)) if times]
        sources = video.filter_multi_output("split") if len(branches) == 2 else None
        extra = os.pipe() if len(branches) == 2 else None
        try:
            outputs = []
            for index, (name, times) in enumerate(branches):
                stream = sources[index] if sources is not None else video
                target = "pipe:1" if index == 0 or extra is None else f"pipe:{extra[1]}"
                outputs.append(self._branch(stream, name, times, target))
        except BaseException:
            for fd in extra or ():
                os.close(fd)
            raise
        raw, stderr = _run_pipes(ffmpeg.merge_outputs(*outputs), self.video, extra)
        return self._frames(dict(zip([name for name, _ in branches], raw, strict=True)), stderr, small, full)

    def _branch(self, stream: Any, name: str, times: Sequence[float], target: str) -> Any:
        selected = stream.filter("select", _select_expression(times))
        width, height = self.small_size if name == "small" else self.full_size
        scaled = selected.filter("scale", width, height, force_original_aspect_ratio="disable", flags="area")
        pix_fmt = "bgr24" if name == "small" else "yuv420p"
        return scaled.filter(f"showinfo@{name}").output(target, format="rawvideo", pix_fmt=pix_fmt,
                                                         fps_mode="passthrough")

    def _frames(self, raw: dict[str, bytes], stderr: str, small: Sequence[float], full: Sequence[float]) -> Grab:
        stamps: dict[str, list[float]] = {"small": [], "full": []}
        for match in _SHOWINFO.finditer(stderr):
            stamps[match["branch"]].append(float(match["time"]))
        result = Grab()
        if small:
            width, height = self.small_size
            images = _split_frames(raw["small"], (height, width, 3))
            result.small = _match_times(small, images, stamps["small"])
        if full:
            width, height = self.full_size
            images = _split_frames(raw["full"], (height * 3 // 2, width))
            result.full = _match_times(full, images, stamps["full"])
        return result


def _select_expression(times: Sequence[float]) -> str:
    """Select the first frame whose time reaches each target (``prev_t`` is NaN on the first frame)."""
    return "+".join(f"gte(t,{t - _EPSILON:.4f})*not(gte(prev_t,{t - _EPSILON:.4f}))" for t in times)


def _split_frames(data: bytes, shape: tuple[int, ...]) -> list[np.ndarray]:
    size = int(np.prod(shape))
    return [np.frombuffer(data, np.uint8, size, offset).reshape(shape) for offset in range(0, len(data) - size + 1,
                                                                                               size)]


def _match_times(times: Sequence[float], images: list[np.ndarray], stamps: list[float]) -> Frames:
    """Each time gets the first frame stamped at or after it (two times may share a frame)."""
    stamps = stamps[: len(images)]
    frames: Frames = {}
    index = 0
    for time in sorted(times):
        while index < len(stamps) and stamps[index] < time - _EPSILON:
            index += 1
        if index < len(stamps):
            frames[time] = images[index]
    return frames


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
    code = process.wait()
    for reader in readers:
        reader.join()
    stderr = results[1].decode("utf-8", "replace")
    if code != 0:
        raise media_error(video, "cannot decode frames", stderr)
    return [results[0], *results[2:]], stderr


def _read_all(stream: Any, results: list[bytes], index: int) -> None:
    with stream:
        results[index] = stream.read()
