"""Step 1: which frames to decode for the candidates, and the one strategy chooser.

Candidates are spread evenly over the video between the start and end guards. Each comes with two neighbours
``offset`` seconds either side, so the measure step can tell a dissolve or fade (a blend of its neighbours)
from a clean frame. Two strategies, chosen by the estimated cost (see :mod:`storyexport.media.keyframes`):

* ``pass``: one decode pass serves every frame exactly (the only choice when keyframes cannot be listed, the
  frame rate varies, or keyframes are too sparse for anything else to pay); a long pass is cut at keyframes
  into parts decoded side by side (``splits``);
* ``stretches``: each wanted frame is counted from the keyframe at or before it, and every keyframe's frames come
  from one stretch decoded from it (a seek in a file kept open, see :meth:`FrameDecoder.seek`). A candidate
  moves to ``offset`` after a nearby keyframe when one is within half the candidates' spacing (its earlier
  neighbour is then the keyframe itself, the cheapest frame there is), otherwise it stays at its time and is
  decoded exactly. The guards are applied after this move, and a keyframe carries one candidate at most (a
  second costs as much again for a near-duplicate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal, NamedTuple

from storyexport.media.errors import MediaError
from storyexport.media.frames import key
from storyexport.media.keyframes import (
    Keyframes,
    listed_keyframes,
    pass_cost,
    splitting_pays,
    stretches_cost,
    stretches_may_pay,
)
from storyexport.media.probe import Probe

EDGE = 0.07  # skip the first and last 7 % (titles, fades), as vcsi does
NEIGHBOUR = 0.5  # seconds: a dissolve frame is a blend of the frames this far either side
STRETCH_SAVING = 0.85  # stretches only at most this share of a pass's cost (the estimates are rough)
NARROW_NEIGHBOUR = 0.2  # closer neighbours (fades and dissolves are told less surely), only when they cost
NARROW_SAVING = 0.8  # ... at most this share of the cheapest plan with NEIGHBOUR
MIN_SHARE = 0.4  # candidates placed on keyframes must be at least this share of those asked for,
MAX_HOLE = 2.5  # ... and leave no stretch longer than this many spacings without one
FLANK = 1  # frames either side of a candidate also measured: it becomes the sharpest of them (B-frames are
# often softer than the frame beside them, motion blur comes and goes, and a percentile counts every frame; in a
# reference-only pass, the reference frames beside it)
PASS_PARTS = 4  # a pass is cut at keyframes into up to this many parts decoded side by side: one decoder keeps
# ~1.4 of 2 cores busy (its frame threads wait on each other), parts keep them all busy (vtest, keyframes 10 s
# apart: the pass 0.66 s -> 0.51 s). A fixed count, not the cores': the frames are the same anyway, the work too.
WINNERS = 8  # full-size frames fetched after picking (best, options, a spare) when the decode kept none
FULL_FRAME_BUDGET = 256 * 1024 * 1024  # bytes of full-size candidate frames a decode may keep
NON_REFERENCE_CODECS = frozenset({"h264", "hevc", "mpeg4", "mpeg2video", "mpeg1video"})
_EPSILON = 0.0005


@dataclass(frozen=True)
class Slot:
    """A frame as counted from a keyframe: the ``index``-th frame at or after ``keyframe``."""

    keyframe: float
    index: int

    def time(self, fps: float) -> float:
        """The frame's time at a constant ``fps``."""
        return key(self.keyframe + self.index / fps)


class Stride(NamedTuple):
    """How far a candidate's neighbours are from it: a whole number of ``frames``, that is ``seconds``."""

    frames: int
    seconds: float

    @classmethod
    def of(cls, offset: float, fps: float) -> Stride:
        """The nearest whole number of frames to ``offset`` seconds (at least one)."""
        frames = max(1, round(offset * fps))
        return cls(frames, frames / fps)


class Neighbours(NamedTuple):
    """A candidate's frame (``centre``) with the frames a stride before and after it (``None`` off the video)."""

    before: Slot | None
    centre: Slot
    after: Slot | None


class Guards(NamedTuple):
    """The start and end guards: candidates lie from ``first`` to ``last`` (both included)."""

    first: float
    last: float

    def hold(self, time: float) -> bool:
        return self.first <= time <= self.last


Strategy = Literal["pass", "stretches"]


