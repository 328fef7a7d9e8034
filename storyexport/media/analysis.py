"""Choosing frames: plan candidate times, grab them small (with neighbours at +-0.2 s), reject and score them."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.frames import (
    Frames,
    Moment,
    grab,
    grab_anchored_full,
    grab_moments,
    parallel_workers,
    to_bgr,
)
from storyexport.media.probe import Probe
from storyexport.media.scores import (
    Candidate,
    count_faces,
    dhash,
    frame_metrics,
    hsv_histogram,
    ranked,
    rejection,
    score_candidates,
)

EDGE = 0.07  # skip the first and last 7 % (titles, fades), as vcsi does
NEIGHBOUR = 0.2
FACE_LEADERS = 8  # usable candidates, best first, whose faces are counted (the cascade is the costliest metric)


@dataclass
class Analysis:
    """Candidates in time order; the small frames they were measured on (reused for contact sheets) and the
    native-size frames of every candidate and extra time (so the winners need no second decode)."""

    candidates: list[Candidate]
    frames: Frames
    full: Frames
    video: Path
    info: Probe
    method: str = "combined"
    anchors: dict[float, tuple[float, int]] = field(default_factory=dict)  # see :attr:`Moment.anchor`

    def full_frame(self, timestamp: float) -> np.ndarray:
        self.fetch_full([timestamp])
        return to_bgr(self.full[timestamp])

    def fetch_full(self, times: Sequence[float]) -> None:
        """Seek for full-size frames not kept yet (anchored candidates, or over the decode pass's memory budget),
        all at once: anchored candidates from their keyframe, the others exactly."""
        missing = sorted({t for t in times if t not in self.full})
        anchored = {t: self.anchors[t] for t in missing if t in self.anchors}
        if anchored:
            self.full.update(grab_anchored_full(self.video, self.info, anchored))
            missing = [t for t in missing if t not in self.full]
        if missing:
            found = grab(self.video, self.info, full_times=missing).full
            lost = [t for t in missing if t not in found]
            if lost:
                raise MediaError(f"{self.video.name}: no frame at {lost[0]:.2f} s")
            self.full.update(found)

    def examine_faces(self, candidates: Sequence[Candidate]) -> bool:
        """Count faces on those of ``candidates`` not yet examined and re-score every candidate; ``True`` if
        any was examined (the ranking may then have changed)."""
        pending = [c for c in candidates if c.metrics.get("faces") is None]
        if not pending:
            return False
        for candidate in pending:
            candidate.metrics["faces"] = float(count_faces(cv2.cvtColor(self.frames[candidate.timestamp],
                                                                        cv2.COLOR_BGR2GRAY)))
        score_candidates(self.candidates, self.method)
        return True

    def examine_leaders(self) -> None:
        """Faces on the leading usable candidates, for ``combined`` (the only method they count in; the picks
        are examined in any case, see :meth:`examine_faces`)."""
        if self.method == "combined":
            self.examine_faces(ranked(self.candidates)[:FACE_LEADERS])

    def nearest_times(self, times: Sequence[float]) -> list[float]:
        """The analysed candidate closest to each time (candidates may sit on keyframes, not exactly there)."""
        return [min(self.candidates, key=lambda c: (abs(c.timestamp - t), c.timestamp)).timestamp for t in times]


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


def analyse(video: Path, info: Probe, times: Sequence[float], method: str,
            extra_full: Sequence[float] = ()) -> Analysis:
    """Grab candidates near ``times`` (small, with neighbours, and full size) plus full-size frames at exactly
    ``extra_full``, in as few decodes as the count allows; then reject and score every candidate.

    Measuring starts while ffmpeg still decodes (OpenCV releases the GIL); an early measurement is used only
    if it was taken on exactly the frame the finished grab assigns to that candidate."""
    offset = min(NEIGHBOUR, info.duration / 20)
    limit = last_frame_time(info)
    centres = sorted({round(min(max(0.0, t), limit), 4) for t in times})
    early: dict[float, tuple[np.ndarray, Future[Features]]] = {}
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:

        def measure_early(time: float, image: np.ndarray) -> None:
            early[time] = (image, pool.submit(_features, image))

        moments, extra = grab_moments(video, info, centres, offset, [round(t, 4) for t in extra_full],
                                      measure_early)
        if not moments:
            raise MediaError(f"{video.name}: no frames could be decoded")
        missing = [t for t in extra_full if round(t, 4) not in extra]
        if missing:
            raise MediaError(f"{video.name}: no frame at {missing[0]:.2f} s")
        features = [_early_or_fresh(early.get(m.time), m, pool) for m in moments]
        candidates = [_candidate(m, f.result()) for m, f in zip(moments, features, strict=True)]
    score_candidates(candidates, method)
    kept = {m.time: m.full for m in moments if m.full is not None}
    result = Analysis(candidates=candidates, frames={m.time: m.small for m in moments}, full={**kept, **extra},
                      video=video, info=info, method=method,
                      anchors={m.time: m.anchor for m in moments if m.anchor is not None})
    result.examine_leaders()
    return result


Features = tuple[dict[str, float | None], int, np.ndarray]


def _features(image: np.ndarray) -> Features:
    """The cheap measures of a candidate's own frame: metrics (faces left ``None``, see
    :meth:`Analysis.examine_faces`), dHash, HSV histogram."""
    metrics: dict[str, float | None] = {**frame_metrics(image, faces=False), "faces": None}
    return metrics, dhash(image), hsv_histogram(image)


def _early_or_fresh(early: tuple[np.ndarray, Future[Features]] | None, moment: Moment,
                    pool: ThreadPoolExecutor) -> Future[Features]:
    if early is not None and np.array_equal(early[0], moment.small):
        return early[1]
    return pool.submit(_features, moment.small)


def _candidate(moment: Moment, features: Features) -> Candidate:
    """Rejection needs the neighbours; a rejected frame's faces count 0 (it is never shown)."""
    metrics, frame_hash, histogram = dict(features[0]), features[1], features[2]
    rejected = rejection(metrics, moment.small, moment.before, moment.after)  # type: ignore[arg-type]
    if rejected:
        metrics["faces"] = 0.0
    return Candidate(timestamp=moment.time, metrics=metrics, rejected=rejected, dhash=frame_hash,
                     histogram=histogram)


def fallback_pick(candidates: list[Candidate]) -> Candidate:
    """When every frame is rejected: the brightest one that is not black, else simply the brightest."""
    usable = [c for c in candidates if c.rejected != "black"] or candidates
    return max(usable, key=lambda c: (c.metrics["brightness"], -c.timestamp))
