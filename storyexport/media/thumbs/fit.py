"""How a picture becomes a thumbnail: which window of it is shown, and how it is fitted to the thumbnail size.

Only the picture area (inside any baked-in bars) is ever shown. ``crop`` fills the thumbnail with a window of
its shape, placed on the faces or else on the most detailed stretch of the picture; ``pad`` letterboxes the
picture on black, ``blur-pad`` over a blurred enlarged copy of itself, as the exported video does (see
:mod:`storyexport.media.filters`). All OpenCV at fixed settings: equal inputs give equal pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from storyexport.media.picture import PictureArea

SURROUND_SIDE = 240  # blur-pad: blur a copy this long on its longer side (1/8 of a 1080x1920 thumbnail: as soft
# as a huge kernel at full size, for a fraction), the same copy whatever size the picture is fitted to, so a
# small fit (the analysis hashes one) shows the surround the written thumbnail has
SURROUND_PEAK = 48.0  # blur-pad: a darker surround is brightened to this grey at its brightest 2 % ...
SURROUND_GAIN = 4.0  # ... by at most this gain
SURROUND_FLOOR = 20  # ... and never darker than this grey, even around an all-black picture
Window = tuple[int, int, int, int]


@dataclass(frozen=True)
class Fitting:
    """How a frame becomes a thumbnail: ``fit`` mode and the thumbnail's ``size`` (width, height)."""

    fit: str
    size: tuple[int, int]

    def window(self, gray: np.ndarray, area: PictureArea, faces: Sequence[Window] = ()) -> Window:
        """The part of ``area`` (in ``gray``'s pixels) the thumbnail shows: for ``crop``, a window of the
        thumbnail's shape centred on the faces, else on the most detailed stretch; else the whole area."""
        if self.fit != "crop":
            return area.x, area.y, area.width, area.height
        width, height = self.size
        if area.width * height > area.height * width:  # wider than the thumbnail: slide horizontally
            size = max(2, min(area.width, round(area.height * width / height)))
            start = _placement(gray[area.y:area.y + area.height, area.x:area.x + area.width], size, 1, faces, area)
            return area.x + start, area.y, size, area.height
        size = max(2, min(area.height, round(area.width * height / width)))
        start = _placement(gray[area.y:area.y + area.height, area.x:area.x + area.width], size, 0, faces, area)
        return area.x, area.y + start, area.width, size


def full_window(window: Window | None, area: PictureArea, small: tuple[int, int],
                full: tuple[int, int]) -> PictureArea:
    """A window measured on small frames, in full-size pixels (the whole picture area when ``None``)."""
    chosen = PictureArea(*window) if window is not None else area
    return chosen.scaled(small, full)


def _placement(picture: np.ndarray, size: int, axis: int, faces: Sequence[Window], area: PictureArea) -> int:
    """Start of the window (along ``axis``: 1 across, 0 down) covering the faces' middle, else the most detail
    (sum of |Laplacian|; the more central start wins a tie)."""
    length = picture.shape[axis]
    if length <= size:
        return 0
    if faces:
        offset = area.x if axis == 1 else area.y
        middles = [(f[0] + f[2] / 2 if axis == 1 else f[1] + f[3] / 2) - offset for f in faces]
        centre = (min(middles) + max(middles)) / 2
        return int(min(max(0, round(centre - size / 2)), length - size))
    detail = np.abs(cv2.Laplacian(picture, cv2.CV_32F)).sum(axis=1 - axis)
    sums = np.round(np.convolve(detail, np.ones(size, np.float32), mode="valid").astype(np.float64), 1)
    most = np.flatnonzero(sums == sums.max())
    return int(most[np.argmin(np.abs(most - (length - size) / 2))])  # the first of two equally central


def fit_picture(image: np.ndarray, window: PictureArea, fitting: Fitting) -> np.ndarray:
    """``window`` of a full-size BGR (or grey, as the analysis hashes it) frame fitted to ``fitting.size`` the
    ``fitting.fit`` way."""
    width, height = fitting.size
    picture = window.crop(image)
    if fitting.fit == "crop" or picture.shape[:2] == (height, width):
        return fit_cover(picture, width, height)  # (a picture of exactly the thumbnail's size is itself)
    inner = _contain(picture, width, height)
    if inner.shape[:2] == (height, width):  # the picture has the thumbnail's shape: nothing around it shows
        return inner
    if fitting.fit == "pad":
        canvas: np.ndarray = np.zeros((height, width, *picture.shape[2:]), np.uint8)
    else:
        longer = max(width, height)
        small = fit_cover(picture, max(2, round(SURROUND_SIDE * width / longer)),
                          max(2, round(SURROUND_SIDE * height / longer)))
        blurred = _lifted(cv2.GaussianBlur(small, (0, 0), max(1.0, small.shape[1] / 24)))
        canvas = cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)
    y, x = (height - inner.shape[0]) // 2, (width - inner.shape[1]) // 2
    canvas[y:y + inner.shape[0], x:x + inner.shape[1]] = inner
    return canvas


def fit_cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to fill ``width`` x ``height`` and crop the overflow evenly."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    x, y = (size[0] - width) // 2, (size[1] - height) // 2
    return resized[y:y + height, x:x + width]


def _contain(image: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    size = (min(width, max(2, round(w * scale))), min(height, max(2, round(h * scale))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _lifted(background: np.ndarray) -> np.ndarray:
    """A blurred surround of a dark picture brightened until its brightest 2 % reach :data:`SURROUND_PEAK`
    grey (at most :data:`SURROUND_GAIN` times), and never darker than :data:`SURROUND_FLOOR`: a near-black
    surround would read as the very bars that were removed."""
    grey = background if background.ndim == 2 else cv2.cvtColor(background, cv2.COLOR_BGR2GRAY)
    peak = float(np.percentile(grey, 98))
    if peak < SURROUND_PEAK:
        background = cv2.convertScaleAbs(background, alpha=min(SURROUND_GAIN, SURROUND_PEAK / max(peak, 1.0)))
    return np.maximum(background, np.uint8(SURROUND_FLOOR))