@dataclass(frozen=True)
class Plan:
    """``centres``: the candidates' times; ``before``/``after``: each centre's neighbour times (``None`` off the
    video's ends); ``slots``: with ``stretches``, every wanted time's frame counted from its keyframe."""

    strategy: Strategy
    offset: float
    centres: tuple[float, ...]
    before: dict[float, float | None]
    after: dict[float, float | None]
    slots: dict[float, Slot] = field(default_factory=dict)
    fps: float = 30.0
    cost: float = 0.0
    keep_full: bool = True  # the decode keeps the candidates' full-size frames (see :func:`keeps_full`)
    reference_only: bool = False  # a pass may skip non-reference frames (see :func:`skips_non_reference`)
    flankers: dict[float, tuple[float, ...]] = field(default_factory=dict)  # the frames right beside each centre
    splits: tuple[float, ...] = ()  # a pass: keyframes it is cut at (see :meth:`FrameDecoder.decode`)

    def small_times(self) -> list[float]:
        wanted = set(self.centres) | {t for t in (*self.before.values(), *self.after.values()) if t is not None}
        return sorted(wanted | set(self.full_times()))

    def full_times(self) -> list[float]:
        """The frames that may become a candidate (each centre and its flankers): kept at full size too when
        :attr:`keep_full`."""
        return sorted(set(self.centres) | {t for times in self.flankers.values() for t in times})


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


def plan_candidates(video: Path, info: Probe, count: int, extras: Sequence[float] = ()) -> Plan:
    """The cheapest plan for ``count`` candidates (plus full-size frames at ``extras``): a decode pass, or
    stretches from keyframes with wide or (when clearly cheaper) narrow neighbours."""
    ideal = [min(t, last_frame_time(info)) for t in spread_times(info.duration, count)]
    whole = _pass_plan(info, ideal, min(NEIGHBOUR, info.duration / 20), skips_non_reference(info))
    may_stretch = not info.variable_fps and info.fps > 0 and stretches_may_pay(info, len(ideal))
    keys = listed_keyframes(video, info) if may_stretch or splitting_pays(info) else None
    if keys is None:
        return whole
    whole = replace(whole, splits=pass_splits(keys.times, whole.small_times()))
    if not may_stretch:
        return whole
    wide = _stretch_plan(info, keys, ideal, min(NEIGHBOUR, info.duration / 20), extras)
    narrow = _stretch_plan(info, keys, ideal, min(NARROW_NEIGHBOUR, info.duration / 20), extras)
    wide_best = wide if wide.cost <= STRETCH_SAVING * whole.cost else whole
    return narrow if narrow.cost <= NARROW_SAVING * wide_best.cost else wide_best


def pass_splits(keys: Sequence[float], times: Sequence[float]) -> tuple[float, ...]:
    """Keyframes cutting a pass over ``times`` into up to :data:`PASS_PARTS` parts of about equal length: the
    keyframe nearest each equal division of the times' span (a part decodes from its keyframe to its last time)."""
    if not keys or not times:
        return ()
    first, last = min(times), max(times)
    cuts = {min(keys, key=lambda k: abs(k - (first + i * (last - first) / PASS_PARTS))) for i in range(1, PASS_PARTS)}
    return tuple(sorted(k for k in cuts if first + _EPSILON < k <= last))


def _pass_plan(info: Probe, ideal: list[float], offset: float, reference_only: bool) -> Plan:
    limit = last_frame_time(info)
    centres = tuple(sorted(set(ideal)))
    frame = 1 / max(info.fps, 1.0)
    return Plan("pass", offset, centres,
                before={c: key(c - offset) if c - offset >= 0 else None for c in centres},
                after={c: key(c + offset) if c + offset <= limit else None for c in centres},
                fps=max(info.fps, 1.0), cost=pass_cost(info), keep_full=keeps_full(info, len(centres)),
                reference_only=reference_only,
                flankers={c: tuple(key(c + step * frame) for step in range(-FLANK, FLANK + 1)
                                   if step and 0 <= c + step * frame <= limit) for c in centres})


def skips_non_reference(info: Probe) -> bool:
    """Whether a pass may decode reference frames only: candidates need not be any particular frame (each is
    the frame actually decoded, exact as every reference frame is); frames at given times are still exactly the
    first at or after them (the pass decodes those in full, see :meth:`FrameDecoder.decode`). Only codecs whose
    non-reference frames are skipped without touching any other (B-frames of H.264/HEVC and MPEG-1/2/4)."""
    return info.video_codec in NON_REFERENCE_CODECS


