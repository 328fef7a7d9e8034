"""Exporting a story video: stream-copy a conforming source, otherwise transcode it to the target spec.

Writes go through :func:`storyexport.fsutil.atomic_path`, so a failed or interrupted export leaves nothing at the
target, and muxing is bit-exact (no encoder/version tags, no metadata), so the same input gives the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ffmpeg

from storyexport.fsutil import atomic_path
from storyexport.media.conformance import conformance_problems
from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import file_argument, run, thread_count
from storyexport.media.filters import fit_frame, square_pixels, tone_map_to_sdr
from storyexport.media.probe import Probe, probe
from storyexport.media.spec import SpecError, TargetSpec

if TYPE_CHECKING:
    from storyexport.media.picture import PictureArea

_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov"}
_STILL_IMAGE_FORMATS = ("image2", "image2pipe")  # and every "<codec>_pipe" image demuxer
_SDR_TAGS = {"color_primaries": "bt709", "color_trc": "bt709", "colorspace": "bt709"}
_BITEXACT = {"fflags": "+bitexact", "map_metadata": -1, "map_chapters": -1, "movflags": "+faststart"}


@dataclass(frozen=True)
class ExportResult:
    """``mode`` is "copy" or "transcode"; ``probe`` describes the written file; ``reasons`` why it was transcoded."""

    mode: str
    probe: Probe
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "probe": self.probe.as_dict(), "reasons": list(self.reasons)}


def export_video(source: Path, target: Path, spec: TargetSpec) -> ExportResult:
    """Write ``target`` from ``source``: copied with ``+faststart`` when it conforms, else transcoded (with
    ``spec.remove_bars``, a source with baked-in bars is transcoded from the picture inside them)."""
    source, target = Path(source), Path(target)
    container = _container_of(target, spec)
    info = probe(source)
    _check_is_video(source, info)
    _check_duration(source, info, spec)
    reasons = conformance_problems(info, spec)
    picture = _baked_in_picture(source, info) if spec.remove_bars else None
    if picture is not None:
        reasons.append(f"baked-in bars removed (video.remove_bars): picture {picture.width}x{picture.height} "
                       f"at {picture.x},{picture.y}")
    with atomic_path(target) as tmp:
        if reasons:
            _transcode(source, tmp, info, spec, container, picture)
            result = probe(tmp)
        else:
            result = _copied_probe(info, tmp, _copy(source, tmp, container))
        _check_complete(source, info, result, spec)
        _check_file_size(source, result, spec)
    return ExportResult(mode="transcode" if reasons else "copy", probe=result, reasons=reasons)


def _container_of(target: Path, spec: TargetSpec) -> str:
    container = _CONTAINERS.get(target.suffix.lower())
    if container is None:
        raise SpecError(f"{target.name}: cannot write a {target.suffix or 'suffix-less'} file (use .mp4 or .mov)")
    if spec.containers is not None and container not in spec.containers:
        raise SpecError(f"{target.name}: {spec.source_of('containers')} accepts only {', '.join(spec.containers)}")
    return container


def _check_is_video(source: Path, info: Probe) -> None:
    """ffmpeg reads a still image (say, a PNG renamed .mp4) as a one-frame "video" of 0.04 s; refuse it."""
    if info.format_name in _STILL_IMAGE_FORMATS or info.format_name.endswith("_pipe"):
        raise MediaError(f"story source {source.name} is a still image ({info.video_codec}), not a video")


def _check_duration(source: Path, info: Probe, spec: TargetSpec) -> None:
    if spec.max_duration_s is not None and info.duration > spec.max_duration_s and not spec.trim:
        raise MediaError(f"story source {source.name} is {info.duration:.1f} s; {spec.source_of('max_duration_s')} "
                         f"allows at most {spec.max_duration_s:g} s (set video.trim: true to cut it)")
    if spec.min_duration_s is not None and info.duration < spec.min_duration_s:
        raise MediaError(f"story source {source.name} is {info.duration:.1f} s; {spec.source_of('min_duration_s')} "
                         f"needs at least {spec.min_duration_s:g} s")


def _check_complete(source: Path, info: Probe, result: Probe, spec: TargetSpec) -> None:
    """A damaged source (say, cut off mid-download with its index intact) exports "successfully" but short."""
    expected = min(info.duration, spec.max_duration_s) if spec.max_duration_s is not None else info.duration
    if result.duration < expected - max(0.5, 0.05 * expected):
        raise MediaError(f"story source {source.name} looks truncated or damaged: only {result.duration:.1f} s "
                         f"of {expected:.1f} s could be read")


def _check_file_size(source: Path, result: Probe, spec: TargetSpec) -> None:
    if spec.max_file_size_mb is not None and result.size > spec.max_file_size_mb * 1e6:
        raise MediaError(f"story source {source.name} exports to {result.size / 1e6:.1f} MB; "
                         f"{spec.source_of('max_file_size_mb')} allows at most {spec.max_file_size_mb:g} MB "
                         "(lower video.max_bitrate or raise video.crf)")


def _baked_in_picture(source: Path, info: Probe) -> PictureArea | None:
    """The picture inside the source's baked-in bars, in displayed pixels; ``None`` when it has no bars."""
    from storyexport.media.picture import detect_picture_area  # OpenCV: only when bars are to be removed

    area = detect_picture_area(source, info=info)
    return None if area.is_full(info.width, info.height) else area


