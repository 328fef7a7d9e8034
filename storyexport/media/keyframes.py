"""Keyframe listing and the decode cost model the frame plans are chosen by.

Decoding dominates the cost of a thumbnail set: a frame can only be decoded from the keyframe at or before it,
so a request costs the frames from each keyframe up to the last frame wanted after it, plus a fixed cost per
process and per stretch; one decode pass costs every frame of the video. Costs are CPU seconds, independent of
how many processes share the work, so the plan (and so every output) is the same whatever the core count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import ffmpeg

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import cpu_share, run
from storyexport.media.probe import Probe

PROCESS_COST = 0.035  # seconds: start ffmpeg, open, seek and decode one keyframe (measured, 1080x1920)
STRETCH_COST = 0.004  # seconds: one more stretch (concat segment) in a running process: seek and flush
PIXEL_COST = 1.0e-9  # seconds per decoded pixel on one thread (~2 ms per 1080x1920 frame)


def keyframe_times(video: Path) -> list[float]:
    """Times of the video's keyframes, read from packet flags: a stream copy drops every other packet and
    lists the rest (no decoding, a few tens of milliseconds even for minutes of video). ``-discard nokey``
    lets demuxers that know their index (MP4's sync-sample table) skip reading the other packets at all,
    halving the time; the bitstream filter drops them for demuxers that ignore it."""
    listing = ffmpeg.input(str(video), discard="nokey").output("pipe:", map="0:v:0", c="copy", f="framecrc",
                                                               **{"bsf:v": "noise=drop=not(key)"})
    text = run(listing, video, "cannot list keyframes").stdout.decode("utf-8", "replace")
    base = re.search(r"^#tb 0: (\d+)/(\d+)", text, re.M)
    if base is None:
        return []
    unit = int(base[1]) / int(base[2])
    times = {round(int(m[1]) * unit, 4) for m in re.finditer(r"^0,\s*-?\d+,\s*(-?\d+),", text, re.M)}
    return sorted(t for t in times if t >= 0)


def listed_keyframes(video: Path) -> list[float]:
    """:func:`keyframe_times`, or none when the container cannot list them (then only a decode pass is planned)."""
    try:
        return keyframe_times(video)
    except MediaError:
        return []


def parallel_workers() -> int:
    """ffmpeg processes or threads one frame request may run side by side (see :func:`cpu_share`)."""
    return max(1, min(4, cpu_share()))


def pass_cost(info: Probe) -> float:
    """Estimated CPU seconds of one decode pass over the whole video."""
    frames = info.duration * max(info.fps, 1.0)
    return PROCESS_COST + frames * info.width * info.height * PIXEL_COST


def stretches_cost(info: Probe, stretches: Mapping[float, int]) -> float:
    """Estimated CPU seconds of decoding ``stretches`` (keyframe -> frames decoded from it) in a couple of
    processes."""
    if not stretches:
        return 0.0
    frames = sum(stretches.values())
    return 2 * PROCESS_COST + len(stretches) * STRETCH_COST + frames * info.width * info.height * PIXEL_COST


def stretches_may_pay(info: Probe, candidates: int) -> bool:
    """Listing keyframes costs a process: worth it only when the cheapest stretches thinkable (each candidate
    and its two neighbours from a keyframe of their own) would beat one decode pass."""
    return stretches_cost(info, {float(i): 3 for i in range(candidates)}) < pass_cost(info)
