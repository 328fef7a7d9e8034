"""Manifest -> validated configuration (the first stage of the pipeline)."""

from storyexport.config.manifest import build_manifest, check_manifest, load_manifest
from storyexport.config.model import (
    Manifest,
    MetadataOptions,
    Sample,
    Story,
    ThumbnailOptions,
    VideoOptions,
)
from storyexport.config.problems import ConfigError, Problem

__all__ = [
    "ConfigError",
    "Manifest",
    "MetadataOptions",
    "Problem",
    "Sample",
    "Story",
    "ThumbnailOptions",
    "VideoOptions",
    "build_manifest",
    "check_manifest",
    "load_manifest",
]
