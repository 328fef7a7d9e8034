"""What a media file contains: :func:`probe` returns a frozen :class:`Probe`.

ffprobe is used when present; otherwise the stream dump ``ffmpeg -i FILE`` prints is parsed, and a quick
stream-copy pass to the null muxer fills in a missing duration or frame rate. Both paths give the same fields, so
a pip-only install (imageio-ffmpeg, no ffprobe) works.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import ffmpeg

from storyexport.media.errors import MediaError
from storyexport.media.ffmpeg import ffprobe_exe, file_argument, media_error, run

_FLOAT_DIGITS = 4
HDR_TRANSFERS = ("smpte2084", "arib-std-b67")


@dataclass(frozen=True)
class Probe:
    """Facts about one file. ``width``/``height`` are as displayed (after rotation); ``rotation`` is ffprobe's
    display-matrix angle (counter-clockwise degrees, one of 0, 90, -90, 180); ``bitrate`` is bits per second;
    ``variable_fps`` is true when the average rate differs from the stream's base rate; ``color_transfer`` is
    the transfer characteristic when tagged ("smpte2084" and "arib-std-b67" mean HDR); with non-square pixels
    (``sample_aspect_ratio`` other than "1:1") ``width`` is already the displayed width."""

    duration: float
    width: int
    height: int
    fps: float
    video_codec: str
    pix_fmt: str
    audio_codec: str | None
    audio_sample_rate: int | None
    audio_channels: int | None
    bitrate: int
    size: int
    rotation: int
    format_name: str
    variable_fps: bool = False
    color_transfer: str = ""
    sample_aspect_ratio: str = "1:1"

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    @property
    def is_hdr(self) -> bool:
        return self.color_transfer in HDR_TRANSFERS

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, _FLOAT_DIGITS) if isinstance(v, float) else v for k, v in asdict(self).items()}


def probe(path: Path) -> Probe:
    """Probe ``path``; any problem (missing, empty, not a video, unreadable) is a one-line MediaError."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path.name}: no such file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name}: file is empty (0 bytes)")
    tool = ffprobe_exe()
    return probe_with_ffprobe(path, tool) if tool else probe_with_ffmpeg(path)


# --- ffprobe -------------------------------------------------------------------------------------------------


def probe_with_ffprobe(path: Path, tool: str) -> Probe:
    try:
        info = ffmpeg.probe(file_argument(path), cmd=tool)
    except ffmpeg.Error as exc:
        raise media_error(path, "cannot read media", exc.stderr or b"") from None
    except OSError as exc:
        raise MediaError(f"{path.name}: cannot run ffprobe ({exc})") from None
    result = from_ffprobe_json(info, path)
    return _fill_from_copy_pass(path, result) if result.duration <= 0 or result.fps <= 0 else result


def from_ffprobe_json(info: dict[str, Any], path: Path) -> Probe:
    """A :class:`Probe` from ``ffprobe -show_format -show_streams -of json`` output for ``path``."""
    streams = info.get("streams", [])
    video = _first(streams, "video")
    audio = _first(streams, "audio")
    if video is None:
        raise MediaError(f"{path.name}: no video stream")
    fmt = info.get("format", {})
    rotation = _ffprobe_rotation(video)
    sar = _sar(video.get("sample_aspect_ratio"))
    width, height = _displayed(_stretched(int(video.get("width", 0)), sar), int(video.get("height", 0)), rotation)
    avg, base = _rate(video.get("avg_frame_rate")), _rate(video.get("r_frame_rate"))
    return Probe(
        duration=_number(fmt.get("duration")) or _number(video.get("duration")),
        width=width,
        height=height,
        fps=float(avg or base),
        video_codec=str(video.get("codec_name", "")),
        pix_fmt=str(video.get("pix_fmt", "")),
        audio_codec=audio.get("codec_name") if audio else None,
        audio_sample_rate=int(_number(audio.get("sample_rate"))) or None if audio else None,
        audio_channels=int(_number(audio.get("channels"))) or None if audio else None,
        bitrate=int(_number(fmt.get("bit_rate"))),
        size=path.stat().st_size,
        rotation=rotation,
        format_name=str(fmt.get("format_name", "")),
        variable_fps=_differs(avg, base),
        color_transfer=str(video.get("color_transfer", "")).replace("unknown", ""),
        sample_aspect_ratio=sar,
    )


