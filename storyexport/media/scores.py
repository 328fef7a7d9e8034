"""Frame quality: metrics on a small copy, rejection of unusable frames, ranking, and distinct A/B picks.

Metrics follow the research notes (all at the ~270x480 analysis size, on Y = BGR2GRAY):
``sharpness`` variance of the Laplacian (for thumbnail candidates over the whole picture area, see
:mod:`storyexport.media.thumbs.measure`), ``tenengrad`` mean squared Sobel gradient, ``brightness`` mean(Y)/255,
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
UNUSABLE = ("black", "uniform")  # rejections never shown while anything else exists
IMPERFECT = ("fade", "dissolve")  # rejections shown only after every clean frame
BLURRED_SHARE = 0.1  # sharpness under 10 % of the sharpest usable frame counts as blurred
SHARP_SHARE = 0.9  # combined: frames less sharp than 90 % of the clean candidates rank after the others
SOFT_PENALTY = 0.5
IMPERFECT_PENALTY = 2.0
UNUSABLE_PENALTY = 4.0
COMBINED_WEIGHTS = {"sharpness": 0.4, "contrast": 0.2, "colourfulness": 0.15, "exposure": 0.15, "faces": 0.1}
# combined's appeal criteria on fixed scales, so a difference counts as much as it shows (a rank would stretch a
# 5 % contrast difference between look-alike frames to the criterion's whole weight): std(Y) 64 is a full-range
# picture (a uniform spread of 0-255 has 74); Hasler-Süsstrunk calls 82 "highly" and 109 "extremely" colourful.
FULL_CONTRAST = 64.0
FULL_COLOURFULNESS = 100.0
DIGITS = 4


@dataclass(eq=False)  # one candidate is one frame: compared by identity (its arrays have no truth value)
class Candidate:
    """One analysed moment: its metrics, why it was rejected (or ``None``), and its score for the method."""

    timestamp: float
    metrics: dict[str, float]
    rejected: str | None = None
    score: float = 0.0
    dhash: int = 0
    histogram: np.ndarray | None = field(default=None, repr=False)
    window: tuple[int, int, int, int] | None = None  # the part of the small frame measured (and written)
    shot: int = 0  # candidates of one shot share this number (see :func:`storyexport.media.thumbs.pick.shots`)

    def as_dict(self) -> dict[str, Any]:
        """``faces`` is ``None`` for a candidate never examined (it ranked too low to be worth the cascade)."""
        scores = {k: None if v is None else round(float(v), DIGITS) for k, v in sorted(self.metrics.items())}
        scores["score"] = round(self.score, DIGITS)
        return {"timestamp": round(self.timestamp, DIGITS), "rejected": self.rejected, "shot": self.shot,
                "scores": scores}


# --- metrics --------------------------------------------------------------------------------------------------


def frame_metrics(image: np.ndarray, faces: bool = True, inset: int = 0) -> dict[str, float]:
    """All per-frame metrics of a BGR image (expected at the analysis size); ``sharpness`` leaves out the
    outermost ``inset`` pixels. Moments come from ``cv2.meanStdDev`` on float32 derivatives (mean of a square =
    std² + mean²), avoiding big temporaries."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    mean, std = _moments(gray)
    gx_mean, gx_std = _moments(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
    gy_mean, gy_std = _moments(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
    metrics = {
        "sharpness": laplacian_variance(gray, inset),
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


def laplacian_variance(gray: np.ndarray, inset: int = 0) -> float:
    """Variance of the Laplacian: how crisp a picture is (focus, motion blur, compression); without the
    outermost ``inset`` pixels (when the picture is more than 8 times that on its shorter side), which are not
    even neighbours: they may blend with bars around the picture."""
    height, width = gray.shape[:2]
    if inset and min(height, width) > 8 * inset:
        gray = gray[inset:height - inset, inset:width - inset]
    return _moments(cv2.Laplacian(gray, cv2.CV_32F))[1] ** 2


def grey_percentile(gray: np.ndarray, q: float) -> float:
    """``np.percentile(gray, q)`` (linear between order statistics) of a uint8 picture, from its histogram:
    the same value without sorting the pixels."""
    counts = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    rank = q / 100 * (gray.size - 1)
    below = int(rank)
    low = int(np.searchsorted(counts, below, side="right"))
    high = int(np.searchsorted(counts, below + 1, side="right")) if rank > below else low
    return low + (rank - below) * (high - low)


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
    folder = cv2.data.haarcascades  # type: ignore[attr-defined]  # cv2's stubs omit the cv2.data module
    cascade = cv2.CascadeClassifier(folder + "haarcascade_frontalface_default.xml")
    return None if cascade.empty() else cascade


def find_faces(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Frontal faces (x, y, width, height in ``gray``'s pixels) at least a seventh of the frame's smaller side,
    searched on a half-size copy: faces smaller than that do not sell a thumbnail, and the cascade costs a
    fraction of full analysis size."""
    cascade = _face_cascade()
    if cascade is None or min(gray.shape[:2]) < 8:
        return []
    half = cv2.resize(gray, (max(1, gray.shape[1] // 2), max(1, gray.shape[0] // 2)), interpolation=cv2.INTER_AREA)
    min_side = max(20, min(half.shape) // 7)
    found = cascade.detectMultiScale(half, scaleFactor=1.15, minNeighbors=5, minSize=(min_side, min_side))
    return sorted((2 * int(x), 2 * int(y), 2 * int(w), 2 * int(h)) for x, y, w, h in found)


def count_faces(gray: np.ndarray) -> int:
    return len(find_faces(gray))


def to_hsv(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2HSV)


def hsv_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two HSV images (0-255 scale), as PySceneDetect's content detector measures
    cuts; an L1 norm, so no difference image is allocated."""
    return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size


def dhash(image: np.ndarray) -> int:
    """64-bit difference hash of a BGR or grey image: its 8-bit 9x8 copy, each bit 'right brighter than left'."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (9, 8), interpolation=cv2.INTER_AREA)
    bits = (small[:, 1:] > small[:, :-1]).ravel()
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def hsv_histogram(image: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [32, 32], [0, 180, 0, 256])
    return cv2.normalize(hist, hist).flatten()


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
    """Set ``score`` on every candidate, ranking clean frames first, then imperfect ones (fade, dissolve), then
    unusable ones (black, uniform), each group by the method; blurred frames lose to sharp ones, and for
    ``combined`` so do frames outside the sharper part of the clip (a thumbnail must look crisp first)."""
    if method not in METHODS:
        raise ValueError(f"unknown thumbnail method {method!r} (use one of {', '.join(METHODS)})")
    if not candidates:
        return
    visible = [c for c in candidates if c.rejected not in UNUSABLE]
    pool = visible or candidates
    clean = [c for c in pool if c.rejected is None] or pool
    sharpest = max(c.metrics["sharpness"] for c in clean)
    order = sorted(c.metrics["sharpness"] for c in clean)
    soft_below = order[min(len(order) - 1, int(SHARP_SHARE * len(order)))] if method == "combined" else -1.0
    for candidate in candidates:
        candidate.score = -UNUSABLE_PENALTY - 2.0
    for candidate, score in zip(pool, _method_scores(pool, method), strict=True):
        penalty = 1.0 if candidate.metrics["sharpness"] < BLURRED_SHARE * sharpest else 0.0
        penalty += SOFT_PENALTY if candidate.metrics["sharpness"] < soft_below else 0.0
        penalty += IMPERFECT_PENALTY if candidate.rejected else 0.0
        penalty += UNUSABLE_PENALTY if candidate.rejected in UNUSABLE else 0.0
        candidate.score = score - penalty


def _method_scores(usable: list[Candidate], method: str) -> list[float]:
    if method == "sharpness":
        return [math.log1p(c.metrics["sharpness"]) for c in usable]
    if method == "brightness":
        return [c.metrics["brightness"] - max(0.0, c.metrics["clipping"] - 0.05) for c in usable]
    if method == "contrast":
        return [c.metrics["contrast"] for c in usable]
    crispness = rank_normalised([c.metrics["sharpness"] for c in usable])
    criteria = [_criteria(c, crisp) for c, crisp in zip(usable, crispness, strict=True)]
    return [sum(w * values[name] for name, w in COMBINED_WEIGHTS.items()) for values in criteria]


def _criteria(candidate: Candidate, crispness: float) -> dict[str, float]:
    """``combined``'s criteria, each 0-1. Crispness is a rank (the Laplacian's variance has no scale of its own:
    it depends on the content) of the measure ``sharpness`` ranks by; the tenengrad would grow with the contrast
    squared and count contrast twice."""
    metrics = candidate.metrics
    return {"sharpness": crispness, "contrast": min(1.0, metrics["contrast"] / FULL_CONTRAST),
            "colourfulness": min(1.0, metrics["colourfulness"] / FULL_COLOURFULNESS),
            "exposure": max(0.0, metrics["exposure"]), "faces": min(1.0, metrics.get("faces") or 0.0)}


def ranked(candidates: list[Candidate]) -> list[Candidate]:
    """Every candidate, best first (earlier time wins ties, so the order is stable)."""
    return sorted(candidates, key=lambda c: (-c.score, c.timestamp))


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))
