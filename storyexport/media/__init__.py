"""Media stage: probe, conform-or-copy export, thumbnail sets, sample clips (the only user of ffmpeg/OpenCV).

The thumbnail names load on first use, so planning the build (``target_spec``, ``probe``) does not pull in
OpenCV and NumPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from storyexport.media.conformance import conformance_problems
from storyexport.media.errors import MediaError
from storyexport.media.export import ExportResult, export_video
from storyexport.media.ffmpeg import ffmpeg_exe, ffprobe_exe
from storyexport.media.probe import Probe, probe
from storyexport.media.samples import generate_sample, sample_sections
from storyexport.media.spec import SpecError, TargetSpec, target_spec

if TYPE_CHECKING:
    from storyexport.media.thumbnails import ThumbnailGenerator, build_thumbnail_set
    from storyexport.media.thumbs.write import ThumbnailResult

_LAZY = {"ThumbnailGenerator", "ThumbnailResult", "build_thumbnail_set"}

__all__ = [
    "ExportResult",
    "MediaError",
    "Probe",
    "SpecError",
    "TargetSpec",
    "ThumbnailGenerator",
    "ThumbnailResult",
    "build_thumbnail_set",
    "conformance_problems",
    "export_video",
    "ffmpeg_exe",
    "ffprobe_exe",
    "generate_sample",
    "probe",
    "sample_sections",
    "target_spec",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'storyexport.media' has no attribute {name!r}")
    value = getattr(importlib.import_module("storyexport.media.thumbnails"), name)
    globals()[name] = value
    return value