def _number(value: Any) -> float:
    """ffprobe numbers arrive as strings, sometimes "N/A"; missing or unreadable counts as 0."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _first(streams: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    for stream in streams:
        attached = stream.get("disposition", {}).get("attached_pic")
        if stream.get("codec_type") == kind and not attached:
            return stream
    return None


def _ffprobe_rotation(video: dict[str, Any]) -> int:
    for side in video.get("side_data_list", []):
        if "rotation" in side:
            return _normal_rotation(float(side["rotation"]))
    rotate = video.get("tags", {}).get("rotate")
    return _normal_rotation(-float(rotate)) if rotate else 0


def _rate(text: str | None) -> Fraction:
    try:
        return Fraction(text or "0")
    except (ValueError, ZeroDivisionError):
        return Fraction(0)


# --- ffmpeg -i fallback ----------------------------------------------------------------------------------------

_INPUT = re.compile(r"^Input #0, (?P<format>.+), from ", re.M)
_DURATION = re.compile(r"Duration: (?:(?P<h>\d+):(?P<m>\d+):(?P<s>[\d.]+)|N/A)(?:.*?bitrate: (?P<br>\d+) kb/s)?")
_STREAM = re.compile(r"^\s*Stream #0:\d+\S*: (?P<kind>Video|Audio|Subtitle|Data|Attachment): (?P<body>.*)$")
_ROTATION = re.compile(r"rotation of (?P<deg>-?[\d.]+) degrees", re.I)
_SIZE = re.compile(r"^(\d+)x(\d+)")
_SAR = re.compile(r"SAR (\d+):(\d+)")
_RATE = re.compile(r"^(?P<v>[\d.]+)(?P<k>k?) (?P<unit>fps|tbr)$")
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "downmix": 2, "quad": 4, "hexagonal": 6, "octagonal": 8}


def probe_with_ffmpeg(path: Path) -> Probe:
    """Parse ``ffmpeg -i`` output; run a stream-copy pass only when the duration or frame rate is missing."""
    head = ffmpeg.input(file_argument(path)).output("-", f="null", c="copy", t=0)
    stderr = run(head, path, "cannot read media", ok_codes=(0, 1)).stderr.decode("utf-8", "replace")
    if not _INPUT.search(stderr):
        raise media_error(path, "cannot read media", stderr)
    fields = _parse_dump(stderr, path)
    result = Probe(size=path.stat().st_size, **fields)
    if result.duration <= 0 or result.fps <= 0:
        result = _fill_from_copy_pass(path, result)
    return result


def _parse_dump(stderr: str, path: Path) -> dict[str, Any]:
    fmt = _INPUT.search(stderr)
    duration = _DURATION.search(stderr)
    video: dict[str, Any] | None = None
    audio: dict[str, Any] | None = None
    rotation = 0
    current = ""
    for line in stderr.splitlines():
        stream = _STREAM.match(line)
        if stream:
            current = stream["kind"]
            if current == "Video" and video is None and "(attached pic)" not in line:
                video = _parse_video(_top_level_split(stream["body"]))
                current = "FirstVideo"
            elif current == "Audio" and audio is None:
                audio = _parse_audio(_top_level_split(stream["body"]))
            continue
        turn = _ROTATION.search(line)
        if turn and current == "FirstVideo":
            rotation = _normal_rotation(float(turn["deg"]))
    if video is None:
        raise MediaError(f"{path.name}: no video stream")
    width, height = _displayed(_stretched(video["width"], video["sar"]), video["height"], rotation)
    seconds = 0.0
    if duration and duration["h"] is not None:
        seconds = int(duration["h"]) * 3600 + int(duration["m"]) * 60 + float(duration["s"])
    return {
        "duration": seconds,
        "width": width,
        "height": height,
        "fps": video["fps"] or video["tbr"],
        "video_codec": video["codec"],
        "pix_fmt": video["pix_fmt"],
        "audio_codec": audio["codec"] if audio else None,
        "audio_sample_rate": audio["rate"] if audio else None,
        "audio_channels": audio["channels"] if audio else None,
        "bitrate": int(duration["br"]) * 1000 if duration and duration["br"] else 0,
        "rotation": rotation,
        "format_name": fmt["format"] if fmt else "",
        "variable_fps": _differs(Fraction(video["fps"]), Fraction(video["tbr"])),
        "color_transfer": video["transfer"],
        "sample_aspect_ratio": video["sar"],
    }


def _top_level_split(body: str) -> list[str]:
    """Split a stream description on commas that are not inside brackets: ``yuv420p(tv, bt709)`` stays whole."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in body:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def _parse_video(parts: list[str]) -> dict[str, Any]:
    info: dict[str, Any] = {"codec": parts[0].split()[0], "pix_fmt": "", "width": 0, "height": 0,
                            "fps": 0.0, "tbr": 0.0, "transfer": "", "sar": "1:1"}
    for index, part in enumerate(parts[1:], start=1):
        size = _SIZE.match(part)
        rate = _RATE.match(part)
        sar = _SAR.search(part)  # "180x320 [SAR 1:1 DAR 9:16]", or its own part in some containers
        if sar:
            info["sar"] = _sar(f"{sar[1]}:{sar[2]}")
        if size:
            info["width"], info["height"] = int(size[1]), int(size[2])
        elif rate:
            value = float(rate["v"]) * (1000 if rate["k"] else 1)
            info["fps" if rate["unit"] == "fps" else "tbr"] = value
        elif index == 1:
            info["pix_fmt"] = part.split("(")[0].strip()
            info["transfer"] = _transfer(part)
    return info


