"""What other tools pick as a video's thumbnail, run on the same clips as storyexport.

- ffmpeg's ``thumbnail`` filter as people use it (``-vf thumbnail -frames:v 1``: the most typical frame of the
  first batch of 100);
- the frame at 50 % of the duration (what many upload tools show);
- vcsi (``pip install vcsi``, the ``bench`` extra) asked for one frame and for a 5x1 sheet, each from 30 samples
  (``-g 1x1 -s 30``, ``-g 5x1 -s 30``: as many candidates as storyexport scores). vcsi samples evenly between 7 %
  and 93 %, keeps the sharpest of each of 5 time groups by its FFT blur score, then orders them by colour variety;
  its first frame is its best.
  vcsi asks ``ffprobe`` for the clip's facts; pip installs have no ffprobe, so those facts come from storyexport's
  probe (one overridden method), and vcsi's captures use storyexport's ffmpeg. Frame choice is vcsi's own code.

Each peer returns the times it picked and the images it wrote (as the tool writes them: full frames, bars kept).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from storyexport.media.ffmpeg import ffmpeg_exe
from storyexport.media.probe import Probe, probe

_PTS = re.compile(r"pts_time:\s*(-?[\d.]+)")
VCSI_SAMPLES, VCSI_GROUPS = 30, 5


@dataclass
class Pick:
    """A peer's answer: ``times`` picked (best first) and the image files written for them."""

    times: list[float]
    paths: list[Path]
    seconds: float = 0.0
    note: str = ""
    options: list[float] = field(default_factory=list)
    option_paths: list[Path] = field(default_factory=list)


def ffmpeg_thumbnail(clip: Path, out: Path) -> Pick:
    argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-i", str(clip), "-an", "-vf", "thumbnail,showinfo",
            "-frames:v", "1", "-q:v", "2", str(out)]
    done = subprocess.run(argv, capture_output=True, check=True)
    times = [float(t) for t in _PTS.findall(done.stderr.decode("utf-8", "replace"))]
    return Pick(times[-1:], [out], note="thumbnail filter, first batch of 100 frames")


def frame_at_half(clip: Path, info: Probe, out: Path) -> Pick:
    time = info.duration / 2
    argv = [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-ss", f"{time:.3f}", "-i", str(clip), "-an",
            "-frames:v", "1", "-q:v", "2", str(out)]
    subprocess.run(argv, capture_output=True, check=True)
    return Pick([time], [out])


def vcsi_available() -> str:
    """Empty when vcsi can run here, else why not."""
    try:
        import vcsi.vcsi  # noqa: F401
    except ImportError as exc:
        return f"vcsi not installed ({exc.name}): pip install -e '.[bench]'"
    return ""


def _ffprobe_facts(info: Probe, path: Path) -> dict[str, Any]:
    """The few ffprobe fields vcsi reads, from storyexport's probe."""
    stream = {"codec_type": "video", "width": info.width, "height": info.height, "duration": str(info.duration),
              "sample_aspect_ratio": "1:1", "codec_name": info.video_codec,
              "avg_frame_rate": str(Fraction(info.fps).limit_denominator(1001))}
    return {"streams": [stream], "format": {"duration": str(info.duration), "filename": str(path),
                                            "size": str(path.stat().st_size)}}


@contextlib.contextmanager
def _ffmpeg_on_path() -> Iterator[None]:
    """vcsi runs ``ffmpeg`` from PATH: put storyexport's binary there for the duration."""
    with tempfile.TemporaryDirectory(prefix="vcsi-bin-") as folder:
        (Path(folder) / "ffmpeg").symlink_to(ffmpeg_exe())
        old = os.environ.get("PATH", "")
        os.environ["PATH"] = f"{folder}{os.pathsep}{old}"
        try:
            yield
        finally:
            os.environ["PATH"] = old


def _vcsi_select(clip: Path, info: Probe, count: int, samples: int | None) -> list[Any]:
    """vcsi's selection for a ``count`` x 1 sheet from ``samples`` samples in :data:`VCSI_GROUPS` groups (its
    ``process_file`` sets 5; the selection may hold more frames than the sheet: the sheet shows the first
    ``count``). ``None``: vcsi's defaults, which take as many samples (and groups) as the sheet has tiles."""
    from vcsi import vcsi

    class Probed(vcsi.MediaInfo):
        def probe_media(self, path: str) -> None:
            self.ffprobe_dict = _ffprobe_facts(info, Path(path))

    args = SimpleNamespace(grid=vcsi.Grid(count, 1), vcs_width=vcsi.DEFAULT_CONTACT_SHEET_WIDTH,
                           grid_horizontal_spacing=vcsi.DEFAULT_GRID_HORIZONTAL_SPACING, manual_timestamps=None,
                           fast=False, num_samples=samples or count,
                           num_groups=VCSI_GROUPS if samples else count, num_selected=count,
                           start_delay_percent=vcsi.DEFAULT_START_DELAY_PERCENT,
                           end_delay_percent=vcsi.DEFAULT_END_DELAY_PERCENT, interval=None)
    with _ffmpeg_on_path(), contextlib.redirect_stdout(io.StringIO()):
        media = Probed(str(clip))
        capture = vcsi.MediaCapture(str(clip), accurate=False)
        selected, captured = vcsi.select_sharpest_images(media, capture, args)
    selected = selected[:count]
    kept = {frame.filename for frame in selected}
    for frame in captured:
        if frame.filename not in kept:
            Path(frame.filename).unlink(missing_ok=True)
    return selected


def vcsi_picks(clip: Path, out_dir: Path, samples: int | None = VCSI_SAMPLES) -> Pick:
    """vcsi's one-frame pick and its 5x1 sheet's frames (as its 5 options), each of ``samples`` samples
    (``None``: vcsi's defaults, one sample a tile)."""
    info = probe(clip)
    one = _vcsi_select(clip, info, 1, samples)[0]
    five = sorted(_vcsi_select(clip, info, 5, samples), key=lambda frame: frame.timestamp)
    prefix = "vcsi" if samples else "vcsi-defaults"
    best, option_paths = out_dir / f"{prefix}-best.bmp", []
    os.replace(one.filename, best)
    for index, frame in enumerate(five):
        option_paths.append(out_dir / f"{prefix}-option{index + 1}.bmp")
        os.replace(frame.filename, option_paths[-1])
    note = (f"vcsi -g 1x1 -s {samples} (best) and -g 5x1 -s {samples} (options)" if samples else
            "vcsi -g 1x1 (best: one sample) and -g 5x1 (options: five samples), its defaults")
    return Pick([float(one.timestamp)], [best], options=[float(f.timestamp) for f in five],
                option_paths=option_paths, note=note)
