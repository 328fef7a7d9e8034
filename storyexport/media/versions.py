"""The versions of the media tools, for keys that must change when a tool could produce different bytes."""

from __future__ import annotations

import functools
import subprocess
from importlib import metadata

from storyexport.media.ffmpeg import ffmpeg_exe

OPENCV_DISTRIBUTIONS = ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless",
                        "opencv-contrib-python")


@functools.cache
def ffmpeg_build() -> str:
    """The first line of ``ffmpeg -version`` (version, build and compiler): one run per process, ~20 ms."""
    try:
        completed = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, timeout=30,
                                   check=False)
    except OSError as exc:
        return f"unavailable ({exc.strerror or exc})"
    first = completed.stdout.splitlines()[0] if completed.stdout else ""
    return first.replace(" Copyright", "\0").split("\0", 1)[0].strip() or "unknown"


@functools.cache
def opencv_version() -> str:
    """OpenCV's version from the installed distribution's metadata (importing cv2 costs ~0.3 s)."""
    for name in OPENCV_DISTRIBUTIONS:
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    import cv2

    return f"cv2 {cv2.__version__}"


@functools.cache
def libav_version() -> str:
    """PyAV's version and the libavcodec it decodes with (thumbnails' frames come from it, not the CLI): from the
    wheel's own file list when it bundles libavcodec (importing av costs ~70 ms, in every process that computes a
    store key), else from av itself (a build against the system's FFmpeg)."""
    try:
        version = metadata.version("av")
        bundled = sorted(path.name for path in metadata.files("av") or () if path.name.startswith("libavcodec"))
    except metadata.PackageNotFoundError:
        version, bundled = "unknown", []
    if bundled:
        return f"av {version} {bundled[0]}"
    import av

    codec = ".".join(str(part) for part in av.library_versions.get("libavcodec", ()))
    return f"av {version} libavcodec {codec or 'unknown'}"
