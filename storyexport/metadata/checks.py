"""Does the exported video meet a platform's ``video`` rules? One check record per limit, never an exception.

The probe is the media engine's dict: duration (s), width/height (px, as displayed: rotation already applied),
fps, video_codec, pix_fmt, audio_codec, audio_sample_rate (Hz), bitrate (bit/s), size (bytes), rotation, and
optionally format_name as ffprobe reports it ("mov,mp4,m4a,3gp,3g2,mj2"). A missing key is not a failure: its
check is recorded as skipped (``ok`` true, ``actual`` null) because an unknown value cannot be judged.
``audio_codec`` set to null means "no audio stream", which every platform accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from storyexport.config.rules_model import VideoRules
from storyexport.jsontypes import JSONValue

MEGABYTE = 1_000_000

Probe = Mapping[str, JSONValue]  # the media engine's probe dict (``media.probe.Probe.as_dict``), as JSON
Measured = float | int | str | None  # a probed value as a check reports it (None: not probed)
Limit = dict[str, float | None] | list[str] | list[int] | int | None  # a range {min, max}, accepted values, a cap
# What an adjustment notes: the variable shortened, lengths, the hashtags dropped, characters replaced and by what.
Detail = str | int | None | list[str] | dict[str, int] | dict[str, str]


class CheckDict(TypedDict):
    name: str
    ok: bool
    actual: Measured
    limit: Limit
    message: str


class AdjustmentDict(TypedDict):
    field: str
    action: str
    reason: str
    detail: dict[str, Detail]


@dataclass(frozen=True)
class Check:
    """One limit judged: written to a platform file's ``checks`` section in this field order."""

    name: str
    ok: bool
    actual: Measured
    limit: Limit
    message: str

    def as_dict(self) -> CheckDict:
        return {"name": self.name, "ok": self.ok, "actual": self.actual, "limit": self.limit, "message": self.message}


@dataclass(frozen=True)
class Adjustment:
    """A change made to fit a text to the platform (truncated, characters_replaced, hashtags_dropped, ...)."""

    field: str
    action: str
    reason: str
    detail: Mapping[str, Detail]

    def as_dict(self) -> AdjustmentDict:
        return {"field": self.field, "action": self.action, "reason": self.reason, "detail": dict(self.detail)}


def check(name: str, ok: bool, actual: Measured, limit: Limit, message: str) -> Check:
    return Check(name, bool(ok), actual, limit, message)


def failed_checks(checks: Mapping[str, object]) -> list[str]:
    """The message of every failed check, video and text alike, in a platform file's ``checks`` section (also
    one read back from a file, so every level is checked)."""
    return [str(item.get("message") or item.get("name", "?")) for group in ("video", "text")
            for item in _list(checks.get(group)) if isinstance(item, Mapping) and not item.get("ok", True)]


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def adjustment(field: str, action: str, reason: str, **detail: Detail) -> Adjustment:
    return Adjustment(field, action, reason, detail)


def _skipped(name: str, key: str, limit: Limit) -> Check:
    return check(name, True, None, limit, f"not checked: the probe has no '{key}'")


def _range_check(name: str, actual: float | None, low: float | None, high: float | None, unit: str,
                 key: str) -> Check | None:
    if low is None and high is None:
        return None
    limit = {"min": low, "max": high}
    if actual is None:
        return _skipped(name, key, limit)
    if low is not None and actual < low:
        return check(name, False, actual, limit, f"{name} {actual:g} {unit} is below the minimum {low:g} {unit}")
    if high is not None and actual > high:
        return check(name, False, actual, limit, f"{name} {actual:g} {unit} is above the maximum {high:g} {unit}")
    return check(name, True, actual, limit, f"{name} {actual:g} {unit} is within limits")


def _member_check(name: str, actual: Measured, allowed: list[str] | list[int] | None, key: str,
                  absent_ok: bool = False) -> Check | None:
    if not allowed:
        return None
    if actual is None:
        if absent_ok:
            return check(name, True, None, allowed, f"no {name} (no audio stream)")
        return _skipped(name, key, allowed)
    ok = actual in allowed
    verdict = "is accepted" if ok else f"is not accepted (accepted: {', '.join(map(str, allowed))})"
    return check(name, ok, actual, allowed, f"{name} {actual} {verdict}")


def _number(probe: Probe, key: str) -> float | None:
    value = probe.get(key)
    try:
        return float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None


def _container_check(probe: Probe, allowed: list[str] | None) -> Check | None:
    """ffprobe names a format family ("mov,mp4,m4a,..."); it passes if any accepted container is in it."""
    if not allowed:
        return None
    format_name = probe.get("format_name")
    if not format_name:
        return _skipped("container", "format_name", allowed)
    format_name = str(format_name)
    ok = bool(set(format_name.split(",")) & set(allowed))
    verdict = "is accepted" if ok else f"is not accepted (accepted: {', '.join(allowed)})"
    return check("container", ok, format_name, allowed, f"container {format_name} {verdict}")


def _scaled(value: float | None, divisor: float) -> float | None:
    return None if value is None else round(value / divisor, 3)


def video_checks(probe: Probe, spec: VideoRules) -> list[Check]:
    """Every applicable check of ``probe`` against a platform's ``video`` rules."""
    # The media engine reports width and height as displayed (rotation already applied).
    width, height = _number(probe, "width"), _number(probe, "height")
    candidates = [
        _range_check("duration", _number(probe, "duration"), spec.get("min_duration_s"),
                     spec.get("max_duration_s"), "s", "duration"),
        _range_check("width", width, spec.get("min_width"), spec.get("max_width"), "px", "width"),
        _range_check("height", height, spec.get("min_height"), spec.get("max_height"), "px", "height"),
        _range_check("fps", _number(probe, "fps"), spec.get("min_fps"), spec.get("max_fps"), "fps", "fps"),
        _member_check("video_codec", _text(probe, "video_codec"), spec.get("codecs"), "video_codec"),
        _member_check("pix_fmt", _text(probe, "pix_fmt"), spec.get("pix_fmts"), "pix_fmt"),
        _member_check("audio_codec", _text(probe, "audio_codec"), spec.get("audio_codecs"), "audio_codec",
                      absent_ok="audio_codec" in probe),
        _member_check("audio_sample_rate", _int_or_none(probe.get("audio_sample_rate")),
                      spec.get("audio_sample_rates"), "audio_sample_rate",
                      absent_ok="audio_codec" in probe and probe.get("audio_codec") is None),
        _range_check("file_size", _scaled(_number(probe, "size"), MEGABYTE), None, spec.get("max_file_size_mb"),
                     "MB", "size"),
        _range_check("bitrate", _scaled(_number(probe, "bitrate"), 1000), None, spec.get("max_bitrate_kbps"),
                     "kbit/s", "bitrate"),
        _container_check(probe, spec.get("containers")),
    ]
    return [item for item in candidates if item is not None]


def _text(probe: Probe, key: str) -> Measured:
    """A probed name (codec, pixel format) as reported; None when absent (or null: no audio stream)."""
    value = probe.get(key)
    return value if isinstance(value, str | int | float) else None


def _int_or_none(value: JSONValue) -> int | None:
    try:
        return int(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None
