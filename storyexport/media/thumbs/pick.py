"""Step 4: the best frame and the options, shot by shot.

Shots are found among the candidates as PySceneDetect's content detector finds cuts: the mean HSV difference
between consecutive candidates' pictures. Options are picked greedily under rules that relax level by level
(distance in time, visual difference, then imperfect frames); every level keeps what the stricter ones
picked and offers first the best frame of each shot not yet shown, then the rest by score. Only a video
without enough visibly different usable frames repeats picks, and the note says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storyexport.media.scores import (
    IMPERFECT,
    UNUSABLE,
    Candidate,
    hamming,
    histogram_distance,
    hsv_distance,
    ranked,
    score_candidates,
    to_hsv,
)
from storyexport.media.thumbs.measure import Measured

SHOT_HSV = 27.0  # PySceneDetect ContentDetector's default threshold: a new shot starts at least this far away
MIN_GAP = 0.5  # seconds: options closer than this are never both shown while others exist
FACE_LEADERS = 4  # combined: the leading clean candidates whose faces are counted before picking (the cascade
# is the costliest metric, and a face adds at most 0.1: frames far behind cannot overtake with one)


@dataclass(frozen=True)
class Level:
    """One set of option rules: the share of duration / (2 * count) options keep apart (at least MIN_GAP once
    relaxed), the dHash bits of the written thumbnails they must differ by, whether they must also differ
    clearly (dHash >= 12 or HSV histogram distance >= 0.2), and which frames may be shown."""

    gap_share: float
    bits: int
    clearly: bool
    allowed: tuple[str | None, ...]


_CLEAN: tuple[str | None, ...] = (None,)
DISTINCT_BITS = 10  # options differ by this many dHash bits while the video allows, then by at least
LOOK_ALIKE_BITS = 9  # ... this (8, the usual bar, and one spare), below which options count as look-alikes (noted)
LEVELS = (
    Level(1.0, DISTINCT_BITS, True, _CLEAN),
    Level(1.0, DISTINCT_BITS, False, _CLEAN),
    Level(1.0, LOOK_ALIKE_BITS, False, _CLEAN),
    Level(0.5, LOOK_ALIKE_BITS, False, _CLEAN),
    Level(0.0, LOOK_ALIKE_BITS, False, _CLEAN),
    Level(0.0, LOOK_ALIKE_BITS, False, (*_CLEAN, *IMPERFECT)),
    Level(0.0, 1, False, (*_CLEAN, *IMPERFECT)),
    Level(0.0, 0, False, (*_CLEAN, *IMPERFECT)),
)
_LAST_RESORT = Level(0.0, 0, False, UNUSABLE)  # black or uniform frames: only when nothing else was found


@dataclass(frozen=True)
class Picks:
    """The best frame, the options and why they are less than ideal (``None`` when they are not)."""

    best: Candidate
    options: list[Candidate]
    fallback: bool
    note: str | None


def mark_shots(measured: Measured) -> int:
    """Number each candidate's shot (``Candidate.shot``); returns how many shots there are."""
    shot, previous = 0, None
    for candidate in measured.candidates:
        hsv = to_hsv(measured.area.crop(measured.frames[candidate.timestamp]))
        if previous is not None and hsv_distance(previous, hsv) >= SHOT_HSV:
            shot += 1
        candidate.shot, previous = shot, hsv
    return shot + 1


def pick(measured: Measured, count: int, duration: float, method: str) -> Picks:
    """The best frame and ``count`` options; picks not yet examined for faces are examined (which may move a
    crop window and re-score every candidate), so the picks are made again until every one was."""
    score_candidates(measured.candidates, method)
    if method == "combined":
        for candidate in [c for c in ranked(measured.candidates) if c.rejected is None][:FACE_LEADERS]:
            measured.remeasure_on_faces(candidate)
    while True:
        score_candidates(measured.candidates, method)
        order = ranked(measured.candidates)
        options, note = pick_options(order, count, duration)
        pending = [c for c in [order[0], *options] if c.metrics.get("faces") is None]
        if not pending:
            break
        for candidate in pending:
            measured.remeasure_on_faces(candidate)
    best = order[0]
    fallback = best.rejected is not None
    if fallback:
        note = f"every candidate was rejected ({_reasons(measured.candidates)}): ranked by score, flaws last"
    return Picks(best, options, fallback, note)


def pick_options(order: Sequence[Candidate], count: int, duration: float) -> tuple[list[Candidate], str | None]:
    """``count`` picks from ``order`` (best first), relaxing the rules level by level but keeping every pick;
    repeated (with a note) only when the video has fewer distinct frames."""
    if count <= 0:
        return [], None
    picks: list[Candidate] = []
    relaxed = False
    visible = any(c.rejected not in UNUSABLE for c in order)
    for level in LEVELS if visible else (*LEVELS, _LAST_RESORT):
        gap = max(MIN_GAP if level.gap_share < 1.0 else 0.0, level.gap_share * duration / (2 * count))
        before = len(picks)
        for candidate in _shots_first([c for c in order if c.rejected in level.allowed and c not in picks]):
            if len(picks) == count:
                break
            if all(_distinct(candidate, other, gap, level) for other in picks):
                picks.append(candidate)
        relaxed = relaxed or (level.bits < LOOK_ALIKE_BITS and len(picks) > before)
    if len(picks) < count:
        distinct = len(picks)
        picks = [picks[i % len(picks)] for i in range(count)]
        return picks, f"only {distinct} usable frames in the video: options repeat"
    return picks, "too few visibly different frames: some options look alike" if relaxed else None


def _shots_first(pool: list[Candidate]) -> list[Candidate]:
    """The best candidate of each shot (in score order), then the rest in score order."""
    seen: set[int] = set()
    leaders = []
    for candidate in pool:
        if candidate.shot not in seen:
            seen.add(candidate.shot)
            leaders.append(candidate)
    return leaders + [c for c in pool if c not in leaders]


def _distinct(a: Candidate, b: Candidate, gap: float, level: Level) -> bool:
    if a.timestamp == b.timestamp or abs(a.timestamp - b.timestamp) < gap:
        return False
    bits = hamming(a.dhash, b.dhash)
    if bits < level.bits:
        return False
    return not level.clearly or bits >= 12 or (a.histogram is not None and b.histogram is not None
                                               and histogram_distance(a.histogram, b.histogram) >= 0.2)


def _reasons(candidates: Sequence[Candidate]) -> str:
    counts: dict[str, int] = {}
    for candidate in candidates:
        counts[str(candidate.rejected)] = counts.get(str(candidate.rejected), 0) + 1
    return ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))


