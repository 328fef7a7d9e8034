"""The export target: the manifest's video options combined with the strictest limits of the chosen platforms.

Pure (no ffmpeg), so the build can compute and show it before anything runs. Each limit remembers which platform
set it, so an error can say "youtube allows at most 179.5 s" instead of just "too long".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from storyexport.config.model import VideoOptions
from storyexport.config.rules_model import VideoRules
from storyexport.media.errors import MediaError

MINIMA = ("min_duration_s", "min_width", "min_height", "min_fps")
MAXIMA = ("max_duration_s", "max_width", "max_height", "max_fps", "max_file_size_mb", "max_bitrate_kbps")
LISTS = ("codecs", "pix_fmts", "audio_codecs", "audio_sample_rates", "containers")
LIMIT_KEYS = MINIMA + MAXIMA + LISTS

OUTPUT_CODEC = "h264"
OUTPUT_PIX_FMT = "yuv420p"
OUTPUT_AUDIO_CODEC = "aac"
# The highest bitrate any H.264 level allows (level 6.2's MaxBR, kbit/s). A cap above it constrains nothing an
# H.264 encode can produce, and as an x264 VBV its buffer (twice the cap, in bits) would overflow ffmpeg's
# 32-bit ``bufsize`` option: YouTube's 256 GB over 179.5 s alone gives 10.8 Gbit/s.
H264_MAX_KBPS = 800_000


class SpecError(MediaError):
    """The selected platforms' limits contradict each other or the video options."""


@dataclass(frozen=True)
class TargetSpec:
    """What an export must produce. Limits are ``None`` when no selected platform sets them; ``set_by`` maps each
    limit that is set to the platform that set it (sorted pairs, so the spec is hashable and stable)."""

    # defaults: the manifest's default video options, with no platform limits (``target_spec(VideoOptions(), {})``)
    width: int = VideoOptions.width
    height: int = VideoOptions.height
    fps: float = VideoOptions.fps
    fit: str = VideoOptions.fit
    crf: int = VideoOptions.crf
    preset: str = VideoOptions.preset
    audio_bitrate_kbps: int = VideoOptions.audio_bitrate
    audio_sample_rate: int = VideoOptions.audio_sample_rate
    loudnorm: bool = VideoOptions.loudnorm
    loudness_target: float = VideoOptions.loudness_target
    trim: bool = VideoOptions.trim
    copy_if_conforming: bool = VideoOptions.copy_if_conforming
    remove_bars: bool = VideoOptions.remove_bars
    video_bitrate_cap_kbps: float | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    min_width: int | None = None
    min_height: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    min_fps: float | None = None
    max_fps: float | None = None
    max_file_size_mb: float | None = None
    max_bitrate_kbps: float | None = None
    codecs: tuple[str, ...] | None = None
    pix_fmts: tuple[str, ...] | None = None
    audio_codecs: tuple[str, ...] | None = None
    audio_sample_rates: tuple[int, ...] | None = None
    containers: tuple[str, ...] | None = None
    platforms: tuple[str, ...] = ()
    set_by: tuple[tuple[str, str], ...] = ()

    def source_of(self, limit: str) -> str:
        """The platform that set ``limit`` ("the options" when the manifest's own video options set it)."""
        return dict(self.set_by).get(limit, "the video options")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["set_by"] = dict(self.set_by)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def target_spec(video: VideoOptions, platform_limits: Mapping[str, VideoRules]) -> TargetSpec:
    """Combine ``video`` options with each platform's ``video:`` limits (missing or null = no limit)."""
    limits, set_by = _strictest(platform_limits)
    _check_consistent(limits, set_by)
    width, height = _output_size(video, limits, set_by)
    spec = TargetSpec(
        width=width,
        height=height,
        fps=_output_fps(video.fps, limits),
        fit=video.fit,
        crf=video.crf,
        preset=video.preset,
        audio_bitrate_kbps=video.audio_bitrate,
        audio_sample_rate=_output_sample_rate(video.audio_sample_rate, limits.get("audio_sample_rates")),
        loudnorm=video.loudnorm,
        loudness_target=video.loudness_target,
        trim=video.trim,
        copy_if_conforming=video.copy_if_conforming,
        remove_bars=video.remove_bars,
        platforms=tuple(sorted(platform_limits)),
        set_by=tuple(sorted(set_by.items())),
        **limits,
    )
    _check_encodable(spec)
    return _with_bitrate_cap(spec, video.max_bitrate)


