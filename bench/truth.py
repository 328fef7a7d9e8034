"""Ground truth for the real-footage set, computed without any of storyexport's own analysis.

Every frame of a clip is decoded once (ffmpeg, cropped to the picture rectangle known from the clip's construction,
scaled to about 270x480 worth of pixels, grey) and measured here: sharpness (variance of the Laplacian), mean and
99th-percentile luma, and dHash (so whether the clip has five distinct frames at all is known). A pick is judged
against those frames: its sharpness percentile, and flags for black (nothing in the picture reaches luma 32),
mid-fade, dip and mid-dissolve (from the construction's event times). Written images are judged as images: dHash
for distinctness, and the share of their area taken by black bars at the edges.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from storyexport.media.ffmpeg import ffmpeg_exe

ANALYSIS_AREA = 270 * 480
BLACK_P99 = 32  # a frame whose 99th-percentile luma is below this shows nothing (a night scene reaches 40+)
FADE_LEVEL = 0.9  # a fade or dip frame below 90 % of full brightness counts as mid-fade
DISSOLVE_EDGE = 0.1  # a cross-dissolve frame mixing more than 10 % of the other shot counts as mid-dissolve
BAR_P98, BAR_MEAN = 2, 1  # an edge row or column this dark is bar: padding is pure black (a night sky is not)
SEARCH_BUDGET = 2_000_000  # steps of the exact search for distinct frames before it gives up (answers "unknown")
_PTS = re.compile(r"pts_time:\s*(-?[\d.]+)")


@dataclass(frozen=True)
class Frames:
    """Per decoded frame: its time and measurements over the picture rectangle."""

    times: np.ndarray
    sharpness: np.ndarray
    mean_luma: np.ndarray
    p99_luma: np.ndarray
    hashes: tuple[int, ...] = ()  # each frame's dHash (picture area)

    def index(self, time: float) -> int:
        """The decoded frame shown at ``time`` (the last one starting at or before it, within half a frame)."""
        return int(np.argmin(np.abs(self.times - time)))

    def percentile(self, time: float) -> float:
        """Share of the clip's frames less sharp than the frame at ``time`` (ties count half), 0-100."""
        value = self.sharpness[self.index(time)]
        below = np.count_nonzero(self.sharpness < value) + 0.5 * np.count_nonzero(self.sharpness == value)
        return float(100.0 * below / len(self.sharpness))

    def spread(self) -> float:
        """How much the clip's frames differ in sharpness: (90th - 10th percentile) / median. On a flat clip
        (a fixed camera) a few percent separate the 50th from the 90th percentile."""
        low, median, high = np.percentile(self.sharpness, [10, 50, 90])
        return float((high - low) / max(median, 1e-9))


def analysis_shape(width: int, height: int) -> tuple[int, int]:
    scale = (ANALYSIS_AREA / (width * height)) ** 0.5
    return max(16, round(width * scale / 2) * 2), max(16, round(height * scale / 2) * 2)


def decode_frames(clip: Path, picture: list[int]) -> Frames:
    """Decode every frame of ``clip`` once, cropped to ``picture`` (x, y, w, h) and measured."""
    x, y, w, h = picture
    aw, ah = analysis_shape(w, h)
    argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(clip), "-an", "-vf",
            f"crop={w}:{h}:{x}:{y},scale={aw}:{ah}:flags=area,format=gray,showinfo",
            "-fps_mode", "passthrough", "-f", "rawvideo", "-"]
    done = subprocess.run(argv, capture_output=True, check=True)
    pixels = np.frombuffer(done.stdout, np.uint8).reshape(-1, ah, aw)
    times = np.array([float(t) for t in _PTS.findall(done.stderr.decode("utf-8", "replace"))])
    if len(times) != len(pixels):
        raise RuntimeError(f"{clip.name}: {len(pixels)} frames but {len(times)} timestamps")
    sharp = np.array([cv2.Laplacian(frame, cv2.CV_64F).var() for frame in pixels])
    flat = pixels.reshape(len(pixels), -1)
    return Frames(times, sharp, flat.mean(axis=1), np.percentile(flat, 99, axis=1),
                  tuple(dhash(frame) for frame in pixels))


