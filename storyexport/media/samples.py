"""Deterministic sample clips for demos, tests and benchmarks: motion, a blurred stretch, a black fade, audio.

Layout over the duration D (the seed shifts colours, tone and positions a little):
sharp motion, then a Gaussian-blurred stretch around 30-45 % of D, sharp again, a fade to black around 70 %,
black, then a fade back in for the last part. H.264 yuv420p + AAC, a keyframe every 2 s, bit-exact muxing.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import ffmpeg

from storyexport.fsutil import atomic_path
from storyexport.media.ffmpeg import file_argument, run, thread_count

SAMPLE_RATE = 48000
_SHRINK = 3  # draw at a third of the size, enlarge with hard edges: same look, a fraction of the cost


class Span(NamedTuple):
    """A stretch of a clip, in seconds."""

    start: float
    end: float


def sample_sections(duration: float, seed: int = 0) -> dict[str, Span]:
    """Where the blurred and black stretches of a sample lie, so tests and demos can check picks."""
    shift = (seed % 5) * 0.01 * duration
    fade_out = 0.68 * duration + shift
    return {"blur": _span(0.30 * duration + shift, 0.45 * duration + shift),
            "black": _span(fade_out, fade_out + 0.12 * duration)}


def generate_sample(target: Path, duration: float = 8, width: int = 1080, height: int = 1920, fps: float = 30,
                    seed: int = 0, keyframe_every: float = 2.0) -> Path:
    """Write a sample clip to ``target`` (atomically) and return ``target``; same arguments -> same bytes."""
    target = Path(target)
    sections = sample_sections(duration, seed)
    fade = max(0.05, min(0.5, 0.05 * duration))
    blur, black = sections["blur"], sections["black"]
    small_w, small_h = max(16, width // _SHRINK // 2 * 2), max(16, height // _SHRINK // 2 * 2)
    video = (
        ffmpeg.input(f"testsrc2=size={small_w}x{small_h}:rate={fps:g}:duration={duration:g}", f="lavfi")
        .filter("hue", H=f"{seed * 0.8:.1f}+2*PI*t/{duration:g}")
        .filter("fade", type="out", start_time=black.start - fade, duration=fade, enable=f"lt(t,{black.end})")
        .filter("fade", type="in", start_time=black.end, duration=fade, enable=f"gte(t,{black.start})")
        .filter("scale", width, height, flags="neighbor")
        .filter("setsar", 1)  # the small canvas is rounded to even sides: keep pixels square regardless
        .filter("format", "yuv420p")
        .filter("boxblur", luma_radius=max(2, width // 60), luma_power=2,
                enable=f"between(t,{blur.start},{blur.end})")
    )
    tone = ffmpeg.input(f"sine=frequency={330 + 55 * (seed % 7)}:sample_rate={SAMPLE_RATE}:duration={duration:g}",
                        f="lavfi")
    gop = max(1, round(fps * keyframe_every))
    with atomic_path(target) as tmp:
        out = ffmpeg.output(
            video, tone, file_argument(tmp), f="mp4", t=f"{duration:g}", threads=thread_count(),
            **{"c:v": "libx264", "preset": "ultrafast", "crf": 28, "pix_fmt": "yuv420p", "g": gop,
               "keyint_min": gop, "sc_threshold": 0, "flags:v": "+bitexact", "c:a": "aac", "b:a": "96k",
               "flags:a": "+bitexact", "fflags": "+bitexact", "map_metadata": -1, "movflags": "+faststart"},
        )
        run(out.overwrite_output(), target, "cannot generate sample")
    return target


def _span(start: float, end: float) -> Span:
    return Span(round(start, 3), round(end, 3))
