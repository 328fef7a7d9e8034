"""Step 2: decode what the plan asks for, and later the winners at full size.

Candidates are keyed by the frame actually decoded (two planned times landing on one frame make one candidate).
A stretch plan whose frames do not come back where the plan counted them (a variable frame rate the probe
missed) falls back to a decode pass, so a plan never changes which frames exist, only what they cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import cpu_share
from storyexport.media.frames import FrameDecoder, Frames, Grab, Group, grab, key
from storyexport.media.probe import Probe
from storyexport.media.thumbs.plan import Plan, skips_non_reference

SLACK = 0.3  # frames: a stretch's frame may come this far after the time the plan counted for it


@dataclass(frozen=True)
class Moment:
    """One candidate: the time of its frame, its small frame with its neighbours (``None`` off the ends), and
    the frames right beside it (time, small frame), any of which may stand in for it."""

    time: float
    small: np.ndarray
    before: np.ndarray | None
    after: np.ndarray | None
    flankers: tuple[tuple[float, np.ndarray], ...] = ()


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
        decoded = _decode_stretches(decoder, plan, extras, skips_non_reference(info))
        if decoded is not None:
            return decoded
        # the stretches did not come back frame for frame: the same times from one decode pass (exact seeks
        # of every group cost several passes)
        plan = replace(plan, strategy="pass", slots={})
    exact = sorted({key(t) for t in extras})
    keep = sorted(set(plan.full_times() if plan.keep_full else ()) | set(exact))
    cores = cpu_share()  # one frame thread more than the cores, as ffmpeg's own count: the converting thread
    # takes its share of them (measured on vtest with keyframes 25 s apart: 6 % faster than as many as the cores)
    grabbed = decoder.decode(plan.small_times(), keep, exact=exact, threads=cores + 1 if cores > 1 else 1,
                             reference_only=plan.reference_only, splits=plan.splits)
    return _decoded(decoder, plan, grabbed, extras)


def fetch_full(decoder: FrameDecoder, info: Probe, decoded: Decoded, times: Sequence[float]) -> None:
    """Full-size frames of the candidates at ``times`` not kept yet: from their keyframes when the plan
    counted them so, else by seeks."""
    missing = sorted({t for t in times if t not in decoded.full})
    counted = {t for t in missing if t in decoded.plan.slots}
    if counted:
        found = _counted_frames(decoder, decoded.plan, set(), counted, skips_non_reference(info))
        if found is not None:
            decoded.full.update(found.full)
    missing = [t for t in missing if t not in decoded.full]
    if missing:
        found_full = grab(decoder.video, info, full_times=missing).full
        lost = [t for t in missing if t not in found_full]
        if lost:
            raise MediaError(f"{decoder.video.name}: no frame at {lost[0]:.2f} s")
        decoded.full.update(found_full)


def _counted_frames(decoder: FrameDecoder, plan: Plan, small: set[float], full: set[float],
                    skip: bool) -> Grab | None:
    """Frames at ``small`` and ``full`` times, each read on from the keyframe the plan counted it from and
    checked to be the frame counted (keyed by the time asked for: a given time is counted to the first frame
    at or after it); ``None`` when one is not where the plan counted it. ``skip``: the frames between that
    nothing refers to are not decoded (B-frames between a keyframe and the frames counted after it)."""
    counted = {t: plan.slots[t].time(plan.fps) for t in small | full}
    by_keyframe: dict[float, set[float]] = {}
    for time, frame_time in counted.items():
        by_keyframe.setdefault(plan.slots[time].keyframe, set()).add(frame_time)
    # each seek aims a quarter frame past its keyframe: a keyframe listed a little early is still the one found
    groups = [Group(keyframe + 0.25 / plan.fps, tuple(sorted(times)))
              for keyframe, times in sorted(by_keyframe.items())]
    grabbed = decoder.seek(groups, {counted[t] for t in small}, {counted[t] for t in full}, slack=SLACK / plan.fps,
                           skip_non_reference=skip)
    if grabbed is None:
        return None
    return Grab({t: grabbed.small[counted[t]] for t in small}, {t: grabbed.full[counted[t]] for t in full},
                {t: grabbed.decoded_at[counted[t]] for t in counted})


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
        beside = {grabbed.decoded_at[t]: grabbed.small[t] for t in plan.flankers.get(centre, ()) if t in grabbed.small}
        beside.pop(time, None)  # a flanker time that got the centre's own frame
        moments[time] = Moment(time, grabbed.small[centre], grabbed.small.get(before) if before is not None else None,
                               grabbed.small.get(after) if after is not None else None,
                               tuple(sorted(beside.items(), key=lambda item: item[0])))
        for asked in (centre, *plan.flankers.get(centre, ())):
            if asked in grabbed.full:
                full[grabbed.decoded_at[asked]] = grabbed.full[asked]
    missing = [t for t in exact if t not in grabbed.full]
    if missing:
        raise MediaError(f"{decoder.video.name}: no frame at {missing[0]:.2f} s")
    return Decoded([moments[t] for t in sorted(moments)], {**full, **{t: grabbed.full[t] for t in exact}}, plan)


def _decode_stretches(decoder: FrameDecoder, plan: Plan, extras: Sequence[float], skip: bool) -> Decoded | None:
    """Every wanted frame read on from the keyframe the plan counted it from, or ``None`` when one is not
    where the plan counted it."""
    small = set(plan.small_times())
    full = {key(t) for t in extras} | (set(plan.full_times()) if plan.keep_full else set())
    grabbed = _counted_frames(decoder, plan, small, full, skip)
    if grabbed is None:
        return None

    def frame(time: float | None) -> np.ndarray | None:
        return None if time is None else grabbed.small.get(time)

    moments = [Moment(c, grabbed.small[c], frame(plan.before[c]), frame(plan.after[c]),
                      tuple((t, grabbed.small[t]) for t in plan.flankers.get(c, ()))) for c in plan.centres]
    return Decoded(moments, {t: grabbed.full[t] for t in sorted(full)}, plan)
