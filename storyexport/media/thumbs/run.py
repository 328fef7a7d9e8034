"""The pass every thumbnail method runs: plan -> decode -> measure -> pick, leaving only the writing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.frames import FrameDecoder, to_bgr
from storyexport.media.picture import PictureArea
from storyexport.media.probe import Probe
from storyexport.media.scores import Candidate
from storyexport.media.thumbs.decode import Decoded, decode_plan, fetch_full
from storyexport.media.thumbs.fit import Fitting, fit_picture
from storyexport.media.thumbs.measure import Measured, measure
from storyexport.media.thumbs.pick import Picks, mark_shots, pick
from storyexport.media.thumbs.plan import plan_candidates
from storyexport.media.thumbs.write import full_window


@dataclass
class Run:
    """One analysis of a video: what was decoded, measured and picked."""

    video: Path
    info: Probe
    decoder: FrameDecoder
    decoded: Decoded
    measured: Measured
    picks: Picks

    def fetch(self, candidates: Sequence[Candidate]) -> None:
        """Full-size frames of ``candidates`` (those the decode did not keep are decoded now, all at once)."""
        fetch_full(self.decoder, self.info, self.decoded, [c.timestamp for c in candidates])

    def fitted(self, candidate: Candidate) -> np.ndarray:
        """The candidate's window of its full-size frame, fitted to the thumbnail (see :meth:`fetch`)."""
        frame = to_bgr(self.decoded.full[candidate.timestamp])
        window = full_window(candidate.window, self.measured.area, self.decoder.small_size, self.decoder.full_size)
        return fit_picture(frame, window, self.measured.fitting)

    def picture_area(self) -> PictureArea:
        """The picture area in the video's displayed pixels."""
        return self.measured.area.scaled(self.decoder.small_size, self.decoder.full_size)


def analyse(video: Path, info: Probe, count: int, method: str, options: int, fitting: Fitting,
            extras: Sequence[float] = ()) -> Run:
    """``count`` candidates planned, decoded (with full-size frames at exactly ``extras``), measured as
    ``fitting`` will write them, and the best frame and ``options`` options picked by ``method``."""
    decoder = FrameDecoder.of(video, info)
    decoded = decode_plan(decoder, info, plan_candidates(video, info, count, extras), extras)
    if not decoded.moments:
        raise MediaError(f"{video.name}: no frames could be decoded")
    measured = measure(decoded.moments, fitting)
    mark_shots(measured)
    return Run(video, info, decoder, decoded, measured, pick(measured, options, info.duration, method))
