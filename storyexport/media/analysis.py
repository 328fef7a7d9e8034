"""Choosing frames: plan candidate times, grab them small (with neighbours at +-0.2 s), reject and score them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.frames import Frames, grab_small
from storyexport.media.probe import Probe
from storyexport.media.scores import Candidate, dhash, frame_metrics, hsv_histogram, rejection, score_candidates

EDGE = 0.07  # skip the first and last 7 % (titles, fades), as vcsi does
NEIGHBOUR = 0.2


@dataclass
class Analysis:
    """Candidates in time order, with the small frames they were measured on (reused for contact sheets)."""

    candidates: list[Candidate]
    frames: Frames

    def candidate_at(self, timestamp: float) -> Candidate:
        return min(self.candidates, key=lambda c: abs(c.timestamp - timestamp))


def spread_times(duration: float, count: int) -> list[float]:
    """``count`` evenly spaced times between 7 % and 93 % of ``duration`` (the middle for one)."""
    if count <= 0:
        return []
    if count == 1:
        return [round(duration / 2, 4)]
    span = duration * (1 - 2 * EDGE)
    return [round(duration * EDGE + span * i / (count - 1), 4) for i in range(count)]


def resolve_timestamp(value: float | str, info: Probe, video: Path) -> float:
    """Seconds (``2``, ``"0.5"``) or a share of the duration (``"25%"``), clamped to the last frame."""
    try:
        text = str(value).strip()
        seconds = float(text[:-1]) / 100 * info.duration if text.endswith("%") else float(text)
    except ValueError:
        raise MediaError(f"{video.name}: bad thumbnail timestamp {value!r} (use seconds or a share like '25%')") \
            from None
    return round(min(max(0.0, seconds), last_frame_time(info)), 4)


def last_frame_time(info: Probe) -> float:
    return max(0.0, info.duration - 2.0 / max(info.fps, 1.0))


def analyse(video: Path, info: Probe, times: Sequence[float], method: str) -> Analysis:
    """Grab each time and its neighbours in as few decodes as the frame count allows, then score all."""
    offset = min(NEIGHBOUR, info.duration / 20)
    limit = last_frame_time(info)
    centres = sorted({round(min(max(0.0, t), limit), 4) for t in times})
    wanted = {round(max(0.0, t + d), 4) for t in centres for d in (-offset, 0.0, offset) if t + d <= limit}
    frames = grab_small(video, info, sorted(wanted | set(centres)))
    candidates = [_measure(t, frames, offset) for t in centres if t in frames]
    if not candidates:
        raise MediaError(f"{video.name}: no frames could be decoded")
    score_candidates(candidates, method)
    return Analysis(candidates=candidates, frames=frames)


def _measure(time: float, frames: Frames, offset: float) -> Candidate:
    image = frames[time]
    metrics = frame_metrics(image)
    before = frames.get(round(time - offset, 4)) if time - offset >= 0 else None
    after = frames.get(round(time + offset, 4))
    return Candidate(
        timestamp=time,
        metrics=metrics,
        rejected=rejection(metrics, image, before, after),
        dhash=dhash(image),
        histogram=hsv_histogram(image),
    )


def fallback_pick(candidates: list[Candidate]) -> Candidate:
    """When every frame is rejected: the brightest one that is not black, else simply the brightest."""
    usable = [c for c in candidates if c.rejected != "black"] or candidates
    return max(usable, key=lambda c: (c.metrics["brightness"], -c.timestamp))


def small_copy(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
