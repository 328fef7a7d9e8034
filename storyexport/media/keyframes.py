"""Keyframe listing and the decode cost model the frame plans are chosen by.

Decoding dominates the cost of a thumbnail set: a frame can only be decoded from the keyframe at or before it,
so a request costs the frames from each keyframe up to the last frame wanted after it, plus a fixed cost per
process and per stretch; one decode pass costs every frame of the video. A frame costs its pixels (motion
compensation, deblocking) and its compressed bytes (entropy decoding): a keyframe is several times the bytes of
an inter frame, so stretches, which always decode their keyframe, cost more than their frame count says (on a
768x576 H.264 clip with a keyframe every 2 s, 40 keyframes were 30 % of a whole decode). Costs are CPU seconds,
independent of how many processes share the work, so the plan (and so every output) is the same whatever the
core count.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import cpu_share
from storyexport.media.libav import Source
from storyexport.media.probe import Probe

PROCESS_COST = 0.01  # seconds: open the file and start a decoder (measured: 7 ms for an MP4)
STRETCH_COST = 0.002  # seconds: one more stretch in an open file (seek, flush, frames a decoder holds back)
PIXEL_COST = 1.4e-9  # seconds per decoded pixel on one thread (~3 ms per 1080x1920 frame)
BYTE_COST = 7e-8  # seconds per compressed byte decoded (H.264, one thread: 0.07 s per MB)
SPLIT_WORTH = 0.1  # CPU seconds: a cheaper pass is not cut into parts (each opens the file and seeks)
_SAME_TIME = 1e-4  # seconds: keyframe times are rounded to 4 decimals


@dataclass(frozen=True)
class Keyframes:
    """The keyframes' times (from the file's start) and compressed sizes (bytes), and the mean size of the
    other frames."""

    sizes: dict[float, int]
    inter_bytes: float

    @property
    def times(self) -> list[float]:
        return sorted(self.sizes)

    def mean_key_bytes(self) -> float:
        return sum(self.sizes.values()) / max(1, len(self.sizes))


def keyframe_times(video: Path) -> list[float]:
    """Times of the video's keyframes (see :func:`keyframe_sizes`)."""
    return sorted(keyframe_sizes(video))


def keyframe_sizes(video: Path) -> dict[float, int]:
    """Time -> compressed bytes of the video's keyframes, read from packet flags (no decoding: a few
    milliseconds per thousand frames). Times are presentation times from the file's start, as every frame time
    is counted (with B-frames a packet's decoding time is not its frame's time)."""
    sizes: dict[float, int] = {}
    with Source(video) as source:
        for time, size in source.keyframes():
            keyed = round(time, 4)
            if keyed >= 0:
                sizes[keyed] = sizes.get(keyed, 0) + size  # a keyframe may come in several packets
    return dict(sorted(sizes.items()))


def listed_keyframes(video: Path, info: Probe) -> Keyframes | None:
    """:func:`keyframe_sizes` with the other frames' mean size (from the file's size, audio included: a slight
    overestimate), or ``None`` when the container cannot list them (then only a decode pass is planned)."""
    try:
        sizes = keyframe_sizes(video)
    except MediaError:
        return None
    if not sizes:
        return None
    others = max(1.0, info.duration * max(info.fps, 1.0) - len(sizes))
    return Keyframes(sizes, max(0.0, info.size - sum(sizes.values())) / others)


def parallel_workers() -> int:
    """ffmpeg processes or threads one frame request may run side by side (see :func:`cpu_share`)."""
    return max(1, min(4, cpu_share()))


def pass_cost(info: Probe) -> float:
    """Estimated CPU seconds of one decode pass over the whole video."""
    frames = info.duration * max(info.fps, 1.0)
    return PROCESS_COST + frames * info.width * info.height * PIXEL_COST + info.size * BYTE_COST


def stretches_cost(info: Probe, stretches: Mapping[float, int], keys: Keyframes | None = None) -> float:
    """Estimated CPU seconds of decoding ``stretches`` (keyframe -> frames decoded from it) in a couple of
    processes; ``keys``: their compressed sizes (a keyframe missing from it counts as their mean), without
    which the bytes are left out (a lower bound)."""
    if not stretches:
        return 0.0
    frames = sum(stretches.values())
    cost = 2 * PROCESS_COST + len(stretches) * STRETCH_COST + frames * info.width * info.height * PIXEL_COST
    if keys is not None:
        cost += BYTE_COST * sum(_stretch_bytes(keys, k, n, info.fps) for k, n in stretches.items())
    return cost


def _stretch_bytes(keys: Keyframes, start: float, frames: int, fps: float) -> float:
    """Compressed bytes of ``frames`` frames decoded from the keyframe at ``start``: a stretch reaching past
    the next keyframe decodes that keyframe too, at a keyframe's size (a wide neighbour one GOP on often does)."""
    times = keys.times
    end = start + (frames - 1) / max(fps, 1.0)
    inner = times[bisect.bisect_right(times, start + _SAME_TIME):bisect.bisect_right(times, end + _SAME_TIME)]
    return keys.sizes.get(start, keys.mean_key_bytes()) + sum(keys.sizes[t] for t in inner) + \
        max(0, frames - 1 - len(inner)) * keys.inter_bytes


def stretches_may_pay(info: Probe, candidates: int) -> bool:
    """Listing keyframes costs a process: worth it only when the cheapest stretches thinkable (each candidate
    and its two neighbours from a keyframe of their own, bytes left out) would beat one decode pass."""
    return stretches_cost(info, {float(i): 3 for i in range(candidates)}) < pass_cost(info)


def splitting_pays(info: Probe) -> bool:
    """Whether a decode pass is long enough to be cut into parts decoded side by side (listing the keyframes
    to cut at costs reading the file's packets)."""
    return pass_cost(info) >= SPLIT_WORTH
