"""Step 2: decode what the plan asks for, and later the winners at full size.

Candidates are keyed by the frame actually decoded (two planned times landing on one frame make one candidate).
A stretch plan whose stretches do not come back frame for frame (a variable frame rate the probe missed)
falls back to a decode pass, so a plan never changes which frames exist, only what they cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import cpu_share
from storyexport.media.frame_kind import FrameKind
from storyexport.media.frames import FrameDecoder, Frames, Grab, grab, key
from storyexport.media.keyframes import parallel_workers
from storyexport.media.probe import Probe
from storyexport.media.seeks import Stretches, chunks
from storyexport.media.thumbs.plan import Plan, Slot


@dataclass(frozen=True)
class Moment:
    """One candidate: the time of its frame, its small frame with its neighbours (``None`` off the ends), and
    its full-size I420 frame when the decode kept it."""

    time: float
    small: np.ndarray
    before: np.ndarray | None
    after: np.ndarray | None
    full: np.ndarray | None = None


@dataclass
class Decoded:
    """Everything decoded for one thumbnail set: the candidates, the full-size frames at the exact times
    asked for (and of candidates, when kept), and how to reach any frame again (``slots``)."""

    moments: list[Moment]
    full: Frames
    plan: Plan


def decode_plan(decoder: FrameDecoder, info: Probe, plan: Plan, extras: Sequence[float] = ()) -> Decoded:
    """The plan's candidates (small, with neighbours) and full-size frames at exactly ``extras``."""
    if plan.strategy == "stretches":
        decoded = _decode_stretches(decoder, plan, extras)
        if decoded is not None:
            return decoded
        # the stretches did not come back frame for frame: the same times from one decode pass (exact seeks
        # of every group cost several passes)
        plan = replace(plan, strategy="pass", slots={})
    keep = sorted(set(plan.centres if plan.keep_full else ()) | {key(t) for t in extras})
    grabbed = decoder.decode(plan.small_times(), keep, threads=cpu_share(), reference_only=plan.reference_only)
    return _decoded(decoder, plan, grabbed, extras)


def fetch_full(decoder: FrameDecoder, info: Probe, decoded: Decoded, times: Sequence[float]) -> None:
    """Full-size frames of the candidates at ``times`` not kept yet: from their keyframes as stretches when
    the plan counted them so, else by exact seeks."""
    missing = sorted({t for t in times if t not in decoded.full})
    slots = {t: decoded.plan.slots[t] for t in missing if t in decoded.plan.slots}
    if slots:
        order = sorted(slots)
        found = decoder.stretches([_start(slots[t].keyframe, decoded.plan) for t in order], decoded.plan.lead,
                                  full=[[slots[t].index] for t in order], frame=1 / decoded.plan.fps,
                                  origin=decoded.plan.origin)
        if found is not None:
            decoded.full.update({t: images[0] for t, images in zip(order, found[FrameKind.FULL], strict=True)})
    missing = [t for t in missing if t not in decoded.full]
    if missing:
        found_full = grab(decoder.video, info, full_times=missing).full
        lost = [t for t in missing if t not in found_full]
        if lost:
            raise MediaError(f"{decoder.video.name}: no frame at {lost[0]:.2f} s")
        decoded.full.update(found_full)


def _start(keyframe: float, plan: Plan) -> float:
    """Where a stretch input starts: ``plan.lead`` after its keyframe (see :attr:`Plan.lead`)."""
    return round(keyframe + plan.lead, 4)


def _decoded(decoder: FrameDecoder, plan: Plan, grabbed: Grab, extras: Sequence[float]) -> Decoded:
    """Candidates from frames grabbed at the plan's times, keyed by the frame each time actually got."""
    exact = sorted({key(t) for t in extras})
    moments: dict[float, Moment] = {}
    full: Frames = {}
    for centre in plan.centres:
        if centre not in grabbed.small:
            continue
        time = grabbed.decoded_at[centre]
        if time in moments:  # two planned times, one decoded frame
            continue
        before, after = plan.before[centre], plan.after[centre]
        moments[time] = Moment(time, grabbed.small[centre], grabbed.small.get(before) if before is not None else None,
                               grabbed.small.get(after) if after is not None else None)
        if centre in grabbed.full:
            full[time] = grabbed.full[centre]
    missing = [t for t in exact if t not in grabbed.full]
    if missing:
        raise MediaError(f"{decoder.video.name}: no frame at {missing[0]:.2f} s")
    return Decoded([moments[t] for t in sorted(moments)], {**full, **{t: grabbed.full[t] for t in exact}}, plan)


def _decode_stretches(decoder: FrameDecoder, plan: Plan, extras: Sequence[float]) -> Decoded | None:
    exact = {key(t) for t in extras}
    small_times = set(plan.small_times())
    keyframes = sorted({slot.keyframe for slot in plan.slots.values()})
    small = {k: sorted({s.index for t, s in plan.slots.items() if s.keyframe == k and t in small_times})
             for k in keyframes}
    wanted_full = exact | (set(plan.centres) if plan.keep_full else set())
    full = {k: sorted({s.index for t, s in plan.slots.items() if s.keyframe == k and t in wanted_full})
            for k in keyframes}
    parts = chunks(keyframes, parallel_workers())  # the same frames whatever the split: counted per stretch

    def run(part: list[float]) -> Stretches | None:
        """Both kinds per stretch; a kind no stretch of the part wants is left out of ffmpeg's graph (an output
        that never gets a frame is an error)."""
        asked = {kind: [wanted[k] for k in part] if any(wanted[k] for k in part) else None
                 for kind, wanted in ((FrameKind.SMALL, small), (FrameKind.FULL, full))}
        found = decoder.stretches([_start(k, plan) for k in part], plan.lead, asked[FrameKind.SMALL],
                                  asked[FrameKind.FULL], frame=1 / plan.fps, origin=plan.origin)
        if found is None:
            return None
        return {kind: found.get(kind, [[] for _ in part]) for kind in FrameKind}

    with ThreadPoolExecutor(max_workers=len(parts) or 1) as pool:
        results = list(pool.map(run, parts))
    stretches = [found for found in results if found is not None]
    if len(stretches) != len(results):
        return None
    by_slot: dict[Slot, np.ndarray] = {}
    full_by_slot: dict[Slot, np.ndarray] = {}
    for part, found in zip(parts, stretches, strict=True):
        for k, small_images, full_images in zip(part, found[FrameKind.SMALL], found[FrameKind.FULL], strict=True):
            by_slot.update({Slot(k, n): image for n, image in zip(small[k], small_images, strict=True)})
            full_by_slot.update({Slot(k, n): image for n, image in zip(full[k], full_images, strict=True)})

    def frame(time: float | None) -> np.ndarray | None:
        return None if time is None else by_slot.get(plan.slots[time])

    moments = [Moment(c, by_slot[plan.slots[c]], frame(plan.before[c]), frame(plan.after[c]))
               for c in plan.centres]
    return Decoded(moments, {t: full_by_slot[plan.slots[t]] for t in sorted(wanted_full)}, plan)
