"""Step 3: measure every candidate on what will be written, and reject what is not worth showing.

The picture area (inside any baked-in bars) is found once, on the candidates' own small frames. Each
candidate is measured on its *window*: the part of the picture the fitted thumbnail shows (the whole picture
for ``pad``/``blur-pad``; for ``crop`` from a wider or taller picture, a window of the thumbnail's shape placed
on the most detailed region, or on the faces once they are counted). Sharpness alone is the whole picture's
(the window's is kept as ``window_sharpness``): focus, motion blur and compression are the frame's, while the
window's detail mostly says how busy the part it shows is; on a fixed camera, ranking by it picked frames
among the softer third of the clip. Rejection is relative to the clip:
"black" and "uniform" compare with the clip's own typical frame (a night scene is not black), and a frame
that is a blend of its two neighbours (a fade, a dip to black, a cross-dissolve) is flagged as imperfect.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import NamedTuple, cast

import cv2
import numpy as np

from storyexport.media.keyframes import parallel_workers
from storyexport.media.picture import PictureArea, picture_area_of_frames
from storyexport.media.scores import (
    Candidate,
    dhash,
    find_faces,
    frame_metrics,
    grey_percentile,
    hsv_histogram,
    laplacian_variance,
)
from storyexport.media.thumbs.decode import Moment
from storyexport.media.thumbs.fit import Fitting, Window, fit_picture

AREA_FRAMES = 12  # candidates (evenly spread) the picture area is found on: bars are the same in every frame
BLACK_P99 = 24.0  # grey: a picture whose brightest 1 % stays below this is black, whatever the clip
DARK_SHARE = 0.2  # ... or whose mean is under this share of the clip's typical mean,
DARK_PEAK_SHARE = 0.4  # ... with its brightest 1 % under this share of the clip's typical brightest 1 %
UNIFORM_STD = 3.0  # grey levels: flatter than this is uniform, whatever the clip
UNIFORM_SHARE = 0.2  # ... or flatter than this share of the clip's typical contrast
UNIFORMITY = 0.8  # share of pixels in the three fullest of 64 bins (of the frame's own range): a blank card
FADE_STEP = 12.0  # mean-grey change across the neighbours that marks a fade (with FADE_SHARE of the brighter)
FADE_SHARE = 0.2
BLEND_MIN_CHANGE = 5.0  # RMS grey difference of the neighbours below which no blend can be told (static)
BLEND_RESIDUAL = 0.4  # a blend's residual is at most this share of the neighbours' difference,
BLEND_COVERAGE = 0.5  # a dissolve or fade changes most of the picture, not just a moving subject
BLEND_CLOSENESS = 0.7  # ... and this share of the frame's distance to the nearer neighbour (smooth motion is not)
BLEND_WEIGHTS = (0.15, 0.85)  # ... with the frame between its neighbours, not at one of them (a cut)
FADE_RESIDUAL = 0.5  # a fade told by its mean grey alone must still be roughly a blend
HASH_SIDE = 240  # pixels: thumbnails are hashed as fitted to a copy about this long on its longer side
EDGE_INSET = 2  # pixels of the small frame's picture left out of its sharpness: where the picture meets baked-in
# bars, scaling and chroma subsampling blend the two, and that edge (brighter or darker with the picture) would
# count as detail (a pillarboxed clip's pick: 83rd percentile with it, 91st without)
BLEND_WIDTH = 96  # pixels: the blend test runs on the picture scaled to this width (motion noise averages out)




class Features(NamedTuple):
    """What is measured of one candidate's window: metrics, the dHash of the thumbnail as it will look, and the
    HSV histogram."""

    metrics: dict[str, float | None]
    dhash: int
    histogram: np.ndarray


@dataclass
class Measured:
    """The candidates in time order, the picture area (small-frame pixels) and the small frames."""

    candidates: list[Candidate]
    area: PictureArea
    frames: dict[float, np.ndarray]
    fitting: Fitting

    def remeasure_on_faces(self, candidate: Candidate) -> None:
        """Count ``candidate``'s faces; for ``crop``, move its window onto them and measure it again."""
        gray = cv2.cvtColor(self.frames[candidate.timestamp], cv2.COLOR_BGR2GRAY)
        faces = find_faces(self.area.crop(gray))
        shifted = [(x + self.area.x, y + self.area.y, w, h) for x, y, w, h in faces]
        candidate.metrics["faces"] = float(len(faces))
        if faces and self.fitting.fit == "crop":
            window = self.fitting.window(gray, self.area, shifted)
            if window != candidate.window:
                found = self.features(candidate.timestamp, window)
                candidate.dhash, candidate.histogram = found.dhash, found.histogram
                candidate.metrics.update({k: cast(float, v) for k, v in found.metrics.items() if k != "faces"})
                candidate.window = window

    def features(self, time: float, window: Window) -> Features:
        return _features(self.frames[time], window, self.area, self.fitting)


