"""Metadata: base metadata of each export and rule-driven, upload-ready metadata per platform.

Pure functions except the file writers; no ffmpeg or OpenCV here (the probe comes from storyexport.media).
"""

from storyexport.layout import platform_metadata_filename as metadata_filename
from storyexport.metadata.base import build_base_metadata, sha256_file, write_base_metadata
from storyexport.metadata.checks import video_checks
from storyexport.metadata.hashtags import find_hashtags, normalise_hashtag, select_hashtags, tags_total_length
from storyexport.metadata.platform import PlatformExporter, UnknownPlatform, story_fields
from storyexport.metadata.rules import check_platform_rules_dir, check_platform_rules_file, load_platform_rules
from storyexport.metadata.templates import TEMPLATE_VARIABLES, UPLOAD_VARIABLES, TemplateProblem
from storyexport.metadata.text import ELLIPSIS, UNITS, graphemes, measure, truncate
from storyexport.metadata.upload import build_upload

__all__ = [
    "ELLIPSIS",
    "TEMPLATE_VARIABLES",
    "UNITS",
    "UPLOAD_VARIABLES",
    "PlatformExporter",
    "TemplateProblem",
    "UnknownPlatform",
    "build_base_metadata",
    "build_upload",
    "check_platform_rules_dir",
    "check_platform_rules_file",
    "find_hashtags",
    "graphemes",
    "load_platform_rules",
    "measure",
    "metadata_filename",
    "normalise_hashtag",
    "select_hashtags",
    "sha256_file",
    "story_fields",
    "tags_total_length",
    "truncate",
    "video_checks",
    "write_base_metadata",
]
