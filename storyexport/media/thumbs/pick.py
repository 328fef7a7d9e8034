"""Step 4: the best frame and the options, shot by shot.

Shots are found among the candidates as PySceneDetect's content detector finds cuts: the mean HSV difference
between consecutive candidates' pictures. Options are picked greedily under rules that relax level by level
(distance in time, visual difference, then imperfect frames); every level keeps what the stricter ones
picked and offers first the best frame of each shot not yet shown, then the rest by score. When taking them in
that order leaves a level without time spacing (beyond MIN_GAP) short, a search finds the first set in that
order that meets it (a high-scoring pick can block the only way to five distinct ones: a static camera's frames
differ in a few places), keeping earlier picks unless that leaves no way to the count; so below the look-alike
bar the options are the most different the candidates allow, bit by bit. Only a video
without enough visibly different usable frames repeats picks or shows look-alikes, and the note says why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

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
from storyexport.media.thumbs.fit import Window
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
LOOK_ALIKE_BITS = 9  # ... this (8, the usual bar, and one spare: options are hashed as written, but the JPEG can
# still move a cell of the 8-bit 9x8 copy across a rounding step), below which options count as look-alikes
SEARCH_BUDGET = 20_000  # subsets a level's search may try (a fixed count: the same picks on any machine)
LEVELS = (
    Level(1.0, DISTINCT_BITS, True, _CLEAN),
    Level(1.0, DISTINCT_BITS, False, _CLEAN),
    Level(1.0, LOOK_ALIKE_BITS, False, _CLEAN),
    Level(0.5, LOOK_ALIKE_BITS, False, _CLEAN),
    Level(0.0, LOOK_ALIKE_BITS, False, _CLEAN),
    *(Level(0.0, bits, False, _CLEAN) for bits in range(LOOK_ALIKE_BITS - 1, 0, -1)),  # look-alikes: clean first
    *(Level(0.0, bits, False, (*_CLEAN, *IMPERFECT)) for bits in range(LOOK_ALIKE_BITS, -1, -1)),
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


def pick(measured: Measured, count: int, duration: float, method: str,
         as_written: Callable[[Sequence[Candidate]], None] | None = None) -> Picks:
    """The best frame and ``count`` options; picks not yet examined for faces are examined (which may move a
    crop window and re-score every candidate), and options not yet hashed on their thumbnail as written are
    hashed by ``as_written`` (which may show two as less alike or more than the small frames did), so the
    picks are made again until every one was."""
    score_candidates(measured.candidates, method)
    if method == "combined":
        for candidate in [c for c in ranked(measured.candidates) if c.rejected is None][:FACE_LEADERS]:
            measured.remeasure_on_faces(candidate)
    hashed: set[tuple[float, Window | None]] = set()  # options hashed as written, with the window they were
    while True:
        score_candidates(measured.candidates, method)
        order = ranked(measured.candidates)
        options, note = pick_options(order, count, duration)
        pending = [c for c in [order[0], *options] if c.metrics.get("faces") is None]
        for candidate in pending:
            measured.remeasure_on_faces(candidate)
        unhashed = [c for c in options if (c.timestamp, c.window) not in hashed] if as_written else []
        if unhashed and as_written is not None:
            as_written(unhashed)
            hashed.update((c.timestamp, c.window) for c in unhashed)
        if not pending and not unhashed:
            break
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
    edges = _beside_transitions(order)
    for level in LEVELS if visible else (*LEVELS, _LAST_RESORT):
        if len(picks) == count:
            break
        gap = max(MIN_GAP if level.gap_share < 1.0 else 0.0, level.gap_share * duration / (2 * count))
        pool = _shots_first([c for c in order if c.rejected in level.allowed and c not in picks])
        if level.bits < LOOK_ALIKE_BITS and level.allowed == _CLEAN:  # beside a fade or dissolve, a frame may
            pool = [c for c in pool if c not in edges]  # carry its last traces: not the way to a look-alike set
        before = len(picks)
        picks = _completed(picks, pool, count, partial(_distinct, gap=gap, level=level),
                           search=level.gap_share == 0.0)
        relaxed = relaxed or (level.bits < LOOK_ALIKE_BITS and len(picks) > before)
    if len(picks) < count:
        distinct = len(picks)
        picks = [picks[i % len(picks)] for i in range(count)]
        return picks, f"only {distinct} usable frames in the video: options repeat"
    if not relaxed:
        return picks, None
    least = min(hamming(a.dhash, b.dhash) for i, a in enumerate(picks) for b in picks[i + 1:])
    return picks, (f"too few visibly different frames: some options look alike (no {count} usable candidates "
                   f"differ by {LOOK_ALIKE_BITS} dHash bits; these, the most different found, by {least} or more)")


def _completed(kept: list[Candidate], pool: list[Candidate], count: int,
               distinct: Callable[[Candidate, Candidate], bool], search: bool) -> list[Candidate]:
    """``kept`` extended from ``pool`` (in order) to ``count`` picks that are pairwise ``distinct``, taken in
    order; when that leaves them short and ``search`` is on, the first such set in the order ``kept`` then
    ``pool`` (so every earlier pick stays unless keeping it leaves no way to the count; the latest give way
    first). Otherwise the picks taken in order."""
    greedy = list(kept)
    for candidate in pool:
        if len(greedy) == count:
            break
        if all(distinct(candidate, other) for other in greedy):
            greedy.append(candidate)
    if len(greedy) == count or not search:
        return greedy
    sequence = [*kept, *pool]
    found = _first_clique(_compatible(sequence, distinct), count)
    return [sequence[i] for i in found] if found is not None else greedy


def _beside_transitions(candidates: Sequence[Candidate]) -> set[Candidate]:
    """Clean candidates next (in time) to one flagged as a fade or dissolve."""
    by_time = sorted(candidates, key=lambda c: c.timestamp)
    return {c for i, c in enumerate(by_time) if c.rejected is None
            and any(n.rejected in IMPERFECT for n in (*by_time[max(0, i - 1):i], *by_time[i + 1:i + 2]))}


def _compatible(items: list[Candidate], distinct: Callable[[Candidate, Candidate], bool]) -> list[int]:
    """For each item, the bits of the later items it is distinct from."""
    return [sum(1 << j for j in range(i + 1, len(items)) if distinct(a, items[j])) for i, a in enumerate(items)]


def _first_clique(compatible: list[int], count: int) -> list[int] | None:
    """The lexicographically first ``count`` indices that are pairwise compatible (``compatible[i]``: bits of the
    later indices compatible with ``i``), or ``None`` when there is none or :data:`SEARCH_BUDGET` runs out."""
    tried = 0

    def search(allowed: int, chosen: list[int]) -> list[int] | None:
        nonlocal tried
        if len(chosen) == count:
            return chosen
        while allowed.bit_count() >= count - len(chosen):
            tried += 1
            if tried > SEARCH_BUDGET:
                return None
            index = (allowed & -allowed).bit_length() - 1
            allowed &= allowed - 1
            found = search(allowed & compatible[index], [*chosen, index])
            if found is not None:
                return found
        return None

    return search((1 << len(compatible)) - 1, [])


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


