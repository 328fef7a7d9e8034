"""Getting frames out of a video with as little decoding as possible.

A request names *small* times (analysis frames, about 270x480 BGR) and *full* times (native-size frames for the
written thumbnails). Analysis candidates are placed by estimated cost: when the keyframes (listed from packet flags,
without decoding) are dense enough, candidates sit a few frames after keyframes and each keyframe costs one input
seek decoding only those frames, all of them segments of one concat input where possible (see :mod:`seeks`); the
candidates come as small frames, and the few winners are decoded again at full size afterwards, which costs less
than keeping every candidate's full frame. Otherwise, with few candidates for the duration, each is one
keyframe-anchored seek; with many, a single decode pass serves every time exactly (and keeps the candidates' full
frames, within a memory budget). Those processes ``select`` the frames and pipe raw video: small frames as
``bgr24`` on stdout, full frames as ``yuv420p`` on a second pipe.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import cv2
import ffmpeg
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import compile_args, cpu_share, media_error, run
from storyexport.media.probe import Probe
from storyexport.media.seeks import Seek, SeekResult, chunks, run_seeks, run_segments, segment_frames

ANALYSIS_AREA = 270 * 480
SEEK_GROUP_SPAN = 0.6  # times closer than this share one seek
SEEK_MARGIN = 0.01  # accurate seeks start this much early, so a frame stamped at a rounded time is never cut
ANCHOR_STEP = 0.07  # seconds (2 frames at 30 fps) between an anchored candidate and each of its neighbours
MAX_PER_KEYFRAME = 3  # candidates stacked after one keyframe (more would be near-duplicates)
COVERAGE = 8  # anchored candidates only if no keyframe gap exceeds 1/COVERAGE of the candidates' span
PROCESS_COST = 0.035  # seconds: start ffmpeg, open, seek and decode one keyframe (measured, 1080x1920)
PIXEL_COST = 1.0e-9  # seconds per decoded pixel on one thread (~2 ms per 1080x1920 frame)
FULL_FRAME_BUDGET = 256 * 1024 * 1024  # bytes of full-size candidate frames one decode pass may keep
_EPSILON = 0.0005
_SHOWINFO = re.compile(r"^\[showinfo@(?P<branch>small|full) @ [^\]]*\] n:\s*\d+\s+pts:\s*-?\d+\s+"
                       r"pts_time:\s*(?P<time>-?[\d.e+-]+)", re.M)

Frames = dict[float, np.ndarray]
CentreHook = Callable[[float, np.ndarray], None]
FrameHook = Callable[[int, np.ndarray], None]


@dataclass
class Grab:
    """``small``: BGR analysis frames; ``full``: native-size frames as I420 planes (convert with :func:`to_bgr`)."""

    small: Frames = field(default_factory=dict)
    full: Frames = field(default_factory=dict)

    def update(self, other: Grab) -> None:
        self.small.update(other.small)
        self.full.update(other.full)


@dataclass(frozen=True)
class Moment:
    """One analysis candidate: its time, small frame with small neighbours (``before``/``after`` about
    ``offset`` away, ``None`` at the edges) and its full-size I420 frame (``None`` when over the memory
    budget: fetch it later with :func:`grab_full`)."""

    time: float
    small: np.ndarray
    before: np.ndarray | None
    after: np.ndarray | None
    full: np.ndarray | None
    anchor: tuple[float, int] | None = None  # (seek start, frames after the keyframe) of an anchored candidate


def grab_moments(video: Path, info: Probe, times: Sequence[float], offset: float,
                 extra_full: Sequence[float] = (), on_centre: CentreHook | None = None) -> tuple[list[Moment], Frames]:
    """Candidates near ``times`` plus full-size frames at exactly ``extra_full``.

    Few candidates for the duration: one keyframe-anchored seek each (a candidate moves back to the keyframe
    before its time, plus ``offset``), and one accurate seek per extra time. Many: one decode pass, with the
    candidates exactly at ``times``. ``on_centre(time, small_image)`` is called as soon as a candidate's small
    frame is likely known, so scoring can overlap decoding; it is a hint only (check it against the result)."""
    centres = sorted({_key(t) for t in times})
    extras = sorted({_key(t) for t in extra_full})
    job = _Job(video, analysis_size(info.width, info.height), full_size(info))
    anchors, keys = _plan_and_keyframes(video, info, centres)
    if anchors:
        segmented = _segmented_moments(job, anchors, (_step_frames(info), 0.5 / max(info.fps, 1.0)), extras, keys,
                                       on_centre)
        if segmented is not None:
            return segmented
        return _anchored_moments(job, anchors, (_step_frames(info), 0.5 / max(info.fps, 1.0)), extras, on_centre,
                                 _merged_extras(extras, anchors, keys))
    if len(centres) + len(_group(extras)) < info.duration / 2:
        with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
            anchored = [pool.submit(_keyframe_moment, job, t, offset, on_centre) for t in centres]
            exact = [pool.submit(_seek_group, job, group, set(), set(extras)) for group in _group(extras)]
            moments = [m for m in (f.result() for f in anchored) if m is not None]
            extra: Frames = {}
            for future in exact:
                extra.update(future.result().full)
        unique = {m.time: m for m in reversed(moments)}  # two times may share a keyframe: keep one
        return [unique[t] for t in sorted(unique)], extra
    small = sorted({_key(t + d) for t in centres for d in (-offset, offset) if t + d >= 0} | set(centres))
    hook = _index_hook(small, set(centres), on_centre) if on_centre else None
    width, height = job.full_size
    keep_full = len(centres) * width * height * 3 // 2 <= FULL_FRAME_BUDGET
    full = sorted((set(centres) if keep_full else set()) | set(extras))
    grabbed = job.run(small, full, start=0.0, threads=cpu_share(), on_small=hook)
    moments = [
        Moment(t, grabbed.small[t], grabbed.small.get(_key(t - offset)) if t >= offset else None,
               grabbed.small.get(_key(t + offset)), grabbed.full.get(t))
        for t in centres if t in grabbed.small and (t in grabbed.full or not keep_full)
    ]
    return moments, {t: grabbed.full[t] for t in extras if t in grabbed.full}


def _segmented_moments(job: _Job, anchors: dict[float, int], step: tuple[int, float], extras: list[float],
                        keys: list[float], on_centre: CentreHook | None) -> tuple[list[Moment], Frames] | None:
    """Every stretch as a segment of a concat input (one per worker, see :func:`segment_frames`): the anchored
    keyframes' stacked candidates (small), and each extra time's frame (full size) from the keyframe at or
    before it, which shares the stretch when that keyframe is anchored. Frames are counted from the keyframe
    at the probed frame rate, so an extra time's frame is the first at or after it; ``None`` (seek instead)
    when some stretch does not come back frame for frame."""
    frames, nudge = step
    frame = 2 * nudge
    wanted: dict[float, tuple[list[int], list[int]]] = {k: ([j * frames for j in range(2 * c + 1)], [])
                                                        for k, c in anchors.items()}
    exact: dict[float, tuple[float, int]] = {}
    for time in extras:
        key = max((k for k in keys if k <= time + _EPSILON), default=None)
        if key is None:
            return None
        index = max(0, math.ceil((time - key - _EPSILON) / frame))
        wanted.setdefault(key, ([], []))[1].append(index)
        exact[time] = (key, index)
    parts = chunks(sorted(wanted), parallel_workers())
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        found = list(pool.map(lambda part: segment_frames(
            job, [round(k + nudge, 4) for k in part], nudge, small=[wanted[k][0] for k in part],
            full=[wanted[k][1] for k in part]), parts))
    unique: dict[float, Moment] = {}
    extra: Frames = {}
    for part, result in zip(parts, found, strict=True):
        if result is None:
            return None
        for key, small, full in zip(part, *result, strict=True):
            start = round(key + nudge, 4)
            indices = wanted[key][0]
            stacked = SeekResult(small, [key + n * frame - start for n in indices])
            for moment in _stacked_moments(Seek(start, False, "small", "", len(indices)), stacked, frames):
                unique.setdefault(moment.time, moment)
            by_index = dict(zip(sorted(set(wanted[key][1])), full, strict=True))
            extra.update({t: by_index[n] for t, (k, n) in exact.items() if k == key})
    if on_centre is not None:
        for moment in unique.values():
            on_centre(moment.time, moment.small)
    return [unique[t] for t in sorted(unique)], extra


def _anchored_moments(job: _Job, anchors: dict[float, int], step: tuple[int, float], extras: list[float],
                      on_centre: CentreHook | None,
                      merged: dict[float, list[float]] | None = None) -> tuple[list[Moment], Frames]:
    """The stretches after the keyframes, with their stacked candidates, as segments of one concat input (see
    :func:`run_segments`; one input seek per keyframe if that fails), and one input seek per group of extra
    times, shared among a few ffmpeg processes. Candidates come as small frames only (the few winners are
    fetched at full size afterwards, see :func:`grab_anchored_full`, which costs less than writing out every
    candidate's full-size frame). An extra time in an anchored keyframe's stretch (``merged``: keyframe ->
    times) is cut from that keyframe's seek, which reads on to it, instead of decoding the stretch again."""
    frames, nudge = step
    merged = merged or {}
    anchored = [_anchored_seek(key, count, frames, nudge, False, merged.get(key, []))
                for key, count in anchors.items()]
    cut = {seek.start: merged.get(key, []) for seek, key in zip(anchored, anchors, strict=True)}
    done = {t for times in merged.values() for t in times}
    exact = [_exact_seek(group, group, "full") for group in _group([t for t in extras if t not in done])]
    plain = [seek for seek in anchored if not cut[seek.start]]
    segmented = len(plain) >= 2  # one concat input decodes these stretches: no input opened per keyframe
    rest = [seek for seek in anchored if cut[seek.start] or not segmented] + exact
    parts = chunks(rest, parallel_workers() - 1 if segmented else parallel_workers())
    unique: dict[float, Moment] = {}
    extra: Frames = {}
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        concat = pool.submit(run_segments, job, plain, frames, nudge) if segmented else None
        outcome = list(zip(parts, pool.map(lambda part: run_seeks(job, part), parts), strict=True))
        if concat is not None:
            results = concat.result()
            if results is None:  # the stretches did not come back frame for frame: seek each one
                results = run_seeks(job, plain)
            outcome.append((plain, results))
        for part, results in outcome:
            for seek, result in zip(part, results, strict=True):
                if seek.accurate:
                    extra.update(_exact_frames(seek, result, extras))
                    continue
                extra.update(_cut_exact_frames(seek, result, cut.get(seek.start, [])))
                for moment in _stacked_moments(seek, result, frames):
                    if moment.time not in unique:  # a keyframe listed early may be reached twice
                        unique[moment.time] = moment
                        if on_centre is not None:
                            on_centre(moment.time, moment.small)
    return [unique[t] for t in sorted(unique)], extra


def _anchored_seek(key: float, count: int, step: int, nudge: float, keep_full: bool,
                   exact: Sequence[float] = ()) -> Seek:
    """``count`` candidates stacked after the keyframe at ``key``: every ``step``-th frame from the keyframe on;
    candidate j is frame (2j - 1) * step, its neighbours the frames either side; with ``keep_full`` the
    candidates also come at full size (the winners then need no second decode). Seeking ``nudge`` (half a
    frame) past the keyframe still lands on it even if its listed time is slightly early. ``exact``: times
    (at or after the keyframe) whose first frame also comes at full size; reading goes on to the last one."""
    start = round(key + nudge, 4)
    parts = [f"eq(n,{(2 * j - 1) * step})" for j in range(1, count + 1)] if keep_full else []
    if exact:
        parts.append(_select_expression([t - start for t in exact]))
    last = 2 * count * step  # frames after the keyframe; reading stops just past the last one (one filter
    # graph serves every input, so an input whose outputs are done might otherwise be read further)
    span = max([(2 * last + 1) * nudge, *(t - start + 3 * nudge for t in exact)])
    return Seek(start=start, accurate=False, kind="small", expression=f"not(mod(n,{step}))",
                frames=2 * count + 1, span=round(span, 4), full_expression="+".join(parts) or None,
                full_frames=(count if keep_full else 0) + len(exact))


def _merged_extras(extras: list[float], anchors: dict[float, int], keys: list[float]) -> dict[float, list[float]]:
    """Anchored keyframe -> the extra times in its stretch (up to the next keyframe): reading that keyframe's
    seek on to them costs less than a second seek, which would decode the same stretch again."""
    merged: dict[float, list[float]] = {}
    for time in extras:
        key = max((k for k in keys if k <= time + _EPSILON), default=None)
        if key is not None and key in anchors:
            merged.setdefault(key, []).append(time)
    return merged


def _cut_exact_frames(seek: Seek, result: SeekResult, wanted: list[float]) -> Frames:
    """The extra times an anchored seek read on to, from its full-size frames (candidates' frames included)."""
    if not wanted or not result.full:
        return {}
    relative = _match_times([t - seek.start for t in wanted], result.full, result.full_stamps)
    return {_key(t + seek.start): frame for t, frame in relative.items()}


def _stacked_moments(seek: Seek, result: SeekResult, step: int = 0) -> list[Moment]:
    """The candidates of an anchored seek; with ``step`` (frames between its small frames) each knows where it
    sits after the keyframe, so its full-size frame can be fetched alone later."""
    images = result.images
    times = [_key(seek.start + stamp) for stamp in result.stamps]
    full = {_key(seek.start + stamp): image for stamp, image in zip(result.full_stamps, result.full, strict=False)}
    return [Moment(time=times[i], small=images[i], before=images[i - 1],
                   after=images[i + 1] if i + 1 < len(times) else None, full=full.get(times[i]),
                   anchor=(seek.start, i * step) if step else None)
            for i in range(1, len(times), 2)]


def grab_anchored_full(video: Path, info: Probe, anchors: dict[float, tuple[float, int]]) -> Frames:
    """Full-size I420 frames of anchored candidates (time -> (seek start, frames after the keyframe)), in one
    ffmpeg process: each decodes from its keyframe up to its frame, as a concat segment (or, failing that, an
    input seek). A frame that does not come back at its time is left out (the caller seeks for it exactly)."""
    if not anchors:
        return {}
    job = _Job(video, analysis_size(info.width, info.height), full_size(info))
    frame = 1.0 / max(info.fps, 1.0)
    times = sorted(anchors)
    segments = segment_frames(job, [anchors[t][0] for t in times], frame / 2, full=[[anchors[t][1]] for t in times])
    if segments is not None:
        return {t: images[0] for t, images in zip(times, segments[0], strict=True)}
    seeks = [Seek(start=anchors[t][0], accurate=False, kind="full", expression=f"eq(n,{anchors[t][1]})",
                  frames=1, span=round((anchors[t][1] + 1.5) * frame, 4)) for t in times]
    found: Frames = {}
    for time, seek, result in zip(times, seeks, run_seeks(job, seeks), strict=True):
        if result.images and result.stamps and abs(seek.start + result.stamps[0] - time) < frame / 2:
            found[time] = result.images[0]
    return found


def _exact_seek(group: list[float], times: Iterable[float], kind: str) -> Seek:
    """An accurate seek a little before the group's first time, then the first frame at or after each time."""
    start = max(0.0, group[0] - SEEK_MARGIN)
    relative = [t - start for t in times]
    return Seek(start=start, accurate=True, kind=kind, expression=_select_expression(relative),
                frames=len(relative), span=max(relative) + 0.5)


def _exact_frames(seek: Seek, result: SeekResult, wanted: Iterable[float]) -> Frames:
    chosen = {t for t in wanted if seek.start <= t <= seek.start + (seek.span or 0.0)}
    relative = _match_times([t - seek.start for t in sorted(chosen)], result.images, result.stamps)
    return {_key(t + seek.start): frame for t, frame in relative.items()}


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


def _step_frames(info: Probe) -> int:
    return max(1, round(max(info.fps, 1.0) * ANCHOR_STEP))


def _plan_and_keyframes(video: Path, info: Probe, centres: list[float]) -> tuple[dict[float, int], list[float]]:
    """Keyframe -> how many candidates to stack after it, when that is cheaper than one decode pass and the
    keyframes cover the candidates' span evenly (otherwise empty); and the keyframe times it was made from (empty
    when none were listed)."""
    pixels = info.width * info.height
    step = _step_frames(info)
    pass_cost = PROCESS_COST + info.duration * max(info.fps, 1.0) * pixels * PIXEL_COST / cpu_share()
    fewest_seeks = -(-len(centres) // MAX_PER_KEYFRAME)
    if len(centres) < 2 or fewest_seeks * PROCESS_COST / parallel_workers() >= pass_cost:
        return {}, []
    try:
        keys = keyframe_times(video)
    except MediaError:
        return {}, []
    plan = _stack_on_keyframes(keys, centres)
    frames = sum(2 * count * step + 1 for count in plan.values())
    cost = (len(plan) * PROCESS_COST + frames * pixels * PIXEL_COST) / parallel_workers()
    return (plan if plan and cost < pass_cost else {}), keys


def _stack_on_keyframes(keys: list[float], centres: list[float]) -> dict[float, int]:
    """Each time goes to the last keyframe at or before it (keyframes up to half a spacing before the first
    time count); empty when some stretch of the span has no keyframe for more than 1/COVERAGE of it."""
    first, last = centres[0], centres[-1]
    slack = (last - first) / (2 * (len(centres) - 1))
    usable = [k for k in keys if first - slack <= k <= last]
    if not usable:
        return {}
    edges = [first, *usable, last]
    if max(b - a for a, b in pairwise(edges)) > (last - first) / COVERAGE:
        return {}
    plan: dict[float, int] = {}
    for time in centres:
        key = max((k for k in usable if k <= time), default=usable[0])
        plan[key] = min(MAX_PER_KEYFRAME, plan.get(key, 0) + 1)
    return plan


def _keyframe_moment(job: _Job, time: float, offset: float, on_centre: CentreHook | None) -> Moment | None:
    moment = job.run_keyframe(time, offset)
    if moment is not None and on_centre is not None:
        on_centre(moment.time, moment.small)
    return moment


def _index_hook(small: list[float], centres: set[float], on_centre: CentreHook) -> FrameHook:
    """Guess each streamed frame's time by its position (right unless two times share a frame)."""

    def hook(index: int, image: np.ndarray) -> None:
        if index < len(small) and small[index] in centres:
            on_centre(small[index], image)

    return hook


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """About 270x480 pixels of area with the source's shape (even sides, never upscaled)."""
    factor = min(1.0, (ANALYSIS_AREA / max(1, width * height)) ** 0.5)
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


def full_size(info: Probe) -> tuple[int, int]:
    """The displayed size rounded down to even sides (yuv420p needs them)."""
    return max(2, info.width // 2 * 2), max(2, info.height // 2 * 2)


def to_bgr(i420: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)


def fit_cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to fill ``width`` x ``height`` and crop the overflow evenly (what a thumbnail slot wants)."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    x, y = (size[0] - width) // 2, (size[1] - height) // 2
    return resized[y:y + height, x:x + width]


def parallel_workers() -> int:
    """ffmpeg processes or threads one frame request may run side by side (see :func:`cpu_share`)."""
    return max(1, min(4, cpu_share()))


def grab(video: Path, info: Probe, small_times: Iterable[float] = (), full_times: Iterable[float] = ()) -> Grab:
    """Frames at (the first frame at or after) each time; keys are the times rounded to 4 decimals.

    Times past the last frame are left out rather than failing the whole grab."""
    small = sorted({_key(t) for t in small_times})
    full = sorted({_key(t) for t in full_times})
    groups = _group(sorted(set(small) | set(full)))
    if not groups:
        return Grab()
    job = _Job(video, analysis_size(info.width, info.height), full_size(info))
    if len(groups) < info.duration / 2:
        return _by_seeking(job, groups, set(small), set(full))
    return job.run(small, full, start=0.0, threads=cpu_share())


def grab_small(video: Path, info: Probe, times: Iterable[float]) -> Frames:
    return grab(video, info, small_times=times).small


def grab_full(video: Path, info: Probe, times: Iterable[float]) -> dict[float, np.ndarray]:
    """Native-size BGR frames at ``times`` (a frame that cannot be found is an error)."""
    wanted = sorted({_key(t) for t in times})
    found = grab(video, info, full_times=wanted).full
    missing = [t for t in wanted if t not in found]
    if missing:
        raise MediaError(f"{Path(video).name}: no frame at {missing[0]:.2f} s")
    return {t: to_bgr(found[t]) for t in wanted}


def _key(time: float) -> float:
    return round(max(0.0, float(time)), 4)


def _group(times: list[float]) -> list[list[float]]:
    groups: list[list[float]] = []
    for time in times:
        if groups and time - groups[-1][0] <= SEEK_GROUP_SPAN:
            groups[-1].append(time)
        else:
            groups.append([time])
    return groups


def _by_seeking(job: _Job, groups: list[list[float]], small: set[float], full: set[float]) -> Grab:
    """One accurate input seek per group and kind, shared among a few ffmpeg processes."""
    seeks = [_exact_seek(group, [t for t in group if t in wanted], kind)
             for group in groups for kind, wanted in (("small", small), ("full", full))
             if any(t in wanted for t in group)]
    parts = chunks(seeks, parallel_workers())
    result = Grab()
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        for part, results in zip(parts, pool.map(lambda part: run_seeks(job, part), parts), strict=True):
            for seek, found in zip(part, results, strict=True):
                target = result.small if seek.kind == "small" else result.full
                target.update(_exact_frames(seek, found, small if seek.kind == "small" else full))
    return result


def _seek_group(job: _Job, group: list[float], small: set[float], full: set[float]) -> Grab:
    """One accurate input seek to the group's first time, then the frames at each of its times."""
    start = max(0.0, group[0] - SEEK_MARGIN)
    relative = job.run([t - start for t in group if t in small], [t - start for t in group if t in full],
                       start=start, threads=1)
    return Grab({_key(t + start): f for t, f in relative.small.items()},
                {_key(t + start): f for t, f in relative.full.items()})


@dataclass(frozen=True)
class _Job:
    video: Path
    small_size: tuple[int, int]
    full_size: tuple[int, int]

    def run(self, small: Sequence[float], full: Sequence[float], start: float, threads: int | None,
            on_small: FrameHook | None = None) -> Grab:
        """Frames at (the first frame at or after) each time; ``start`` > 0 input-seeks there first.
        ``on_small(index, image)`` sees each small frame as it arrives."""
        input_args: dict[str, Any] = {}
        if start > 0:
            input_args.update(ss=f"{start:.4f}", t=f"{max([*small, *full]) + 0.5:.4f}")
        if threads:
            input_args["threads"] = threads
        branches = {name: _select_expression(times) for name, times in (("small", small), ("full", full)) if times}
        raw, stamps = self._execute(input_args, branches, on_small)
        result = Grab()
        if small:
            result.small = _match_times(small, self._images("small", raw), stamps["small"])
        if full:
            result.full = _match_times(full, self._images("full", raw), stamps["full"])
        return result

    def run_keyframe(self, time: float, offset: float) -> Moment | None:
        """A candidate anchored on the keyframe at or before ``time``: seeking there decodes almost nothing.
        Small frames at keyframe K, K + offset, K + 2 offset; the candidate is the middle one (also full size)."""
        input_args = {"ss": f"{time:.4f}", "noaccurate_seek": None, "t": f"{2 * offset + 0.3:.4f}", "threads": 1}
        middle = _reaches_expression(offset)
        raw, stamps = self._execute(input_args, {"small": f"eq(n,0)+{middle}+{_reaches_expression(2 * offset)}",
                                                 "full": middle})
        small, full = self._images("small", raw), self._images("full", raw)
        if len(small) < 2 or not full or len(stamps["full"]) < 1:
            return None
        return Moment(time=_key(time + stamps["full"][0]), small=small[1], before=small[0],
                      after=small[2] if len(small) > 2 else None, full=full[0])

    def _execute(self, input_args: dict[str, Any], branches: dict[str, str], on_small: FrameHook | None = None,
                 frames: dict[str, int] | None = None) -> tuple[dict[str, bytes], dict[str, list[float]]]:
        """One ffmpeg process; with both kinds of frames the video is split into two ``select`` branches:
        small BGR frames on stdout, full-size I420 frames on a second pipe."""
        video = ffmpeg.input(str(self.video), **input_args).video
        sources = video.filter_multi_output("split") if len(branches) == 2 else None
        extra = os.pipe() if len(branches) == 2 else None
        try:
            outputs = []
            for index, (name, expression) in enumerate(branches.items()):
                stream = sources[index] if sources is not None else video
                target = "pipe:1" if index == 0 or extra is None else f"pipe:{extra[1]}"
                outputs.append(self._branch(stream, name, expression, target, (frames or {}).get(name)))
        except BaseException:
            for fd in extra or ():
                os.close(fd)
            raise
        width, height = self.small_size
        shape = (height, width, 3)
        stream_hook = None
        if on_small is not None and next(iter(branches)) == "small":
            def stream_hook(index: int, chunk: bytes) -> None:
                on_small(index, np.frombuffer(chunk, np.uint8).reshape(shape))
        raw, stderr = _run_pipes(ffmpeg.merge_outputs(*outputs), self.video, extra, stream_hook, width * height * 3)
        stamps: dict[str, list[float]] = {"small": [], "full": []}
        for match in _SHOWINFO.finditer(stderr):
            stamps[match["branch"]].append(float(match["time"]))
        return dict(zip(branches, raw, strict=True)), stamps

    def _branch(self, stream: Any, name: str, expression: str, target: str, frames: int | None = None,
                label: str | None = None) -> Any:
        width, height = self.small_size if name == "small" else self.full_size
        scaled = stream.filter("select", expression).filter("scale", width, height,
                                                            force_original_aspect_ratio="disable", flags="area")
        pix_fmt = "bgr24" if name == "small" else "yuv420p"
        limit = {"frames:v": frames} if frames else {}  # stop decoding once the last frame is out
        return scaled.filter(f"showinfo@{label or name}", checksum=0).output(target, format="rawvideo", pix_fmt=pix_fmt,
                                                                    fps_mode="passthrough", **limit)

    def _images(self, name: str, raw: dict[str, bytes]) -> list[np.ndarray]:
        width, height = self.small_size if name == "small" else self.full_size
        shape = (height, width, 3) if name == "small" else (height * 3 // 2, width)
        return _split_frames(raw.get(name, b""), shape)


def _reaches_expression(offset: float) -> str:
    """True on the first frame at least ``offset`` after the first frame the filter saw."""
    return f"gte(t-start_t,{offset - _EPSILON:.4f})*not(gte(prev_t-start_t,{offset - _EPSILON:.4f}))"


def _select_expression(times: Sequence[float]) -> str:
    """Select the first frame whose time reaches each target (``prev_t`` is NaN on the first frame)."""
    return "+".join(f"gte(t,{t - _EPSILON:.4f})*not(gte(prev_t,{t - _EPSILON:.4f}))" for t in times)


def _split_frames(data: bytes, shape: tuple[int, ...]) -> list[np.ndarray]:
    size = int(np.prod(shape))
    return [np.frombuffer(data, np.uint8, size, offset).reshape(shape) for offset in range(0, len(data) - size + 1,
                                                                                               size)]


def _match_times(times: Sequence[float], images: list[np.ndarray], stamps: list[float]) -> Frames:
    """Each time gets the first frame stamped at or after it (two times may share a frame)."""
    stamps = stamps[: len(images)]
    frames: Frames = {}
    index = 0
    for time in sorted(times):
        while index < len(stamps) and stamps[index] < time - _EPSILON:
            index += 1
        if index < len(stamps):
            frames[time] = images[index]
    return frames


def _run_pipes(graph: Any, video: Path, extra: tuple[int, int] | None,
               on_chunk: Callable[[int, bytes], None] | None = None, chunk_size: int = 0) -> tuple[list[bytes], str]:
    """Run a graph writing to stdout and, with ``extra`` (read end, write end), to a second pipe; read every
    pipe concurrently so neither side blocks. ``on_chunk`` sees stdout in ``chunk_size`` pieces as they come."""
    args = compile_args(graph)
    try:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   pass_fds=(extra[1],) if extra else ())
    except OSError as exc:
        if extra:
            os.close(extra[0])
        raise MediaError(f"{Path(video).name}: cannot decode frames: cannot run ffmpeg ({exc})") from exc
    finally:
        if extra:
            os.close(extra[1])  # the child holds its own copy of the write end
    streams = [process.stdout, process.stderr]
    if extra:
        streams.append(os.fdopen(extra[0], "rb"))
    results: list[bytes] = [b""] * len(streams)
    readers = [threading.Thread(target=_read_all, args=(stream, results, i), daemon=True)
               for i, stream in enumerate(streams)]
    if on_chunk is not None:
        readers[0] = threading.Thread(target=_read_chunks, args=(streams[0], results, on_chunk, chunk_size),
                                      daemon=True)
    for reader in readers:
        reader.start()
    try:
        code = process.wait()
    except BaseException:  # interrupted: do not leave ffmpeg running
        process.kill()
        process.wait()
        raise
    for reader in readers:
        reader.join()
    stderr = results[1].decode("utf-8", "replace")
    if code != 0:
        raise media_error(video, "cannot decode frames", stderr)
    return [results[0], *results[2:]], stderr


def _read_all(stream: Any, results: list[bytes], index: int) -> None:
    with stream:
        results[index] = stream.read()


def _read_chunks(stream: Any, results: list[bytes], on_chunk: Callable[[int, bytes], None], size: int) -> None:
    chunks: list[bytes] = []
    with stream:
        while True:
            chunk = stream.read(size)
            if len(chunk) < size:
                chunks.append(chunk)
                break
            on_chunk(len(chunks), chunk)
            chunks.append(chunk)
    results[0] = b"".join(chunks)
