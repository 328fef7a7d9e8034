"""Manifest -> validated, typed configuration.

``check_manifest`` collects every problem (schema, semantics, platform rules) as data; ``load_manifest`` returns a
``Manifest`` or raises ``ConfigError`` carrying those problems. Nothing here touches media.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from storyexport.config import cache
from storyexport.config.model import (
    ALL_PLATFORMS_DEFAULT,
    DefaultsData,
    Manifest,
    ManifestData,
    MetadataOptions,
    Sample,
    SampleData,
    Story,
    StoryData,
    ThumbnailOptions,
    VideoOptions,
)
from storyexport.config.problems import ConfigError, Problem
from storyexport.config.rules_model import RulesByPlatform
from storyexport.config.safety import (
    case_collision_problems,
    control_character_problems,
    output_dir_blocker,
    output_dir_problems,
    resolved,
    story_name_problems,
)
from storyexport.config.schema_validator import schema_validator
from storyexport.resources import builtin_platforms_dir, load_schema
from storyexport.sources import MISSING, is_url, source_problem, url_problem

if TYPE_CHECKING:  # the YAML parser is loaded only when a manifest is really read (not on a cached no-op)
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

    from storyexport.config.yamlpos import JsonPath, LoadedYaml

DEFAULT_OUTPUT_DIR = "data/final"
BLANK_PATTERN = "\\S"  # the schema's "not blank": at least one character that is not white space
_validator: Validator | None = None


def manifest_validator() -> Validator:
    """The manifest's JSON Schema validator (jsonschema is imported only when a manifest really is checked)."""
    global _validator
    if _validator is None:
        _validator = schema_validator(load_schema("manifest"))
    return _validator


def schema_problems(loaded: LoadedYaml, validator: Validator) -> list[Problem]:
    """Every schema violation, placed at the offending key or value."""
    return [_schema_problem(loaded, error) for error in validator.iter_errors(loaded.data)]


def _schema_problem(loaded: LoadedYaml, error: ValidationError) -> Problem:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else ())
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            hint = ", ".join(sorted(allowed))
            return loaded.problem((*path, extra[0]), f"unknown key '{extra[0]}' (allowed: {hint})", key=True)
    if error.validator == "required":
        return loaded.problem(path, error.message, key=True)
    if error.validator == "pattern" and error.validator_value == BLANK_PATTERN:
        return loaded.problem(path, f"{path[-1] if path else 'value'} must not be blank")
    if path and path[-1] == "id" and error.validator == "pattern":
        return loaded.problem(path, f"story id {error.instance!r} is not a safe file name: use 1-64 letters, "
                                    "digits, '-' or '_'")
    return loaded.problem(path, error.message)


def resolve_platforms_dir(manifest_path: Path, data: Mapping[str, object], override: Path | None = None) -> Path:
    """``-p`` wins, then the manifest's ``platforms_dir``, then ``platforms/`` beside it, then the built-in rules."""
    if override is not None:
        return override.resolve()
    root = manifest_path.parent
    platforms_dir = data.get("platforms_dir")
    if isinstance(platforms_dir, str):
        return (root / platforms_dir).resolve()
    local = root / "platforms"
    return local.resolve() if local.is_dir() else builtin_platforms_dir()


def _timestamp_problem(value: object) -> str | None:
    text = str(value).strip()
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        return None  # the schema reports the format
    if number < 0:
        return f"thumbnail timestamp {value!r} is negative"
    if text.endswith("%") and number > 100:
        return f"thumbnail timestamp {value!r} is above 100%"
    return None


def _list(value: object) -> list[object]:
    """The schema reports wrong types; the semantic checks just skip what is not the expected shape."""
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _stories(data: Mapping[str, object]) -> list[tuple[int, dict[str, object]]]:
    return [(i, story) for i, story in enumerate(_list(data.get("stories"))) if isinstance(story, dict)]


def semantic_problems(loaded: LoadedYaml, platform_names: set[str], check_sources: bool = True) -> list[Problem]:
    """Checks the schema cannot express: unique ids (also up to case), names every file system accepts, a usable
    output folder, known platforms, sane timestamps, samples inside the project, no source where an export goes,
    existing sources."""
    stories = _stories(loaded.data)
    problems = _duplicate_id_problems(loaded) + case_collision_problems(loaded, stories)
    problems += story_name_problems(loaded, stories) + output_dir_problems(loaded, DEFAULT_OUTPUT_DIR)
    problems += _platform_problems(loaded, platform_names) + _timestamp_problems(loaded)
    problems += _url_source_problems(loaded) + _sample_path_problems(loaded) + _output_collision_problems(loaded)
    if check_sources:
        problems += _source_problems(loaded)
    return problems


def _duplicate_id_problems(loaded: LoadedYaml) -> list[Problem]:
    problems = []
    first_seen: dict[str, int] = {}
    for index, story in _stories(loaded.data):
        sid = story.get("id")
        if not isinstance(sid, str):
            continue
        if sid in first_seen:
            line = loaded.where(("stories", first_seen[sid], "id")).line
            problems.append(loaded.problem(("stories", index, "id"),
                                           f"duplicate story id '{sid}' (first used on line {line})"))
        first_seen.setdefault(sid, index)
    return problems