def _strictest(platform_limits: Mapping[str, VideoRules]) -> tuple[dict[str, Any], dict[str, str]]:
    limits: dict[str, Any] = {}
    set_by: dict[str, str] = {}
    for platform in sorted(platform_limits):
        section = platform_limits[platform] or {}
        for key in LIMIT_KEYS:
            value = section.get(key)
            if value is None:
                continue
            combined = _combine(key, limits.get(key), value)
            if combined != limits.get(key):
                limits[key] = combined
                set_by[key] = platform
    return limits, set_by


def _combine(key: str, current: Any, value: Any) -> Any:
    if key in LISTS:
        normalised = tuple(sorted({_list_item(key, item) for item in _as_list(value)}))
        return normalised if current is None else tuple(item for item in current if item in normalised)
    number = float(value) if "duration" in key or "fps" in key or "_mb" in key or "kbps" in key else int(value)
    if current is None:
        return number
    return max(current, number) if key in MINIMA else min(current, number)


def _as_list(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list | tuple) else [value]


def _list_item(key: str, item: Any) -> Any:
    return int(item) if key == "audio_sample_rates" else str(item).lower()


def _check_consistent(limits: dict[str, Any], set_by: dict[str, str]) -> None:
    for key in LISTS:
        if limits.get(key) == ():
            raise SpecError(f"the selected platforms accept no common {key.replace('_', ' ')} "
                            f"(last narrowed by {set_by[key]})")
    for low, high in (("min_duration_s", "max_duration_s"), ("min_width", "max_width"),
                      ("min_height", "max_height"), ("min_fps", "max_fps")):
        if low in limits and high in limits and limits[low] > limits[high]:
            raise SpecError(f"{set_by[low]} needs {low} {limits[low]:g} but {set_by[high]} allows "
                            f"{high} {limits[high]:g}")


def _output_size(video: VideoOptions, limits: dict[str, Any], set_by: dict[str, str]) -> tuple[int, int]:
    """The options' size, scaled down (keeping its shape) when a platform caps width or height."""
    width, height = int(video.width), int(video.height)
    factor = min(1.0, limits.get("max_width", width) / width, limits.get("max_height", height) / height)
    width, height = _even(width * factor), _even(height * factor)
    for key, value in (("min_width", width), ("min_height", height)):
        if key in limits and value < limits[key]:
            raise SpecError(f"video size {width}x{height} is below {set_by[key]}'s {key} {limits[key]}")
    return width, height


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _output_fps(fps: float, limits: dict[str, Any]) -> float:
    low, high = limits.get("min_fps", fps), limits.get("max_fps", fps)
    return float(min(max(fps, low), high))


def _output_sample_rate(rate: int, allowed: tuple[int, ...] | None) -> int:
    if not allowed or rate in allowed:
        return int(rate)
    return min(allowed, key=lambda candidate: (abs(candidate - rate), -candidate))


def _check_encodable(spec: TargetSpec) -> None:
    """storyexport always encodes H.264 yuv420p + AAC; a platform that refuses those cannot be served."""
    for key, produced in (("codecs", OUTPUT_CODEC), ("pix_fmts", OUTPUT_PIX_FMT),
                          ("audio_codecs", OUTPUT_AUDIO_CODEC)):
        allowed = getattr(spec, key)
        if allowed is not None and produced not in allowed:
            raise SpecError(f"{spec.source_of(key)} accepts only {', '.join(allowed)} for {key.replace('_', ' ')}; "
                            f"storyexport produces {produced}")


def _with_bitrate_cap(spec: TargetSpec, options_kbps: int) -> TargetSpec:
    """The video bitrate ceiling for transcodes: the options' ``max_bitrate``, the platforms' bitrate limit,
    and what still fits the file-size limit at the longest allowed duration, whichever is lowest; none when even
    the lowest is beyond what H.264 allows (:data:`H264_MAX_KBPS`), where the limit is meaningless."""
    caps = [float(options_kbps)] if options_kbps else []
    if spec.max_bitrate_kbps:
        caps.append(spec.max_bitrate_kbps - spec.audio_bitrate_kbps)
    if spec.max_file_size_mb and spec.max_duration_s:
        caps.append(spec.max_file_size_mb * 8000 * 0.95 / spec.max_duration_s - spec.audio_bitrate_kbps)
    meaningful = [cap for cap in caps if cap < H264_MAX_KBPS]
    cap = round(max(min(meaningful), 64.0), 1) if meaningful else None
    return replace(spec, video_bitrate_cap_kbps=cap)