def _stretch_plan(info: Probe, listing: Keyframes, ideal: list[float], offset: float,
                  extras: Sequence[float]) -> Plan:
    fps = info.fps
    keys = listing.times
    stride = Stride.of(offset, fps)
    spacing = (ideal[-1] - ideal[0]) / (len(ideal) - 1) if len(ideal) > 1 else info.duration
    guards = Guards(min(ideal) - _EPSILON, max(ideal) + _EPSILON)
    last = _slot(keys, last_frame_time(info), fps)
    slots: dict[float, Slot] = {}
    centres: dict[float, Neighbours] = {}
    gaps = sorted(b - a for a, b in pairwise(keys)) or [info.duration]
    reach = max(spacing, gaps[len(gaps) // 2]) / 2  # every time may go to its nearest keyframe, if regular
    dropped = []
    for time in ideal:
        placed = _anchored(keys, time, stride, fps, reach, guards, centres)
        if placed is False:
            dropped.append(time)
            continue
        _add(centres, placed or _exact(keys, time, stride, fps), last, fps)
    if dropped and not _covered(sorted(centres), guards, spacing):  # too few keyframes: the others exactly
        for time in dropped:
            _add(centres, _exact(keys, time, stride, fps), last, fps)
    flankers = {c: _flankers(n.centre, last, fps) for c, n in centres.items()}
    for neighbours in centres.values():
        slots.update({s.time(fps): s for s in neighbours if s is not None})
    for beside in flankers.values():
        slots.update({s.time(fps): s for s in beside})
    for time in extras:
        slots[key(time)] = _slot(keys, time, fps)
    depth: dict[float, int] = {}
    for slot in slots.values():
        depth[slot.keyframe] = max(depth.get(slot.keyframe, 0), slot.index + 1)
    keep = keeps_full(info, len(centres))
    mean_depth = sum(depth.values()) / max(1, len(depth))
    winners = {} if keep else {-1.0 - i: math.ceil(mean_depth) for i in range(min(WINNERS, len(centres)))}
    return Plan("stretches", stride.seconds, tuple(sorted(centres)),
                before={c: None if n.before is None else n.before.time(fps) for c, n in centres.items()},
                after={c: None if n.after is None else n.after.time(fps) for c, n in centres.items()},
                slots=slots, fps=fps, keep_full=keep,
                cost=stretches_cost(info, depth, listing) + stretches_cost(info, winners, listing),
                flankers={c: tuple(s.time(fps) for s in beside) for c, beside in flankers.items()})


def keeps_full(info: Probe, candidates: int) -> bool:
    """Whether the decode keeps the full-size frame of every candidate and its flankers (the winners then need
    no second decode)."""
    frames = candidates * (1 + 2 * FLANK)
    return frames * max(2, info.width // 2 * 2) * max(2, info.height // 2 * 2) * 3 // 2 <= FULL_FRAME_BUDGET


def _flankers(centre: Slot, last: Slot, fps: float) -> tuple[Slot, ...]:
    """The frames :data:`FLANK` either side of ``centre`` counted from its keyframe (none before the keyframe:
    that would be another stretch), up to the last frame."""
    beside = [Slot(centre.keyframe, centre.index + step) for step in range(-FLANK, FLANK + 1) if step]
    return tuple(s for s in beside if s.index >= 0 and s.time(fps) <= last.time(fps) + _EPSILON)


def _covered(times: list[float], guards: Guards, spacing: float) -> bool:
    """Enough candidates (:data:`MIN_SHARE`) and none of the span without one for long (:data:`MAX_HOLE`)."""
    edges = [guards.first, *times, guards.last]
    return len(times) >= MIN_SHARE * ((guards.last - guards.first) / max(spacing, _EPSILON) + 1) and \
        max(b - a for a, b in pairwise(edges)) <= MAX_HOLE * spacing


def _add(centres: dict[float, Neighbours], neighbours: Neighbours, last: Slot, fps: float) -> None:
    """A candidate with its neighbours (one past the last frame is dropped), unless its frame is already one."""
    def kept(slot: Slot | None) -> Slot | None:
        return slot if slot is None or slot.time(fps) <= last.time(fps) + _EPSILON else None

    centres.setdefault(neighbours.centre.time(fps),
                       Neighbours(kept(neighbours.before), neighbours.centre, kept(neighbours.after)))


def _anchored(keys: list[float], time: float, stride: Stride, fps: float, reach: float, guards: Guards,
              taken: dict[float, Neighbours]) -> Neighbours | Literal[False] | None:
    """One stride after the keyframe nearest ``time`` within ``reach`` (its neighbours: the keyframe itself and
    one stride further), inside the guards; ``False`` when that keyframe already has its candidate (one per
    keyframe: a second would cost as much again for a near-duplicate), ``None`` when no keyframe is near."""
    near = [k for k in keys if abs(k + stride.seconds - time) <= reach and guards.hold(k + stride.seconds)]
    if not near:
        return None
    keyframe = min(near, key=lambda k: (abs(k + stride.seconds - time), k))
    if key(keyframe + stride.seconds) in taken:
        return False
    return Neighbours(Slot(keyframe, 0), Slot(keyframe, stride.frames), Slot(keyframe, 2 * stride.frames))


def _exact(keys: list[float], time: float, stride: Stride, fps: float) -> Neighbours:
    """The first frame at or after ``time``, with the frames a stride either side (none before the start)."""
    centre = _slot(keys, time, fps)
    exact = centre.time(fps)
    before = _slot(keys, exact - stride.seconds, fps) if exact - stride.seconds >= 0 else None
    return Neighbours(before, centre, _slot(keys, exact + stride.seconds, fps))


def _slot(keys: list[float], time: float, fps: float) -> Slot:
    """The first frame at or after ``time``, counted from the keyframe at or before it."""
    keyframe = max((k for k in keys if k <= time + _EPSILON), default=keys[0])
    return Slot(keyframe, max(0, math.ceil((time - keyframe) * fps - 1e-3)))