def has_distinct_frames(frames: Frames, count: int, bits: int, gap: float) -> bool | None:
    """Whether ``count`` of the clip's frames (any of them, not just storyexport's candidates) differ pairwise by
    ``bits`` dHash bits of the picture area and ``gap`` seconds: an exact search (each frame as a bit set of
    the later frames it is distinct from), ``None`` when :data:`SEARCH_BUDGET` steps do not settle it."""
    hashes, times = frames.hashes, frames.times
    if not hashes:
        return None
    later = [sum(1 << j for j in range(i + 1, len(hashes))
                 if abs(times[j] - times[i]) >= gap and hamming(hashes[i], hashes[j]) >= bits)
             for i in range(len(hashes))]
    steps = 0

    def extend(allowed: int, chosen: int) -> bool | None:
        nonlocal steps
        if chosen == count:
            return True
        while allowed.bit_count() >= count - chosen:
            steps += 1
            if steps > SEARCH_BUDGET:
                return None
            index = (allowed & -allowed).bit_length() - 1
            allowed &= allowed - 1
            found = extend(allowed & later[index], chosen + 1)
            if found is not False:
                return found
        return False

    return extend((1 << len(hashes)) - 1, 0)


def _event_flag(event: dict[str, Any], time: float) -> str | None:
    start, end = event["start"], event["end"]
    if not start < time < end:
        return None
    progress = (time - start) / (end - start)
    kind = event["kind"]
    if kind == "dissolve":
        return "dissolve" if DISSOLVE_EDGE < progress < 1 - DISSOLVE_EDGE else None
    level = {"fade-in": progress, "fade-out": 1 - progress, "dip": abs(2 * progress - 1)}.get(kind)
    if level is None:
        return None
    return ("dip" if kind == "dip" else "fade") if level < FADE_LEVEL else None


def flags(frames: Frames, events: list[dict[str, Any]], time: float) -> list[str]:
    """What is wrong with the frame shown at ``time``: ``black``, ``fade``, ``dip``, ``dissolve`` (empty: clean)."""
    index = frames.index(time)
    shown = float(frames.times[index])
    found = {flag for event in events if (flag := _event_flag(event, shown))}
    if frames.p99_luma[index] < BLACK_P99:
        found.add("black")
    return sorted(found)


def read_grey(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise RuntimeError(f"{path}: not a readable image")
    return image


def dhash(image: np.ndarray) -> int:
    """64-bit difference hash: the image at 9x8, each bit 'right brighter than left'."""
    small = cv2.resize(image, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def min_pairwise_dhash(paths: list[Path]) -> int:
    """The smallest dHash distance between any two of the images (64 when fewer than two)."""
    hashes = [dhash(read_grey(p)) for p in paths]
    return min((hamming(a, b) for a, b in combinations(hashes, 2)), default=64)


def min_pairwise_gap(times: list[float]) -> float:
    ordered = sorted(times)
    return min((b - a for a, b in pairwise(ordered)), default=float("inf"))


def _bar_run(lines: np.ndarray) -> int:
    """How many of ``lines`` (rows from one edge inwards) are bar-dark before the picture starts."""
    dark = (np.percentile(lines, 98, axis=1) <= BAR_P98) & (lines.mean(axis=1) <= BAR_MEAN)
    return int(np.argmin(dark)) if not dark.all() else len(dark)


def bar_share(path: Path) -> float:
    """Share (0-1) of the image's area inside black bars running along its edges."""
    image = read_grey(path)
    height, width = image.shape
    top = _bar_run(image)
    bottom = _bar_run(image[::-1]) if top < height else 0
    left = _bar_run(image.T)
    right = _bar_run(image.T[::-1]) if left < width else 0
    inner = max(0, height - top - bottom) * max(0, width - left - right)
    return 1.0 - inner / (height * width)
