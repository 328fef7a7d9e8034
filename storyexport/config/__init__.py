"""Manifest -> validated configuration (the first stage of the pipeline)."""

from storyexport.config.manifest import (
    ManifestCheck,
    build_manifest,
    check_manifest,
    load_manifest,
    load_manifest_and_rules,
)
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
    "ManifestCheck",
    "MetadataOptions",
    "Problem",
    "Sample",
    "Story",
    "ThumbnailOptions",
    "VideoOptions",
    "build_manifest",
    "check_manifest",
    "load_manifest",
    "load_manifest_and_rules",
]
