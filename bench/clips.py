"""Benchmark media (generated once, cached under bench/out/media) and the plain-ffmpeg baselines.

Baselines are what the work costs without storyexport: one full decode (the physical floor for anything that must
look at every frame), a seed-style thumbnail set (one ffmpeg process per frame with output seeking), and a bare
ffmpeg transcode with the same size, filter and encoder settings as storyexport's conform step.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from timing import Measured, median_of, run_command

from storyexport.media.ffmpeg import ffmpeg_exe
from storyexport.media.samples import generate_sample


@dataclass(frozen=True)
class ClipSpec:
    """A generated clip: ``generate_sample`` arguments (keyframe every 2 s, H.264 + AAC)."""

    name: str
    duration: float
    width: int = 1080
    height: int = 1920
    seed: int = 1

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.duration:g}s-{self.width}x{self.height}-s{self.seed}.mp4"


def ensure_clip(media_dir: Path, spec: ClipSpec) -> Path:
    """The clip for ``spec``, generated on first use (same arguments give the same bytes, so caching is safe)."""
    path = media_dir / spec.filename
    if not path.is_file():
        media_dir.mkdir(parents=True, exist_ok=True)
        generate_sample(path, spec.duration, spec.width, spec.height, 30, spec.seed)
    return path


def full_decode(clip: Path, runs: int, threads: int | None = None) -> Measured:
    """``ffmpeg -i clip -f null -``: decode every video and audio frame once, nothing else."""
    argv = [ffmpeg_exe(), "-v", "error", "-nostdin"]
    if threads:
        argv += ["-threads", str(threads)]
    argv += ["-i", str(clip), "-f", "null", "-"]
    return median_of(lambda: run_command(argv), runs)


def keyframe_decode(clip: Path, runs: int) -> Measured:
    """``ffmpeg -skip_frame nokey -i clip -an -f null -``: decode only the keyframes (every 2 s here), the floor for
    a set whose candidates sit on keyframes instead of needing the frames between them."""
    argv = [ffmpeg_exe(), "-v", "error", "-nostdin", "-skip_frame", "nokey", "-i", str(clip), "-an", "-f", "null", "-"]
    return median_of(lambda: run_command(argv), runs)


def naive_frame_times(duration: float, num_candidates: int, timestamps: list[float], grid_tiles: int) -> list[float]:
    """The frames a seed-style generator extracts for one thumbnail set: the timestamps, every candidate and every
    grid tile (the same counts storyexport's default set uses)."""
    candidates = [duration * (i + 0.5) / num_candidates for i in range(num_candidates)]
    tiles = [duration * (0.07 + 0.86 * i / max(1, grid_tiles - 1)) for i in range(grid_tiles)]
    return [*timestamps, *candidates, *tiles]


def naive_thumbnails(clip: Path, out_dir: Path, times: list[float]) -> Measured:
    """One ffmpeg process per frame, seeking on the output side (``-i clip -ss T -frames:v 1``), as the guide did:
    each extraction decodes the clip from the start up to T."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    total = Measured(0.0)
    for index, time in enumerate(times):
        argv = [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-i", str(clip), "-ss", f"{time:.3f}",
                "-frames:v", "1", "-q:v", "2", str(out_dir / f"frame{index:03d}.jpg")]
        one = run_command(argv)
        total = Measured(total.seconds + one.seconds, total.cpu_seconds + one.cpu_seconds,
                         max(total.max_rss_mb, one.max_rss_mb))
    return total


def bare_transcode(clip: Path, target: Path, width: int = 1080, height: int = 1920) -> Measured:
    """Plain ffmpeg doing what the conform step does for a landscape clip: blur-pad to ``width`` x ``height``
    (the same filter graph), libx264 veryfast CRF 20, loudnorm, AAC 128k; no probing, checks or atomic write."""
    small_w, small_h = width // 8 // 2 * 2, height // 8 // 2 * 2
    blur_pad = (
        f"[0:v]fps=30,split[a][b];[a]scale={small_w}:{small_h}:force_original_aspect_ratio=increase,"
        f"crop={small_w}:{small_h},gblur=sigma={max(1.0, small_w / 24):g},scale={width}:{height}[bg];"
        f"[b]scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2[fg];"
        "[bg][fg]overlay=(W-w)/2:(H-h)/2,setsar=1,format=yuv420p[v]"
    )
    argv = [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-i", str(clip), "-filter_complex", blur_pad,
            "-map", "[v]", "-map", "0:a:0", "-af", "loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-g", "60",
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart", str(target)]
    return run_command(argv)