def _transfer(pix_fmt_part: str) -> str:
    """``yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67, progressive)`` -> ``arib-std-b67``; ``(tv, bt709)`` ->
    ``bt709`` (ffmpeg prints one name when space, primaries and transfer agree)."""
    inside = pix_fmt_part.partition("(")[2].rstrip(")")
    for token in (t.strip() for t in inside.split(",")):
        if "/" in token:
            transfer = token.split("/")[-1]
            return "" if transfer == "unknown" else transfer
        if token.startswith(("bt", "smpte", "arib", "iec", "log", "gamma", "linear")):
            return token
    return ""


def _parse_audio(parts: list[str]) -> dict[str, Any]:
    info: dict[str, Any] = {"codec": parts[0].split()[0], "rate": None, "channels": None}
    for part in parts[1:]:
        hertz = re.fullmatch(r"(\d+) Hz", part)
        if hertz:
            info["rate"] = int(hertz[1])
        elif info["rate"] is not None and info["channels"] is None:
            info["channels"] = _channel_count(part)
    return info


def _channel_count(layout: str) -> int | None:
    layout = layout.split("(")[0].strip()
    counted = re.fullmatch(r"(\d+) channels", layout)
    dotted = re.fullmatch(r"(\d+)\.(\d+)", layout)
    if counted:
        return int(counted[1])
    if dotted:
        return int(dotted[1]) + int(dotted[2])
    return _LAYOUT_CHANNELS.get(layout)


def _fill_from_copy_pass(path: Path, partial: Probe) -> Probe:
    """Read every packet without decoding (fast) to learn the duration and frame count; a stream without
    timestamps (raw H.264) gets frames / fps, and only if that is unknown too is it decoded."""
    duration, frames = _null_pass(path, copy=True)
    fps = partial.fps if partial.fps > 0 else (frames / duration if duration > 0 else 0.0)
    if duration <= 0 < frames and fps > 0:
        duration = frames / fps
    if duration <= 0:
        duration, frames = _null_pass(path, copy=False)
        fps = fps or (frames / duration if duration > 0 else 0.0)
    if duration <= 0:
        raise MediaError(f"{path.name}: cannot tell the duration (no decodable frames)")
    return replace(partial, duration=duration, fps=fps)


class NullPass(NamedTuple):
    """What a run to the null muxer counted; ``seconds`` is 0 when unknown."""

    seconds: float
    frames: int


def _null_pass(path: Path, copy: bool) -> NullPass:
    """Run to the null muxer and read ``-progress``."""
    options = {"c": "copy"} if copy else {}
    stream = ffmpeg.input(file_argument(path)).output("-", f="null", **options).global_args("-progress", "pipe:1")
    progress = run(stream, path, "cannot read media").stdout.decode("utf-8", "replace")
    values = dict(line.split("=", 1) for line in progress.splitlines() if "=" in line)
    micros = values.get("out_time_us", "")
    seconds = int(micros) / 1e6 if micros.isdigit() else 0.0
    frames = values.get("frame", "0")
    return NullPass(seconds, int(frames) if frames.isdigit() else 0)


# --- shared ---------------------------------------------------------------------------------------------------


def _normal_rotation(degrees: float) -> int:
    """Snap to a right angle in (-180, 180]: 270 -> -90, -180 -> 180."""
    turn = round(degrees / 90) * 90 % 360
    return turn - 360 if turn > 180 else turn


def _sar(text: str | None) -> str:
    """Normalised sample aspect ratio; unknown ("0:1", "N/A") counts as square."""
    try:
        num, den = (int(part) for part in str(text).split(":"))
    except ValueError:
        return "1:1"
    if num <= 0 or den <= 0:
        return "1:1"
    ratio = Fraction(num, den)
    return f"{ratio.numerator}:{ratio.denominator}"


def _stretched(width: int, sar: str) -> int:
    num, den = (int(part) for part in sar.split(":"))
    return round(width * num / den)


def _displayed(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if rotation in (90, -90) else (width, height)


def _differs(average: Fraction, base: Fraction) -> bool:
    return bool(average and base and abs(average - base) / base > Fraction(1, 100))