def _copy(source: Path, tmp: Path, container: str) -> float:
    """Stream-copy; returns how many seconds were copied (``-progress``), so a cut-off source shows."""
    inp = ffmpeg.input(file_argument(source))
    out = ffmpeg.output(inp["v:0"], inp["a:0"], file_argument(tmp), c="copy", f=container, **_BITEXACT)
    done = run(out.overwrite_output().global_args("-progress", "pipe:1"), source, "cannot copy")
    copied = re.findall(r"^out_time_us=(\d+)$", done.stdout.decode("utf-8", "replace"), re.M)
    return int(copied[-1]) / 1e6 if copied else 0.0


def _copied_probe(info: Probe, tmp: Path, copied: float) -> Probe:
    """A stream copy has the source's streams, so its probe is the source's with the new size (no second
    probe); the duration is the copied one only when the copy came out clearly short (a damaged source)."""
    duration = info.duration if copied <= 0 or copied >= info.duration - max(0.5, 0.05 * info.duration) else copied
    size = tmp.stat().st_size
    bitrate = round(size * 8 / duration) if duration > 0 else info.bitrate
    return replace(info, duration=duration, size=size, bitrate=bitrate)


def _transcode(source: Path, tmp: Path, info: Probe, spec: TargetSpec, container: str,
               picture: PictureArea | None = None) -> None:
    threads = thread_count()
    inp = ffmpeg.input(file_argument(source), threads=threads)
    source_video = inp["v:0"].filter("fps", spec.fps)
    if info.is_hdr:
        source_video = tone_map_to_sdr(source_video)
    if info.sample_aspect_ratio != "1:1":
        source_video = square_pixels(source_video)
    if picture is not None:  # displayed pixels: after rotation (ffmpeg's autorotate) and square pixels
        source_video = source_video.filter("crop", picture.width, picture.height, picture.x, picture.y)
    video = (
        fit_frame(source_video, spec.width, spec.height, spec.fit)
        .filter("scale", out_range="tv")  # full-range sources (MJPEG, phones) would otherwise stay yuvj420p
        .filter("format", "yuv420p")
    )
    duration = min(info.duration, spec.max_duration_s) if spec.max_duration_s is not None else info.duration
    audio = _audio(inp, info, spec, duration)
    colour = _SDR_TAGS if info.is_hdr else {}
    out = ffmpeg.output(video, audio, file_argument(tmp), f=container, t=f"{duration:.3f}", threads=threads,
                        **_video_codec_args(spec), **_audio_codec_args(spec), **colour, **_BITEXACT)
    run(out.overwrite_output(), source, "cannot transcode")


def _audio(inp: Any, info: Probe, spec: TargetSpec, duration: float) -> Any:
    if not info.has_audio:
        layout = f"anullsrc=r={spec.audio_sample_rate}:cl=stereo"
        return ffmpeg.input(layout, f="lavfi", t=f"{duration:.3f}").audio
    audio = inp["a:0"]
    if spec.loudnorm:
        audio = audio.filter("loudnorm", i=spec.loudness_target, tp=-1.5, lra=11)
    return audio.filter("aresample", spec.audio_sample_rate)


def _video_codec_args(spec: TargetSpec) -> dict[str, Any]:
    gop = max(1, round(spec.fps * 2))
    args: dict[str, Any] = {
        "c:v": "libx264", "crf": spec.crf, "preset": spec.preset, "pix_fmt": "yuv420p", "profile:v": "high",
        "g": gop, "keyint_min": gop, "sc_threshold": 0, "flags:v": "+cgop+bitexact", "fps_mode": "cfr",
        "r": spec.fps,
    }
    if spec.video_bitrate_cap_kbps:
        args["maxrate"] = f"{spec.video_bitrate_cap_kbps:g}k"
        args["bufsize"] = f"{spec.video_bitrate_cap_kbps * 2:g}k"
    return args


def _audio_codec_args(spec: TargetSpec) -> dict[str, Any]:
    return {"c:a": "aac", "b:a": f"{spec.audio_bitrate_kbps}k", "ar": spec.audio_sample_rate, "ac": 2,
            "flags:a": "+bitexact"}
