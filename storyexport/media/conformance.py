"""Why a source cannot simply be stream-copied: pure checks of a :class:`Probe` against a :class:`TargetSpec`."""

from __future__ import annotations

from storyexport.media.probe import Probe
from storyexport.media.spec import OUTPUT_AUDIO_CODEC, OUTPUT_CODEC, OUTPUT_PIX_FMT, TargetSpec


def conformance_problems(probe: Probe, spec: TargetSpec) -> list[str]:
    """Reasons to transcode (empty = copy is allowed). Copy needs H.264 yuv420p at a constant in-range frame rate,
    portrait, no bigger than the options' size, no rotation tag, AAC audio, and every platform limit met."""
    problems = [*_stream_problems(probe, spec), *_geometry_problems(probe, spec), *_limit_problems(probe, spec)]
    if not spec.copy_if_conforming:
        problems.append("copying is disabled (video.copy_if_conforming: false)")
    return problems


def _stream_problems(probe: Probe, spec: TargetSpec) -> list[str]:
    problems = []
    if probe.video_codec != OUTPUT_CODEC:
        problems.append(f"video codec is {probe.video_codec}, not {OUTPUT_CODEC}")
    if probe.pix_fmt != OUTPUT_PIX_FMT:
        problems.append(f"pixel format is {probe.pix_fmt or 'unknown'}, not {OUTPUT_PIX_FMT}")
    if probe.is_hdr:
        problems.append(f"HDR ({probe.color_transfer}) is tone-mapped to SDR")
    if probe.variable_fps:
        problems.append(f"variable frame rate (average {probe.fps:g} fps)")
    if probe.audio_codec is None:
        problems.append("no audio track (a silent one is added)")
    elif probe.audio_codec != OUTPUT_AUDIO_CODEC:
        problems.append(f"audio codec is {probe.audio_codec}, not {OUTPUT_AUDIO_CODEC}")
    elif spec.audio_sample_rates and probe.audio_sample_rate not in spec.audio_sample_rates:
        problems.append(f"audio sample rate {probe.audio_sample_rate} Hz is not accepted by "
                        f"{spec.source_of('audio_sample_rates')}")
    return problems


def _geometry_problems(probe: Probe, spec: TargetSpec) -> list[str]:
    problems = []
    if probe.rotation:
        problems.append(f"rotated {probe.rotation} degrees by metadata")
    if probe.sample_aspect_ratio != "1:1":
        problems.append(f"non-square pixels (SAR {probe.sample_aspect_ratio})")
    if probe.width > probe.height:
        problems.append(f"landscape {probe.width}x{probe.height}")
    if probe.width > spec.width or probe.height > spec.height:
        problems.append(f"{probe.width}x{probe.height} does not fit in {spec.width}x{spec.height}")
    for key, value in (("min_width", probe.width), ("min_height", probe.height)):
        limit = getattr(spec, key)
        if limit is not None and value < limit:
            problems.append(f"{key.split('_')[1]} {value} is below {spec.source_of(key)}'s minimum {limit}")
    return problems


def _limit_problems(probe: Probe, spec: TargetSpec) -> list[str]:
    problems = []
    checks = (
        ("min_fps", probe.fps, "frame rate", "fps"),
        ("max_fps", probe.fps, "frame rate", "fps"),
        ("max_duration_s", probe.duration, "duration", "s"),
        ("max_file_size_mb", probe.size / 1e6, "file size", "MB"),
        ("max_bitrate_kbps", probe.bitrate / 1000, "bitrate", "kb/s"),
    )
    for key, value, label, unit in checks:
        limit = getattr(spec, key)
        if limit is None:
            continue
        if key.startswith("min") and value < limit:
            problems.append(f"{label} {value:g} {unit} is below {spec.source_of(key)}'s minimum {limit:g} {unit}")
        if key.startswith("max") and value > limit:
            problems.append(f"{label} {value:g} {unit} is above {spec.source_of(key)}'s maximum {limit:g} {unit}")
    return problems
