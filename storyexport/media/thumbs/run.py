"""The pass every thumbnail method runs: plan -> decode -> measure -> pick, leaving only the writing."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from storyexport.media.errors import MediaError
from storyexport.media.frames import FrameDecoder, to_bgr
from storyexport.media.keyframes import parallel_workers
from storyexport.media.picture import PictureArea
from storyexport.media.probe import Probe
from storyexport.media.scores import Candidate, dhash
from storyexport.media.thumbs.decode import Decoded, decode_plan, fetch_full
from storyexport.media.thumbs.fit import Fitting, Window, fit_picture, full_window
from storyexport.media.thumbs.measure import Measured, measure
from storyexport.media.thumbs.pick import Picks, mark_shots, pick
from storyexport.media.thumbs.plan import plan_candidates
from storyexport.media.thumbs.write import encode_jpeg


@dataclass
class Thumbnails:
    """Candidates' full-size frames fitted and encoded as the thumbnails are written (JPEG ``quality``): the
    options' JPEGs are made when they are hashed as written (:meth:`hash_as_written`) and kept for the writing."""

    info: Probe
    decoder: FrameDecoder
    decoded: Decoded
    measured: Measured
    quality: int
    jpegs: dict[tuple[float, Window | None], bytes] = field(default_factory=dict)

    def fetch(self, candidates: Sequence[Candidate]) -> None:
        """Full-size frames of ``candidates`` (those the decode did not keep are decoded now, all at once)."""
        fetch_full(self.decoder, self.info, self.decoded, [c.timestamp for c in candidates])

    def fitted(self, candidate: Candidate) -> np.ndarray:
        """The candidate's window of its full-size frame, fitted to the thumbnail (see :meth:`fetch`)."""
        window = full_window(candidate.window, self.measured.area, self.decoder.small_size, self.decoder.full_size)
        return fit_picture(to_bgr(self.decoded.full[candidate.timestamp]), window, self.measured.fitting)

    def jpeg(self, candidate: Candidate) -> bytes:
        """The candidate's thumbnail as written (see :meth:`fetch`)."""
        done = self.jpegs.get((candidate.timestamp, candidate.window))
        return done if done is not None else encode_jpeg(self.fitted(candidate), self.quality, candidate.timestamp)

    def hash_as_written(self, candidates: Sequence[Candidate]) -> None:
        """Each candidate's dHash on its thumbnail as written, JPEG and all: the small frame's copy differs by
        a grey level or more a cell (the colour conversion clips in shadows, a crop window lands a pixel
        apart, the JPEG moves dim flat cells), enough to flip bits near a tie."""
        self.fetch(candidates)
        with ThreadPoolExecutor(max_workers=parallel_workers()) as pool:  # OpenCV releases the GIL
            found = list(pool.map(self._written_hash, candidates))
        for candidate, (data, hashed) in zip(candidates, found, strict=True):
            self.jpegs[(candidate.timestamp, candidate.window)] = data
            candidate.dhash = hashed

    def _written_hash(self, candidate: Candidate) -> tuple[bytes, int]:
        data = self.jpeg(candidate)
        return data, dhash(np.asarray(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)))

    def keep_only(self, candidates: Sequence[Candidate]) -> None:
        kept = {(c.timestamp, c.window) for c in candidates}
        self.jpegs = {k: v for k, v in self.jpegs.items() if k in kept}


@dataclass
class Run:
    """One analysis of a video: what was picked, and the thumbnails that hold what was decoded and measured."""

    video: Path
    picks: Picks
    thumbnails: Thumbnails

    @property
    def info(self) -> Probe:
        return self.thumbnails.info

    @property
    def decoder(self) -> FrameDecoder:
        return self.thumbnails.decoder

    @property
    def decoded(self) -> Decoded:
        return self.thumbnails.decoded

    @property
    def measured(self) -> Measured:
        return self.thumbnails.measured

    def fetch(self, candidates: Sequence[Candidate]) -> None:
        """Full-size frames of ``candidates`` (those the decode did not keep are decoded now, all at once)."""
        self.thumbnails.fetch(candidates)

    def jpeg(self, candidate: Candidate) -> bytes:
        """The candidate's thumbnail, fitted and encoded (see :meth:`fetch`)."""
        return self.thumbnails.jpeg(candidate)

    def picture_area(self) -> PictureArea:
        """The picture area in the video's displayed pixels."""
        return self.measured.area.scaled(self.decoder.small_size, self.decoder.full_size)


def analyse(video: Path, info: Probe, count: int, method: str, options: int, fitting: Fitting,
            extras: Sequence[float] = (), *, quality: int) -> Run:
    """``count`` candidates planned, decoded (with full-size frames at exactly ``extras``), measured as
    ``fitting`` will write them (JPEG ``quality``), and the best frame and ``options`` options picked by
    ``method``."""
    decoder = FrameDecoder.of(video, info)
    decoded = decode_plan(decoder, info, plan_candidates(video, info, count, extras), extras)
    if not decoded.moments:
        raise MediaError(f"{video.name}: no frames could be decoded")
    measured = measure(decoded.moments, fitting)
    mark_shots(measured)
    thumbnails = Thumbnails(info, decoder, decoded, measured, quality)
    picks = pick(measured, options, info.duration, method, thumbnails.hash_as_written)
    thumbnails.keep_only(picks.options)
    return Run(video, picks, thumbnails)