def _exported_videos(loaded: LoadedYaml) -> dict[Path, str]:
    """Where each story's video is written (the build replaces that file): resolved path -> story id."""
    root = loaded.path.parent
    output_dir = loaded.data.get("output_dir", DEFAULT_OUTPUT_DIR)
    if not isinstance(output_dir, str):
        return {}
    videos: dict[Path, str] = {}
    for _, story in _stories(loaded.data):
        story_id, segment, age_group = story.get("id"), story.get("segment"), story.get("age_group")
        if isinstance(story_id, str) and isinstance(segment, str) and isinstance(age_group, str):
            videos[_absolute(root / output_dir / segment / age_group / f"{story_id}.mp4")] = story_id
    return videos


def _output_collision_problems(loaded: LoadedYaml) -> list[Problem]:
    """A source or sample at the path of a story's export would be overwritten by it (and removed by a clean)."""
    videos = _exported_videos(loaded)
    root = loaded.path.parent
    places = [(("stories", i, "source"), story.get("source")) for i, story in _stories(loaded.data)]
    places += [(("samples", i, "path"), sample.get("path")) for i, sample in
               enumerate(_list(loaded.data.get("samples"))) if isinstance(sample, dict)]
    return [loaded.problem(where, f"'{path}' is where story '{videos[_absolute(root / path)]}' exports its video: "
                                  "the build would overwrite it")
            for where, path in places if isinstance(path, str) and path and _absolute(root / path) in videos]


def _source_problems(loaded: LoadedYaml) -> list[Problem]:
    root = loaded.path.parent
    produced = {(root / s["path"]).resolve() for s in _list(loaded.data.get("samples"))
                if isinstance(s, dict) and isinstance(s.get("path"), str)}
    problems = []
    for index, story in _stories(loaded.data):
        source = story.get("source")
        if isinstance(source, str) and source and not is_url(source):
            path = resolved(root / source) or root / source  # unresolvable: source_problem says why
            problem = source_problem(path)
            if problem == MISSING:
                if path in produced:
                    continue
                problem += " and no sample produces it"
            if problem:
                problems.append(loaded.problem(("stories", index, "source"), f"source '{source}' {problem}"))
    return problems


def _url_source_problems(loaded: LoadedYaml) -> list[Problem]:
    """URLs are refused even by the build (which skips the other source checks): they cannot be paths."""
    return [loaded.problem(("stories", index, "source"), url_problem(source))
            for index, story in _stories(loaded.data)
            if isinstance(source := story.get("source"), str) and is_url(source)]


def _sample_path_problems(loaded: LoadedYaml) -> list[Problem]:
    """The build overwrites and ``doit clean`` removes sample clips: they must stay inside the project."""
    root = loaded.path.parent.resolve()
    problems = []
    for index, sample in enumerate(_list(loaded.data.get("samples"))):
        path = sample.get("path") if isinstance(sample, dict) else None
        if not isinstance(path, str) or not path:
            continue
        try:
            inside = (root / path).resolve().is_relative_to(root)
        except (OSError, RuntimeError, ValueError) as exc:  # a symbolic link loop, a NUL byte
            problems.append(loaded.problem(("samples", index, "path"), f"sample path '{path}' is unusable: {exc}"))
            continue
        if not inside:
            problems.append(loaded.problem(("samples", index, "path"),
                                           f"sample path '{path}' is outside the manifest's folder {root}"))
    return problems


def _platform_problems(loaded: LoadedYaml, platform_names: set[str]) -> list[Problem]:
    defaults = _dict(loaded.data.get("defaults"))
    lists: list[tuple[JsonPath, object]] = [(("defaults", "platforms"), defaults.get("platforms"))]
    lists += [(("stories", i, "platforms"), story.get("platforms")) for i, story in _stories(loaded.data)]
    known = ", ".join(sorted(platform_names)) or "none"
    return [
        loaded.problem((*where, i), f"unknown platform '{name}' (rules found: {known})")
        for where, names in lists for i, name in enumerate(_list(names))
        if isinstance(name, str) and name not in platform_names
    ]


def _timestamp_problems(loaded: LoadedYaml) -> list[Problem]:
    defaults = _dict(loaded.data.get("defaults"))
    groups: list[tuple[JsonPath, object]] = [(("defaults", "thumbnails"), defaults.get("thumbnails"))]
    groups += [(("stories", i, "thumbnails"), story.get("thumbnails")) for i, story in _stories(loaded.data)]
    problems = []
    for where, options in groups:
        for i, value in enumerate(_list(_dict(options).get("timestamps"))):
            message = _timestamp_problem(value)
            if message:
                problems.append(loaded.problem((*where, "timestamps", i), message))
    return problems


