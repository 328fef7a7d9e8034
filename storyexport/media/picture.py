"""The active picture of a video: the rectangle inside baked-in black bars (letterbox, pillarbox, windowbox).

Like ffmpeg's ``cropdetect``, but over several frames at once: a row (or column) belongs to the picture when,
in at least one sampled frame, a high percentile of its luma rises above a low threshold. Taking the maximum
over frames keeps dark scenes and fades from eating into the picture (a night shot still has a few bright
pixels in most rows of some frame), while a bar is dark in every frame. Only leading and trailing runs of dark
rows and columns count as bars, so a dark stripe inside the picture never splits it. Sides are snapped inwards
to even pixels (what yuv420p crops need), so no remnant of a bar is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from storyexport.media.frames import analysis_size, grab_small
from storyexport.media.probe import Probe, probe

BAR_LUMA = 10.0  # a bar's rows/columns stay at or below this grey level in every frame (cropdetect's limit 24 of
# TV-range Y is about 9 on the full-range grey OpenCV decodes to; encoded bars sit at 0-3)
BAR_PERCENTILE = 98.0  # high percentile of a row or column: a few bright pixels make it picture
MIN_PICTURE_SHARE = 0.2  # a "picture" narrower or shorter than this share of the frame is no detection
MIN_BAR_SHARE = 0.005  # bars thinner than this share of a side are edge noise, not bars
SAMPLE_FRAMES = 8  # frames :func:`detect_picture_area` samples


@dataclass(frozen=True)
class PictureArea:
    """The active picture, in pixels of the frames it was found on (see :meth:`scaled` for other sizes)."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def full(cls, width: int, height: int) -> PictureArea:
        return cls(0, 0, int(width), int(height))

    def is_full(self, width: int, height: int) -> bool:
        """True when the picture fills a ``width`` x ``height`` frame (no bars)."""
        return (self.x, self.y, self.width, self.height) == (0, 0, int(width), int(height))

    def as_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    def crop(self, frame: np.ndarray) -> np.ndarray:
        """The picture part of a numpy frame (a view, no copy) of the size this area was measured on."""
        return frame[self.y:self.y + self.height, self.x:self.x + self.width]

    def bar_share(self, width: int, height: int) -> float:
        """Share of a ``width`` x ``height`` frame covered by bars."""
        return 1.0 - (self.width * self.height) / max(1, width * height)

    def scaled(self, source: tuple[int, int], target: tuple[int, int]) -> PictureArea:
        """This area, found on ``source`` (width, height) frames, in pixels of ``target`` frames: sides move
        inwards when they fall between pixels (never a bar pixel in the picture), and a full area stays full."""
        (sw, sh), (tw, th) = source, target
        if self.is_full(sw, sh):
            return PictureArea.full(tw, th)
        fx, fy = tw / max(1, sw), th / max(1, sh)
        left = _inward_start(self.x * fx, self.x == 0)
        top = _inward_start(self.y * fy, self.y == 0)
        right = _inward_end((self.x + self.width) * fx, tw, self.x + self.width >= sw)
        bottom = _inward_end((self.y + self.height) * fy, th, self.y + self.height >= sh)
        return PictureArea(left, top, max(2, right - left), max(2, bottom - top))


def _inward_start(value: float, at_edge: bool) -> int:
    """A left/top side in scaled pixels, rounded inwards (and to even, for yuv420p)."""
    if at_edge:
        return 0
    start = int(np.ceil(value - 1e-6))
    return start + start % 2


def _inward_end(value: float, limit: int, at_edge: bool) -> int:
    if at_edge:
        return limit
    end = int(np.floor(value + 1e-6))
    return end - end % 2


def picture_area_of_frames(frames: Sequence[np.ndarray]) -> PictureArea:
    """The picture shared by ``frames`` (same-size BGR or grey frames of one video): leading and trailing rows
    and columns that stay dark in every frame are bars. All frames dark, or too little picture left: the whole
    frame (better no crop than a wrong one)."""
    if not frames:
        raise ValueError("picture_area_of_frames needs at least one frame")
    height, width = frames[0].shape[:2]
    grays = [_gray(frame) for frame in frames]
    top, bottom = _picture_span(np.max([np.percentile(g, BAR_PERCENTILE, axis=1) for g in grays], axis=0))
    # columns are judged on the picture's rows only, so letterbox bars do not dilute a dark picture column
    left, right = _picture_span(np.max([np.percentile(g[top:max(bottom, top + 1)], BAR_PERCENTILE, axis=0)
                                        for g in grays], axis=0))
    if bottom - top < MIN_PICTURE_SHARE * height or right - left < MIN_PICTURE_SHARE * width:
        return PictureArea.full(width, height)
    top, bottom = _ignore_thin(top, bottom, height)
    left, right = _ignore_thin(left, right, width)
    area = PictureArea(left, top, right - left, bottom - top)
    return area.scaled((width, height), (width, height)) if not area.is_full(width, height) else area


def _gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame


def _picture_span(profile: np.ndarray) -> tuple[int, int]:
    """First and one-past-last index above the bar threshold (0, 0 when none is)."""
    bright = np.flatnonzero(profile > BAR_LUMA)
    if bright.size == 0:
        return 0, 0
    return int(bright[0]), int(bright[-1]) + 1


def _ignore_thin(start: int, end: int, size: int) -> tuple[int, int]:
    """Bars thinner than :data:`MIN_BAR_SHARE` of the side are kept as picture (edge noise, not a bar)."""
    thin = max(1, round(MIN_BAR_SHARE * size))
    return (0 if start < thin else start), (size if size - end < thin else end)


def detect_picture_area(source: Path, times: Sequence[float] | None = None, info: Probe | None = None) -> PictureArea:
    """The picture area of a video file in its displayed pixels (what :func:`storyexport.media.probe.probe`
    reports), from :data:`SAMPLE_FRAMES` small frames spread evenly over it (or at ``times``); ``info``: its
    probe when the caller has one. For callers with no decoded frames of their own (the export)."""
    info = info if info is not None else probe(Path(source))
    wanted = list(times) if times is not None else [
        round(info.duration * (i + 0.5) / SAMPLE_FRAMES, 4) for i in range(SAMPLE_FRAMES)]
    frames = grab_small(Path(source), info, wanted)
    if not frames:
        return PictureArea.full(info.width, info.height)
    area = picture_area_of_frames([frames[t] for t in sorted(frames)])
    return area.scaled(analysis_size(info.width, info.height), (info.width, info.height))
