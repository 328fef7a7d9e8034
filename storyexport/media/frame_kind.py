"""The two kinds of decoded frame, defined once for the decoder and the thumbnail steps."""

from __future__ import annotations

from enum import StrEnum


class FrameKind(StrEnum):
    """``SMALL``: the analysis size (about 270x480, see :func:`frames.analysis_size`) as BGR, what every score is
    measured on; ``FULL``: the written size (the displayed size, even sides) as I420 planes, what thumbnails are
    cut from."""

    SMALL = "small"
    FULL = "full"

    @property
    def pix_fmt(self) -> str:
        """The pixel format libav converts frames of this kind to."""
        return "bgr24" if self is FrameKind.SMALL else "yuv420p"