@dataclass
class ManifestCheck:
    """Everything ``check_manifest`` found: the parsed file, the rules it uses, and every problem."""

    loaded: LoadedYaml
    rules_dir: Path
    rules: RulesByPlatform = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def check_manifest(path: Path, platforms_dir: Path | None = None, check_sources: bool = True) -> ManifestCheck:
    """Load and check a manifest and the platform rules it uses; collect every problem found.

    ``check_sources=False`` is for the build, where a missing source fails only its own story's tasks.
    """
    from storyexport.config.yamlpos import load_yaml
    from storyexport.metadata.rules import check_platform_rules_dir  # rules belong to the metadata stage

    path = Path(path).resolve()
    loaded = load_yaml(path)
    result = ManifestCheck(loaded, platforms_dir or builtin_platforms_dir(), problems=list(loaded.problems))
    if loaded.data is None:
        return result
    if not isinstance(loaded.data, dict):
        result.problems.append(loaded.problem((), "the manifest must be a mapping with 'version' and 'stories'"))
        return result
    result.problems += schema_problems(loaded, manifest_validator())
    unusable_paths = control_character_problems(loaded)
    if unusable_paths:
        result.problems += unusable_paths
        return result
    result.rules_dir = resolve_platforms_dir(path, loaded.data, platforms_dir)
    if result.rules_dir.is_dir():
        result.rules, rule_problems = check_platform_rules_dir(result.rules_dir)
        result.problems += rule_problems
        result.problems += semantic_problems(loaded, set(result.rules), check_sources)
    else:
        message = f"platform rules folder not found: {result.rules_dir}"
        result.problems.append(loaded.problem(("platforms_dir",), message))
    return result


def load_manifest(path: Path, platforms_dir: Path | None = None, check_sources: bool = True) -> Manifest:
    """The validated manifest, or ``ConfigError`` listing every problem."""
    return load_manifest_and_rules(path, platforms_dir, check_sources)[0]


def load_manifest_and_rules(path: Path, platforms_dir: Path | None = None, check_sources: bool = True,
                            ) -> tuple[Manifest, RulesByPlatform]:
    check = check_manifest(path, platforms_dir, check_sources)
    if check.problems:
        raise ConfigError(check.problems)
    return build_manifest(check.loaded.path, check.loaded.data, check.rules_dir), check.rules


def load_for_build(path: Path, platforms_dir: Path | None = None) -> tuple[Manifest, RulesByPlatform]:
    """Like ``load_manifest_and_rules`` without source checks, reusing the last successful check when nothing
    changed (``config.cache``): a no-op build must cost little more than doit's own no-op."""
    path = Path(path).resolve()
    try:
        key = cache.cache_key(path.read_bytes(), path, platforms_dir)
    except OSError:
        return load_manifest_and_rules(path, platforms_dir, check_sources=False)
    cached = cache.load_cached(path, key)
    if cached is not None:
        data, rules_dir, rules = cached
        manifest = build_manifest(path, data, rules_dir)
        if output_dir_blocker(manifest.output_dir) is None:  # a file put in its way since: check again, say where
            return manifest, rules
    check = check_manifest(path, platforms_dir, check_sources=False)
    if check.problems:
        raise ConfigError(check.problems)
    cache.store(path, key, check.loaded.data, check.rules_dir, check.rules)
    return build_manifest(path, check.loaded.data, check.rules_dir), check.rules


def build_manifest(path: Path, data: ManifestData, platforms_dir: Path) -> Manifest:
    """Turn checked manifest data into typed objects, applying defaults layer by layer."""
    root = path.parent
    defaults: DefaultsData = data.get("defaults") or {}
    stories = tuple(_build_story(root, defaults, story) for story in data["stories"])
    samples = tuple(_build_sample(root, sample) for sample in data.get("samples") or [])
    return Manifest(
        path=path,
        output_dir=(root / data.get("output_dir", DEFAULT_OUTPUT_DIR)).resolve(),
        platforms_dir=platforms_dir,
        stories=stories,
        samples=samples,
        version=data["version"],
    )


def _absolute(path: Path) -> Path:
    """Absolute and normalised without touching the disk (``resolve`` costs a stat per path component)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def _build_sample(root: Path, raw: SampleData) -> Sample:
    """A sample clip; a value the manifest leaves out is the ``Sample`` default."""
    return Sample(_absolute(root / raw["path"]), raw.get("duration", Sample.duration), raw.get("width", Sample.width),
                  raw.get("height", Sample.height), raw.get("fps", Sample.fps), raw.get("seed", Sample.seed))


def _build_story(root: Path, defaults: DefaultsData, raw: StoryData) -> Story:
    return Story(
        id=raw["id"],
        title=raw["title"],
        segment=raw["segment"],
        age_group=raw["age_group"],
        source=_absolute(root / raw["source"]),
        description=raw.get("description", ""),
        theme=raw.get("theme", ""),
        tone=raw.get("tone", ""),
        hashtags=tuple(raw.get("hashtags", ())),
        platforms=tuple(raw.get("platforms") or defaults.get("platforms") or ALL_PLATFORMS_DEFAULT),
        video=VideoOptions.merged(defaults.get("video"), raw.get("video")),
        thumbnails=ThumbnailOptions.merged(defaults.get("thumbnails"), raw.get("thumbnails")),
        metadata=MetadataOptions.merged(defaults.get("metadata"), raw.get("metadata")),
    )
