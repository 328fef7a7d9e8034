"""storyexport: declarative, incremental export of vertical story videos.

Data flows one way: manifest -> validated config (``config``) -> task graph (``build``) -> media (``media``)
-> metadata (``metadata``) -> registry and analytics (``registry``) -> report (``report``).

The original guide's Python API is importable from here; the heavy modules (OpenCV, ffmpeg) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "ExportRegistry": "storyexport.registry",
    "BatchExporter": "storyexport.build.batch",
    "export_story": "storyexport.build.batch",
    "VideoCompositor": "storyexport.build.batch",
    "ThumbnailGenerator": "storyexport.media.thumbnails",
    "PlatformExporter": "storyexport.metadata.platform",
    "load_manifest": "storyexport.config",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'storyexport' has no attribute {name!r}")