def measure(moments: Sequence[Moment], fitting: Fitting) -> Measured:
    """Picture area, windows, metrics and rejections of every candidate (each the sharpest of its frame and
    the frames beside it, see :func:`sharpest_stand_in`)."""
    area = picture_area_of_frames([m.small for m in moments[::max(1, -(-len(moments) // AREA_FRAMES))]])
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        chosen = list(pool.map(lambda m: sharpest_stand_in(m, area), moments))
    by_time: dict[float, tuple[Moment, str | None]] = {}
    for moment, flaw in chosen:
        by_time.setdefault(moment.time, (moment, flaw))  # two chose one frame: keep the first
    moments = [moment for moment, _ in sorted(by_time.values(), key=lambda found: found[0].time)]
    flaws = [by_time[moment.time][1] for moment in moments]
    grays = [cv2.cvtColor(m.small, cv2.COLOR_BGR2GRAY) for m in moments]
    windows = [fitting.window(gray, area) for gray in grays]
    measured = Measured([], area, {m.time: m.small for m in moments}, fitting)
    with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:
        features = list(pool.map(lambda m, w: measured.features(m.time, w), moments, windows))
    # metrics["faces"] stays None until remeasure_on_faces (see Candidate.faces); every other metric is a float
    measured.candidates = [Candidate(timestamp=m.time, metrics=cast("dict[str, float]", f.metrics), dhash=f.dhash,
                                     histogram=f.histogram, window=w)
                           for m, f, w in zip(moments, features, windows, strict=True)]
    typical = {name: float(np.median([c.metrics[name] for c in measured.candidates]))
               for name in ("mean", "peak", "contrast")}
    for candidate, flaw in zip(measured.candidates, flaws, strict=True):
        candidate.rejected = _still_flaw(candidate.metrics, typical) or flaw
        if candidate.rejected:
            candidate.metrics["faces"] = 0.0  # never examined: a rejected frame is not shown while others exist
    return measured


def sharpest_stand_in(moment: Moment, area: PictureArea) -> tuple[Moment, str | None]:
    """The candidate's frame or one right beside it, whichever is sharpest on the picture area, unless that one
    is a blend of the candidate's neighbours (a frame apart, the picture is the same, its crispness is not);
    with the motion flaw of the frame taken."""
    neighbours = _blend_neighbours(moment, area)
    own = laplacian_variance(cv2.cvtColor(area.crop(moment.small), cv2.COLOR_BGR2GRAY), EDGE_INSET) \
        if moment.flankers else 0.0
    crisper = [(crispness, index, time, image) for index, (time, image) in enumerate(moment.flankers)
               if (crispness := laplacian_variance(cv2.cvtColor(area.crop(image), cv2.COLOR_BGR2GRAY),
                                                   EDGE_INSET)) > own]
    for _, _, time, image in sorted(crisper, key=lambda found: (-found[0], found[1])):
        stand_in = replace(moment, time=time, small=image, flankers=())
        flaw = _motion_flaw(stand_in, area, neighbours)
        if flaw is None:
            return stand_in, None
    return replace(moment, flankers=()), _motion_flaw(moment, area, neighbours)


def _features(image: np.ndarray, window: Window, area: PictureArea, fitting: Fitting) -> Features:
    """Metrics (faces left ``None`` until examined) and HSV histogram of the window, and the dHash of the
    thumbnail as it will look, from the small frame (with ``pad``/``blur-pad`` the surround counts: options
    must differ as written; the picks are hashed again on the written image, see :mod:`thumbs.pick`)."""
    x, y, w, h = window
    region = image[y:y + h, x:x + w]
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    whole = window == (area.x, area.y, area.width, area.height)
    metrics: dict[str, float | None] = {**frame_metrics(region, faces=False, inset=EDGE_INSET if whole else 0),
                                        "faces": None}
    metrics["window_sharpness"] = metrics["sharpness"]
    if not whole:  # crisp or soft is the frame's, not the window's
        metrics["sharpness"] = laplacian_variance(cv2.cvtColor(area.crop(image), cv2.COLOR_BGR2GRAY), EDGE_INSET)
    peak = grey_percentile(gray, 99)
    metrics.update(mean=float(gray.mean()), peak=peak, uniformity=_stretched_uniformity(gray, peak))
    return Features(metrics, dhash(_as_written(gray, fitting)), hsv_histogram(region))


def _as_written(picture: np.ndarray, fitting: Fitting) -> np.ndarray:
    """The grey ``picture`` (a window) fitted as the thumbnail will be, at a whole fraction of its size near
    :data:`HASH_SIDE` on the longer side (a fraction the fitting scales to faithfully: blur-pad's surround,
    the picture's place on it), for its dHash."""
    width, height = fitting.size
    shrink = max(1, round(max(width, height) / HASH_SIDE))
    size = (max(9, width // shrink), max(8, height // shrink))
    return fit_picture(picture, PictureArea(0, 0, picture.shape[1], picture.shape[0]), Fitting(fitting.fit, size))


def _stretched_uniformity(gray: np.ndarray, peak: float) -> float:
    """Share of pixels in the fullest 3 of 64 bins spanning 0 .. the frame's own brightest 1 %: a dark but
    legible frame spreads over them, a blank card does not."""
    top = max(16.0, peak)
    bins = np.minimum(63, (gray.astype(np.float32) * (64.0 / (top + 1.0))).astype(np.int32))
    hist = np.bincount(bins.ravel(), minlength=64)
    return float(np.sort(hist)[-3:].sum()) / gray.size


def _still_flaw(metrics: dict, typical: dict[str, float]) -> str | None:
    """Black or uniform, judged on the window and against the clip's median frame."""
    dark = metrics["mean"] < DARK_SHARE * typical["mean"] and metrics["peak"] < DARK_PEAK_SHARE * typical["peak"]
    if metrics["peak"] < BLACK_P99 or dark:
        return "black"
    if metrics["contrast"] < max(UNIFORM_STD, UNIFORM_SHARE * typical["contrast"]) or \
            metrics["uniformity"] >= UNIFORMITY:
        return "uniform"
    return None


def _blend_neighbours(moment: Moment, area: PictureArea) -> tuple[np.ndarray, np.ndarray] | None:
    """The neighbours' picture areas as the blend test compares them (``None`` at the video's ends)."""
    if moment.before is None or moment.after is None:
        return None
    return _blend_scale(area.crop(moment.before)), _blend_scale(area.crop(moment.after))


def _motion_flaw(moment: Moment, area: PictureArea,
                 neighbours: tuple[np.ndarray, np.ndarray] | None) -> str | None:
    """Fade or dissolve (a blend of the neighbours), on the picture area: a fade when the grey level moves
    steadily from one neighbour's towards the other's, or one of them is black."""
    if neighbours is None:
        return None
    before, after = neighbours
    now = _blend_scale(area.crop(moment.small))
    if _leaving_black(float(before.mean()), float(now.mean()), float(after.mean())):
        return "fade"
    weight, residual, closeness = blend(before, now, after)
    if not BLEND_WEIGHTS[0] <= weight <= BLEND_WEIGHTS[1] or residual > FADE_RESIDUAL:
        return None
    means = float(before.mean()), float(now.mean()), float(after.mean())
    fading = _is_fading(*means)
    if residual <= BLEND_RESIDUAL and closeness <= BLEND_CLOSENESS:
        return "fade" if fading or min(means[0], means[2]) < BLACK_P99 / 2 else "dissolve"
    return "fade" if fading else None


def _blend_scale(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    size = (BLEND_WIDTH, max(1, round(height * BLEND_WIDTH / max(1, width))))
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def blend(before: np.ndarray, now: np.ndarray, after: np.ndarray) -> tuple[float, float, float]:
    """``now`` as ``w * before + (1 - w) * after``: the weight ``w``, the residual's RMS as a share of the
    neighbours' difference (``inf`` when they differ too little or in too small a part of the picture: no blend
    can be told, a subject moving over a still background is not one) and as a share of ``now``'s
    distance to the nearer neighbour. A dissolve or a fade (a dissolve with black) has w well inside 0..1 and a
    residual small on both counts; motion (an object in a third place) and cuts (w near 0 or 1) do not."""
    change = before - after
    spread = float(np.sqrt(np.mean(change * change)))
    if spread < BLEND_MIN_CHANGE or np.count_nonzero(np.abs(change) >= BLEND_MIN_CHANGE) < BLEND_COVERAGE * change.size:
        return 0.0, float("inf"), float("inf")  # too little change, or only part of the picture moved
    weight = float(np.sum((now - after) * change) / np.sum(change * change))
    residual = float(np.sqrt(np.mean(np.square(now - after - weight * change))))
    nearer = min(float(np.sqrt(np.mean(np.square(now - before)))), float(np.sqrt(np.mean(np.square(now - after)))))
    return weight, residual / spread, residual / max(nearer, 1e-6)


def _leaving_black(before: float, now: float, after: float) -> bool:
    """The first frames of a fade to (or the last of a fade from) black: one neighbour is black and the frame
    lies between them, already :data:`FADE_STEP` grey levels away from the other (too early in the fade for
    the blend test, which leaves frames near either neighbour alone)."""
    dark, bright = min(before, after), max(before, after)
    return dark < BLACK_P99 / 2 and dark < now <= bright - FADE_STEP


def _is_fading(before: float, now: float, after: float) -> bool:
    """The mean grey moves steadily and clearly, and the frame sits well between its neighbours (not at one
    of them, as next to a cut or at the very end of a fade)."""
    change = abs(after - before)
    if change < FADE_STEP or change < FADE_SHARE * max(before, after):
        return False
    share = (now - after) / (before - after)
    return BLEND_WEIGHTS[0] <= share <= BLEND_WEIGHTS[1]
