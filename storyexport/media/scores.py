"""Frame quality: metrics on a small copy, rejection of unusable frames, ranking, and distinct A/B picks.

Metrics follow the research notes (all at the ~270x480 analysis size, on Y = BGR2GRAY):
``sharpness`` variance of the Laplacian, ``tenengrad`` mean squared Sobel gradient, ``brightness`` mean(Y)/255,
``contrast`` std(Y), ``colourfulness`` Hasler-Süsstrunk, ``clipping`` share of pixels at Y<=5 or Y>=250,
``faces`` frontal faces found by OpenCV's bundled Haar cascade (counted only on the leading candidates and the
picks: a face adds at most 0.1 to a combined score, so frames far behind cannot overtake with one).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

METHODS = ("sharpness", "brightness", "contrast", "combined")
REJECTIONS = ("black", "uniform", "fade", "transition")
BLACK_MEAN = 19.0  # 0.075 * 255 (Hecate's dark threshold)
UNIFORM_STD = 8.0
UNIFORMITY = 0.8
FADE_STEP = 12.0  # mean-Y change across the +-0.2 s neighbours that marks a fade
TRANSITION_HSV = 27.0  # PySceneDetect ContentDetector default, mean |dHSV| to a neighbour
BLURRED_SHARE = 0.1  # sharpness under 10 % of the sharpest usable frame counts as blurred
DHASH_MIN_BITS = 12
HIST_MIN_DISTANCE = 0.2
COMBINED_WEIGHTS = {"sharpness": 0.4, "contrast": 0.2, "colourfulness": 0.15, "exposure": 0.15, "faces": 0.1}
DIGITS = 4


@dataclass
class Candidate:
    """One analysed moment: its metrics, why it was rejected (or ``None``), and its score for the method."""

    timestamp: float
    metrics: dict[str, float]
    rejected: str | None = None
    score: float = 0.0
    dhash: int = 0
    histogram: np.ndarray | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """``faces`` is ``None`` for a candidate never examined (it ranked too low to be worth the cascade)."""
        scores = {k: None if v is None else round(float(v), DIGITS) for k, v in sorted(self.metrics.items())}
        scores["score"] = round(self.score, DIGITS)
        return {"timestamp": round(self.timestamp, DIGITS), "rejected": self.rejected, "scores": scores}


# --- metrics --------------------------------------------------------------------------------------------------


def frame_metrics(image: np.ndarray, faces: bool = True) -> dict[str, float]:
    """All per-frame metrics of a BGR image (expected at the analysis size). Moments come from
    ``cv2.meanStdDev`` on float32 derivatives (mean of a square = std² + mean²), avoiding big temporaries."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    mean, std = _moments(gray)
    gx_mean, gx_std = _moments(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
    gy_mean, gy_std = _moments(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
    metrics = {
        "sharpness": _moments(cv2.Laplacian(gray, cv2.CV_32F))[1] ** 2,
        "tenengrad": gx_std**2 + gx_mean**2 + gy_std**2 + gy_mean**2,
        "brightness": mean / 255.0,
        "contrast": std,
        "colourfulness": colourfulness(image),
        "clipping": float(np.count_nonzero((gray <= 5) | (gray >= 250))) / gray.size,
        "uniformity": uniformity(gray),
    }
    metrics["exposure"] = 1.0 - 2.0 * abs(metrics["brightness"] - 0.5) - metrics["clipping"]
    if faces:
        metrics["faces"] = float(count_faces(gray))
    return metrics


def _moments(values: np.ndarray) -> tuple[float, float]:
    mean, std = cv2.meanStdDev(values)
    return float(mean[0][0]), float(std[0][0])


def colourfulness(image: np.ndarray) -> float:
    """Hasler-Süsstrunk: sqrt(σrg² + σyb²) + 0.3·sqrt(μrg² + μyb²) with rg = R−G, yb = (R+G)/2 − B.

    Computed exactly in int16 with yb doubled (R + G − 2B, halved in the moments): a tenth of the float32 cost."""
    blue, green, red = cv2.split(image)
    rg_mean, rg_std = _moments(cv2.subtract(red, green, dtype=cv2.CV_16S))
    yb_mean, yb_std = _moments(cv2.subtract(cv2.add(red, green, dtype=cv2.CV_16S),
                                            cv2.add(blue, blue, dtype=cv2.CV_16S)))
    yb_mean, yb_std = yb_mean / 2, yb_std / 2
    return math.sqrt(rg_std**2 + yb_std**2) + 0.3 * math.sqrt(rg_mean**2 + yb_mean**2)


def uniformity(gray: np.ndarray) -> float:
    """Share of pixels in the fullest 5 % of a 64-bin luminance histogram (Hecate's blank-frame test)."""
    hist = np.bincount((gray >> 2).ravel(), minlength=64)
    return float(np.sort(hist)[-3:].sum()) / gray.size


@functools.cache
def _face_cascade() -> cv2.CascadeClassifier | None:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return None if cascade.empty() else cascade


def count_faces(gray: np.ndarray) -> int:
    """Frontal faces at least a seventh of the frame's width, searched on a half-size copy (~135x240): faces
    smaller than that do not sell a thumbnail, and the cascade costs a fraction of full analysis size."""
    cascade = _face_cascade()
    if cascade is None:
        return 0
    half = cv2.resize(gray, (max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    min_side = max(20, min(half.shape) // 7)
    found = cascade.detectMultiScale(half, scaleFactor=1.15, minNeighbors=5, minSize=(min_side, min_side))
    return len(found)


def to_hsv(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2HSV)


def hsv_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two HSV images (0-255 scale), as PySceneDetect's content detector measures
    cuts; an L1 norm, so no difference image is allocated."""
    return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size


def dhash(image: np.ndarray) -> int:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (9, 8), interpolation=cv2.INTER_AREA)
    bits = (small[:, 1:] > small[:, :-1]).ravel()
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def hsv_histogram(image: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [32, 32], [0, 180, 0, 256])
    return cv2.normalize(hist, hist).flatten()


# --- rejection ------------------------------------------------------------------------------------------------


def rejection(metrics: dict[str, float], image: np.ndarray, before: np.ndarray | None,
              after: np.ndarray | None) -> str | None:
    """Why a frame is unusable: black, near-uniform, mid-fade or mid-transition (``None`` if usable)."""
    luma = metrics["brightness"] * 255
    if luma < BLACK_MEAN:
        return "black"
    if metrics["contrast"] < UNIFORM_STD or metrics["uniformity"] >= UNIFORMITY:
        return "uniform"
    neighbours = [n for n in (before, after) if n is not None]
    if before is not None and after is not None and _is_fading(_luma(before), luma, _luma(after)):
        return "fade"
    if neighbours:
        centre = to_hsv(image)
        if any(hsv_distance(centre, to_hsv(n)) >= TRANSITION_HSV for n in neighbours):
            return "transition"
    return None


def _luma(image: np.ndarray) -> float:
    return float(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).mean())


def _is_fading(before: float, now: float, after: float) -> bool:
    steady = (before - now) * (now - after) > 0
    change = abs(after - before)
    return steady and change >= FADE_STEP and change >= 0.2 * max(before, after)


# --- ranking --------------------------------------------------------------------------------------------------


def rank_normalised(values: Sequence[float]) -> list[float]:
    """Average ranks scaled to 0..1 (ties share a rank); one value ranks 1."""
    if len(values) <= 1:
        return [1.0] * len(values)
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    position = 0
    while position < len(order):
        end = position
        while end + 1 < len(order) and values[order[end + 1]] == values[order[position]]:
            end += 1
        for i in order[position:end + 1]:
            ranks[i] = (position + end) / 2 / (len(values) - 1)
        position = end + 1
    return ranks


def score_candidates(candidates: list[Candidate], method: str) -> None:
    """Set ``score`` on every usable candidate (rejected ones score 0); blurred frames lose to sharp ones."""
    if method not in METHODS:
        raise ValueError(f"unknown thumbnail method {method!r} (use one of {', '.join(METHODS)})")
    usable = [c for c in candidates if c.rejected is None]
    for candidate in candidates:
        candidate.score = 0.0
    if not usable:
        return
    scores = _method_scores(usable, method)
    sharpest = max(c.metrics["sharpness"] for c in usable)
    for candidate, score in zip(usable, scores, strict=True):
        blurred = candidate.metrics["sharpness"] < BLURRED_SHARE * sharpest
        candidate.score = score - (1.0 if blurred else 0.0)


def _method_scores(usable: list[Candidate], method: str) -> list[float]:
    if method == "sharpness":
        return [math.log1p(c.metrics["sharpness"]) for c in usable]
    if method == "brightness":
        return [c.metrics["brightness"] - max(0.0, c.metrics["clipping"] - 0.05) for c in usable]
    if method == "contrast":
        return [c.metrics["contrast"] for c in usable]
    ranks = {
        "sharpness": _mean_lists(rank_normalised([c.metrics["sharpness"] for c in usable]),
                                 rank_normalised([c.metrics["tenengrad"] for c in usable])),
        "contrast": rank_normalised([c.metrics["contrast"] for c in usable]),
        "colourfulness": rank_normalised([c.metrics["colourfulness"] for c in usable]),
        "exposure": rank_normalised([c.metrics["exposure"] for c in usable]),
        "faces": [min(1.0, c.metrics.get("faces") or 0.0) for c in usable],
    }
    return [sum(w * ranks[name][i] for name, w in COMBINED_WEIGHTS.items()) for i in range(len(usable))]


def _mean_lists(a: list[float], b: list[float]) -> list[float]:
    return [(x + y) / 2 for x, y in zip(a, b, strict=True)]


def ranked(candidates: list[Candidate]) -> list[Candidate]:
    """Usable candidates, best first (earlier time wins ties, so the order is stable)."""
    return sorted((c for c in candidates if c.rejected is None), key=lambda c: (-c.score, c.timestamp))


# --- distinct picks -------------------------------------------------------------------------------------------


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


def pick_distinct(candidates: list[Candidate], count: int, min_gap: float) -> list[Candidate]:
    """Up to ``count`` usable candidates, greedily by score, each at least ``min_gap`` seconds from the others
    and visually different (dHash >= 12 bits or HSV histogram distance >= 0.2).

    On footage too uniform for that, the visual test and then the time gap relax step by step; picks are never
    rejected frames, so fewer than ``count`` come back only when fewer usable frames exist."""
    pool = ranked(candidates)
    picks: list[Candidate] = []
    for bits, distance, gap in _RELAXATION:
        picks = _greedy(pool, count, min_gap * gap, bits, distance)
        if len(picks) >= count:
            break
    return picks


_RELAXATION = ((DHASH_MIN_BITS, HIST_MIN_DISTANCE, 1.0), (6, 0.1, 1.0), (0, 0.0, 1.0), (0, 0.0, 0.5), (0, 0.0, 0.0))


def _greedy(pool: list[Candidate], count: int, min_gap: float, bits: int, distance: float) -> list[Candidate]:
    picks: list[Candidate] = []
    for candidate in pool:
        if len(picks) == count:
            break
        if all(_distinct(candidate, pick, min_gap, bits, distance) for pick in picks):
            picks.append(candidate)
    return picks


def _distinct(a: Candidate, b: Candidate, min_gap: float, bits: int, distance: float) -> bool:
    if a.timestamp == b.timestamp or abs(a.timestamp - b.timestamp) < min_gap:
        return False
    if hamming(a.dhash, b.dhash) >= bits:
        return True
    return a.histogram is not None and b.histogram is not None and histogram_distance(
        a.histogram, b.histogram) >= distance
