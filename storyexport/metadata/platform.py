"""PlatformExporter: the original guide's API, driven entirely by the platform rules folder.

Everything platform-specific (limits and their units, hashtag strategy, templates, upload field names) is read from
``platforms/<name>.yaml``; this module only applies it, so a new platform is a new YAML file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict, Unpack

from storyexport import __version__
from storyexport.config.model import STORY_TEXT_VARIABLES, MetadataOptions, Story, StoryFields, StoryIdea
from storyexport.config.rules_model import PlatformRules, RulesByPlatform
from storyexport.fsutil import write_json_atomic
from storyexport.layout import platform_metadata_filename as metadata_filename
from storyexport.metadata.checks import Adjustment, Check, Probe, adjustment, check, video_checks
from storyexport.metadata.documents import Cover, PlatformConfig, PlatformInfo, PlatformMetadata, VideoSpecs
from storyexport.metadata.fields import FieldFitter
from storyexport.metadata.hashtags import (
    Selection,
    as_list,
    find_hashtags,
    select_hashtags,
    select_tags,
    tags_total_length,
)
from storyexport.metadata.rules import load_platform_rules, load_platform_rules_file
from storyexport.metadata.upload import build_upload
from storyexport.resources import builtin_platforms_dir, rules_files
from storyexport.textsafe import strip_controls


class MetadataExtras(TypedDict, total=False):
    """What ``generate_platform_metadata`` takes besides the story and the platform."""

    probe: Probe | None
    cover_timestamp_s: float | None
    options: MetadataOptions | None


class UnknownPlatform(LookupError):
    """A platform was asked for that has no rules file."""

    def __str__(self) -> str:
        return str(self.args[0])


def clean_text(value: object) -> str:
    """Text safe to write as UTF-8: lone surrogates become U+FFFD, CRLF becomes LF, terminal escape sequences and
    control characters go (whole: ``"\\x1b[2J"`` leaves nothing, so it can never become the hashtag ``#2J``)."""
    text = "" if value is None else str(value)
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\r\n", "\n")
    return strip_controls(text, keep_layout=True)


def story_fields(story: Story | StoryIdea) -> StoryFields:
    """The story's text fields (as ``Story.text_fields()``) from a Story or a manifest-like mapping."""
    raw: StoryIdea = story.text_fields() if isinstance(story, Story) else story
    story_id = clean_text(raw.get("id") or raw.get("title_id") or "")
    text = {key: clean_text(raw.get(key)) for key in STORY_TEXT_VARIABLES}
    return {"id": story_id, "title_id": story_id, "title": text["title"], "segment": text["segment"],
            "age_group": text["age_group"], "description": text["description"], "theme": text["theme"],
            "tone": text["tone"], "hashtags": [clean_text(tag) for tag in as_list(raw.get("hashtags"))]}


def story_platforms(story: Story | StoryIdea) -> list[str] | None:
    if isinstance(story, Story):
        return list(story.platforms)
    platforms = story.get("platforms")
    return [str(platform) for platform in as_list(platforms)] if platforms else None


def _grouped_drops(field: str, selection: Selection, action: str) -> list[Adjustment]:
    """One adjustment per reason, listing the hashtags it dropped (80 hashtags give a few entries, not 77)."""
    by_reason: dict[str, list[str]] = {}
    for item in selection.dropped:
        by_reason.setdefault(item["reason"], []).append(item["hashtag"])
    return [adjustment(field, action, reason, hashtags=tags) for reason, tags in by_reason.items()]


def _cover(rules: PlatformRules, timestamp_s: float | None, probe: Probe | None) -> Cover:
    """The cover frame's time (clamped into the video) and the platform's cover spec."""
    if timestamp_s is not None:
        timestamp_s = max(float(timestamp_s), 0.0)
        duration = (probe or {}).get("duration")
        if isinstance(duration, int | float) and duration > 0:
            timestamp_s = min(timestamp_s, float(duration))
        timestamp_s = round(timestamp_s, 3)
    timestamp_ms = None if timestamp_s is None else round(timestamp_s * 1000)
    return {"method": None, **rules.get("cover", {}), "timestamp_s": timestamp_s, "timestamp_ms": timestamp_ms}


def _probe_int(probe: Probe | None, key: str) -> int | None:
    value = (probe or {}).get(key)
    return int(value) if isinstance(value, int | float) else None


def _platform_config(rules: PlatformRules) -> PlatformConfig:
    video = rules["video"]
    recommended = video.get("recommended") or {}
    compat: VideoSpecs = {"max_duration": video.get("max_duration_s")}  # the original guide's names
    if recommended.get("width") and recommended.get("height"):
        compat["resolution"] = f"{recommended['width']}x{recommended['height']}"
    limits = {name: spec["max_length"] for name, spec in rules["text"].items()}
    limits["hashtags"] = rules["hashtags"]["max_count"]
    if rules.get("tags"):
        limits["tags"] = rules["tags"]["max_total"]
    return {
        "video_specs": {**video, **compat},
        "metadata_limits": limits,
        "metadata_units": {name: spec["unit"] for name, spec in rules["text"].items()},
    }


class PlatformExporter:
    """Generates upload-ready metadata per platform from the rules in ``rules_dir`` (None: built-in rules)."""

    def __init__(self, rules_dir: Path | str | None = None):
        self.rules_dir = Path(rules_dir) if rules_dir is not None else builtin_platforms_dir()
        self.rules: RulesByPlatform = load_platform_rules(self.rules_dir)
        self._files = rules_files(self.rules_dir)

    @classmethod
    def for_rules_file(cls, rules_file: Path | str) -> PlatformExporter:
        """An exporter of the one platform whose rules are in ``rules_file``, reading no other file: a build task
        declares the rules file it reads, so its output depends on nothing undeclared (remote runs, caches)."""
        path = Path(rules_file)
        exporter = cls.__new__(cls)
        exporter.rules_dir = path.parent
        exporter.rules = load_platform_rules_file(path)
        exporter._files = {path.stem: path}
        return exporter

    def list_platforms(self) -> list[str]:
        return sorted(self.rules)

    def _rules(self, platform: str) -> PlatformRules:
        try:
            return self.rules[platform]
        except KeyError:
            raise UnknownPlatform(
                f"unknown platform '{platform}': no {platform}.yaml in {self.rules_dir} "
                f"(known: {', '.join(self.list_platforms())})") from None

    def get_platform_info(self, platform: str) -> PlatformInfo:
        """The platform's configuration as the original guide exposed it (video_specs, metadata_limits, ...)."""
        rules = self._rules(platform)
        return {
            "platform": platform,
            "display_name": rules["display_name"],
            **_platform_config(rules),
            "hashtag_strategy": rules["hashtags"]["strategy"]["name"],
            "publishing_tips": list(rules["publishing_tips"]),
            "cover": {**rules.get("cover", {})},
            "safe_zone": rules.get("safe_zone"),
            "rules_file": str(self._files[platform]),
        }

    def generate_platform_metadata(
        self,
        story: Story | StoryIdea,
        platform: str,
        *,
        probe: Probe | None = None,
        cover_timestamp_s: float | None = None,
        options: MetadataOptions | None = None,
    ) -> PlatformMetadata:
        """Metadata for one platform that meets its text limits; ``checks`` reports the video's compliance."""
        rules = self._rules(platform)
        fields = story_fields(story)
        options = options or (story.metadata if isinstance(story, Story) else MetadataOptions())
        where = str(self._files[platform])
        selection = select_hashtags(fields, rules["hashtags"])
        adjustments = _grouped_drops("hashtags", selection, "hashtags_dropped")
        texts, text_checks, hashtags = self._fit_texts(rules, fields, selection.hashtags, where, adjustments)
        tags = self._tags(rules, fields, hashtags, adjustments, text_checks)
        text_checks.append(self._hashtag_check(rules, texts))
        cover = _cover(rules, cover_timestamp_s, probe)
        upload_variables = {
            **self._template_variables(rules, fields, hashtags), "text": texts, "tags": tags,
            "options": options.as_dict(), "privacy_level": self._privacy_level(rules, options),
            "cover_timestamp_s": cover["timestamp_s"], "cover_timestamp_ms": cover["timestamp_ms"],
            "video_size_bytes": _probe_int(probe, "size"), "duration_s": (probe or {}).get("duration"),
        }
        video = video_checks(probe, rules["video"]) if probe is not None else []
        return {
            "platform": platform,
            "display_name": rules["display_name"],
            "story_id": fields["id"],
            "platform_title": texts["title"],
            "platform_description": texts["description"],
            "platform_hashtags": hashtags,
            "text": texts,
            "tags": tags,
            "platform_config": _platform_config(rules),
            "publishing_tips": list(rules["publishing_tips"]),
            "hashtag_strategy": rules["hashtags"]["strategy"]["name"],
            "cover": cover,
            "safe_zone": rules.get("safe_zone"),
            "upload": build_upload(rules["upload"], upload_variables, where),
            "checks": {
                "ok": all(item.ok for item in [*video, *text_checks]),
                "video_probed": probe is not None,
                "video": [item.as_dict() for item in video],
                "text": [item.as_dict() for item in text_checks],
                "adjustments": [item.as_dict() for item in adjustments],
            },
            "generator": {"name": "storyexport", "version": __version__},
        }

    @staticmethod
    def _template_variables(rules: PlatformRules, fields: StoryFields, hashtags: list[str]) -> dict[str, object]:
        variables: dict[str, object] = {key: fields.get(key) for key in STORY_TEXT_VARIABLES}
        variables.update(story_hashtags=list(fields["hashtags"]), hashtags=list(hashtags),
                         hashtag_line=" ".join(hashtags), platform=rules["name"],
                         display_name=rules["display_name"])
        return variables

    def _fit_texts(self, rules: PlatformRules, fields: StoryFields, hashtags: list[str], where: str,
                   adjustments: list[Adjustment]) -> tuple[dict[str, str], list[Check], list[str]]:
        """Fit each text field in file order; hashtags used by one field reduce the next one's budget."""
        texts: dict[str, str] = {}
        text_checks: list[Check] = []
        used = 0
        for name, spec in rules["text"].items():
            budget = max(rules["hashtags"]["max_count"] - used, 0)
            fitter = FieldFitter(name, spec, where, budget)
            result = fitter.fit(self._template_variables(rules, fields, hashtags), hashtags)
            texts[name], hashtags = result.text, result.hashtags
            adjustments.extend(result.adjustments)
            text_checks.append(fitter.length_check(result.text))
            if fitter.counts_hashtags:
                used += len(find_hashtags(result.text))
        return texts, text_checks, hashtags

    @staticmethod
    def _tags(rules: PlatformRules, fields: StoryFields, hashtags: list[str],
              adjustments: list[Adjustment], text_checks: list[Check]) -> list[str]:
        if not rules.get("tags"):
            return []
        selection = select_tags(fields, [tag.lstrip("#") for tag in hashtags], rules["tags"])
        adjustments.extend(_grouped_drops("tags", selection, "tags_dropped"))
        total, limit = tags_total_length(selection.hashtags), rules["tags"]["max_total"]
        text_checks.append(check("tags.total_length", total <= limit, total, limit,
                                 f"tags total {total} of {limit} characters (commas and quotes counted)"))
        return selection.hashtags

    @staticmethod
    def _hashtag_check(rules: PlatformRules, texts: Mapping[str, str]) -> Check:
        counted = [name for name, spec in rules["text"].items() if spec.get("counts_hashtags", True)]
        total, limit = sum(len(find_hashtags(texts[name])) for name in counted), rules["hashtags"]["max_count"]
        return check("hashtags.count", total <= limit, total, limit,
                     f"{total} hashtags in {', '.join(counted) or 'no text'} (cap {limit})")

    @staticmethod
    def _privacy_level(rules: PlatformRules, options: MetadataOptions) -> str:
        return (rules.get("privacy_levels") or {}).get(options.privacy, options.privacy)

    def generate_all_platforms(self, story: Story | StoryIdea, **extras: Unpack[MetadataExtras]
                               ) -> dict[str, PlatformMetadata]:
        """Metadata for each of the story's platforms (all known platforms if the story names none)."""
        platforms = story_platforms(story) or self.list_platforms()
        return {platform: self.generate_platform_metadata(story, platform, **extras) for platform in platforms}

    def save_platform_metadata(self, story: Story | StoryIdea, output_dir: Path | str,
                               **extras: Unpack[MetadataExtras]) -> dict[str, Path]:
        """Write ``output_dir/{id}_{platform}_metadata.json`` for each platform; returns the paths. As in the
        original guide (``output_dir="platforms/"``), ``output_dir`` is the folder the files go in."""
        story_id = story_fields(story)["id"]
        if not story_id:
            raise ValueError("story has no id (or title_id); cannot name its metadata files")
        written: dict[str, Path] = {}
        for platform, metadata in self.generate_all_platforms(story, **extras).items():
            target = Path(output_dir) / metadata_filename(story_id, platform)
            write_json_atomic(target, metadata)
            written[platform] = target
        return written
