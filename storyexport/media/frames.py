"""Getting frames out of a video cheaply.

Analysis frames are small (about 270x480) and come either from one seek per group of nearby times, or, when
there are many groups for the duration, from a single decode pass that pipes raw ``bgr24`` through ffmpeg's
``select`` filter (rule from the research notes: seek when groups < duration / 2). Full-size frames for the
written thumbnails always use input seeking, a few processes side by side.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import media_error, start
from storyexport.media.probe import Probe

ANALYSIS_AREA = 270 * 480
SEEK_GROUP_SPAN = 0.6  # times closer than this share one seek
_EPSILON = 0.0005
_PTS_TIME = re.compile(r"\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:\s*(-?[\d.e+-]+)")

Frames = dict[float, np.ndarray]


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """The analysis frame size: about 270x480 pixels of area with the source's shape (even sides, never upscaled)."""
    factor = min(1.0, (ANALYSIS_AREA / max(1, width * height)) ** 0.5)
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


def parallel_workers() -> int:
    return max(1, min(4, os.cpu_count() or 2))


def grab_small(video: Path, info: Probe, times: Sequence[float], size: tuple[int, int] | None = None) -> Frames:
    """Frames at (the first frame at or after) each of ``times``, scaled to ``size``; keys are the given times.

    Times past the last frame are dropped from the result rather than failing the whole grab."""
    size = size or analysis_size(info.width, info.height)
    wanted = sorted({round(max(0.0, t), 4) for t in times})
    groups = _group(wanted)
    if len(groups) < info.duration / 2:
        return _grab_by_seeking(video, groups, size)
    return _decode_once(video, wanted, size, start=0.0, threads=None)


def grab_full(video: Path, times: Sequence[float], width: int, height: int) -> Frames:
    """Full-size frames at ``times``, scaled and centre-cropped to fill ``width`` x ``height``."""
    wanted = sorted({round(max(0.0, t), 4) for t in times})

    def one(time: float) -> Frames:
        stream = (
            ffmpeg.input(str(video), ss=f"{time:.4f}", threads=1)
            .filter("scale", width, height, force_original_aspect_ratio="increase")
            .filter("crop", width, height)
            .output("pipe:", vframes=1, format="rawvideo", pix_fmt="bgr24")
        )
        images = _run_frames(stream, video, (width, height), "cannot extract a frame")[0]
        if not images:
            raise MediaError(f"{Path(video).name}: no frame at {time:.2f} s")
        return {time: images[0]}

    frames: Frames = {}
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        for found in pool.map(one, wanted):
            frames.update(found)
    return frames


def _group(times: list[float]) -> list[list[float]]:
    groups: list[list[float]] = []
    for time in times:
        if groups and time - groups[-1][0] <= SEEK_GROUP_SPAN:
            groups[-1].append(time)
        else:
            groups.append([time])
    return groups


def _grab_by_seeking(video: Path, groups: list[list[float]], size: tuple[int, int]) -> Frames:
    def one(group: list[float]) -> Frames:
        start = group[0]
        relative = _decode_once(video, [t - start for t in group], size, start=start, threads=1)
        return {round(t + start, 4): image for t, image in relative.items()}

    frames: Frames = {}
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        for found in pool.map(one, groups):
            frames.update(found)
    return {t: frames[t] for t in sorted(frames)}


def _decode_once(video: Path, times: list[float], size: tuple[int, int], start: float,
                 threads: int | None) -> Frames:
    """One ffmpeg process: ``select`` the first frame at or after each time, scale it, pipe raw BGR."""
    input_args: dict[str, Any] = {}
    if start > 0:
        input_args.update(ss=f"{start:.4f}", t=f"{times[-1] + 0.5:.4f}")
    if threads:
        input_args["threads"] = threads
    stream = (
        ffmpeg.input(str(video), **input_args)
        .video.filter("select", _select_expression(times))
        .filter("scale", size[0], size[1], force_original_aspect_ratio="disable")
        .filter("showinfo")
        .output("pipe:", format="rawvideo", pix_fmt="bgr24", fps_mode="passthrough")
    )
    images, stamps = _run_frames(stream, video, size, "cannot decode frames")
    return _match_times(times, images, stamps)


def _select_expression(times: list[float]) -> str:
    """Select the first frame whose time reaches each target (``prev_t`` is NaN on the first frame)."""
    terms = [f"gte(t,{t - _EPSILON:.4f})*not(gte(prev_t,{t - _EPSILON:.4f}))" for t in times]
    return "+".join(terms)


def _match_times(times: list[float], images: list[np.ndarray], stamps: list[float]) -> Frames:
    if len(stamps) != len(images):
        stamps = stamps[: len(images)]
    frames: Frames = {}
    index = 0
    for time in times:
        while index < len(stamps) and stamps[index] < time - _EPSILON:
            index += 1
        if index < len(stamps):
            frames[time] = images[index]
    return frames


def _run_frames(stream: Any, video: Path, size: tuple[int, int], what: str) -> tuple[list[np.ndarray], list[float]]:
    """Run a graph that writes raw BGR frames to stdout; return the frames and the showinfo times (if any)."""
    process = start(stream, video, what)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stderr.read()), daemon=True)
    reader.start()
    frame_bytes = size[0] * size[1] * 3
    images: list[np.ndarray] = []
    while True:
        data = process.stdout.read(frame_bytes)
        if len(data) < frame_bytes:
            break
        images.append(np.frombuffer(data, np.uint8).reshape(size[1], size[0], 3))
    code = process.wait()
    reader.join()
    stderr = b"".join(chunks).decode("utf-8", "replace")
    if code != 0:
        raise media_error(video, what, stderr)
    return images, [float(m[1]) for m in _PTS_TIME.finditer(stderr)]

