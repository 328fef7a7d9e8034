"""Load and check the platform rules folder: one YAML file per platform, every problem with file:line:col.

``check_platform_rules_dir`` never raises on bad input: it collects YAML errors, JSON-Schema errors (unknown keys
point at the key itself, with a did-you-mean), and the checks a schema cannot express: Jinja syntax, variables a
template reads that storyexport does not provide, upload expressions, regular expressions, min above max.
``load_platform_rules`` is the strict form the build uses.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

import regex
from jinja2 import TemplateSyntaxError
from jsonschema import ValidationError
from jsonschema.protocols import Validator

from storyexport.config.model import STORY_TEXT_VARIABLES
from storyexport.config.problems import ConfigError, Problem
from storyexport.config.rules_model import PlatformRules, RulesByPlatform, VideoRules
from storyexport.config.schema_validator import schema_validator
from storyexport.config.yamlpos import JsonPath, LoadedYaml, Position, load_yaml
from storyexport.metadata.templates import (
    TEMPLATE_VARIABLES,
    UPLOAD_VARIABLES,
    environment,
    limit_problem,
    undeclared_variables,
)
from storyexport.metadata.upload import upload_expressions
from storyexport.resources import load_schema, rules_files

SHRINKABLE_VARIABLES = frozenset(STORY_TEXT_VARIABLES)
_PLATFORM_NAME = regex.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_MIN_MAX_PAIRS = (("min_duration_s", "max_duration_s"), ("min_width", "max_width"),
                  ("min_height", "max_height"), ("min_fps", "max_fps"))


@cache
def _validator() -> Validator:
    return schema_validator(load_schema("platform"))


def load_platform_rules(rules_dir: Path) -> RulesByPlatform:
    """Every platform's validated rules by name; raises ConfigError listing all problems if any."""
    rules, problems = check_platform_rules_dir(rules_dir)
    if problems:
        raise ConfigError(problems)
    return rules


def load_platform_rules_file(path: Path) -> RulesByPlatform:
    """One platform's validated rules, keyed by its name (the file's stem); raises ConfigError on any problem."""
    data, problems = check_platform_rules_file(path)
    if problems or data is None:
        raise ConfigError(problems or [Problem(str(path), 1, 1, "empty platform rules file")])
    return {path.stem: with_defaults(path.stem, data)}


def check_platform_rules_dir(rules_dir: Path) -> tuple[RulesByPlatform, list[Problem]]:
    """(valid rules by name, every problem found). Files with a problem are left out of the rules."""
    rules_dir = Path(rules_dir)
    if not rules_dir.is_dir():
        return {}, [Problem(str(rules_dir), 1, 1, "platform rules folder not found")]
    files = rules_files(rules_dir)
    problems = _suffix_clashes(rules_dir)
    if not files:
        problems.append(Problem(str(rules_dir), 1, 1, "no platform rules files (*.yaml) in this folder"))
    rules: RulesByPlatform = {}
    for name, path in files.items():
        data, found = check_platform_rules_file(path)
        problems.extend(found)
        if data is not None and not found:
            rules[name] = with_defaults(name, data)
    return rules, sorted(problems)


def _suffix_clashes(rules_dir: Path) -> list[Problem]:
    yaml_stems = {p.stem for p in rules_dir.glob("*.yaml")}
    return [Problem(str(p), 1, 1, f"both {p.stem}.yaml and {p.name} exist; keep one")
            for p in sorted(rules_dir.glob("*.yml")) if p.stem in yaml_stems]


def with_defaults(name: str, data: Mapping[str, object]) -> PlatformRules:
    """The rules with the defaults the schema states filled in, so consumers need not repeat them (the schema has
    validated ``data``, so it has the shape ``PlatformRules`` states)."""
    rules = cast(PlatformRules, dict(data))
    rules.setdefault("name", name)
    rules.setdefault("display_name", name)
    rules.setdefault("publishing_tips", [])
    rules["video"] = cast(VideoRules, dict(rules.get("video") or {}))
    return rules


def check_platform_rules_file(path: Path) -> tuple[Any, list[Problem]]:
    """(data, problems) for one rules file."""
    loaded = load_yaml(path)
    if loaded.data is None:
        return None, list(loaded.problems)
    problems = list(loaded.problems) + list(_schema_problems(loaded))
    if not isinstance(loaded.data, dict):
        return loaded.data, problems
    lines = path.read_text(encoding="utf-8").splitlines()
    problems.extend(_name_problems(loaded, path))
    problems.extend(_template_problems(loaded, lines))
    problems.extend(_upload_problems(loaded, lines))
    problems.extend(_pattern_problems(loaded))
    problems.extend(_range_problems(loaded))
    problems.extend(_forbidden_problems(loaded))
    return loaded.data, problems


def _schema_problems(loaded: LoadedYaml) -> Iterator[Problem]:
    for error in sorted(_validator().iter_errors(loaded.data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            yield from _unknown_key_problems(loaded, path, error)
        else:  # a missing key is reported at the key of the object that lacks it
            yield loaded.problem(path, _schema_message(error), key=error.validator == "required")


def _schema_message(error: ValidationError) -> str:
    if error.validator == "required":
        return f"missing required key: {error.message.split(' is a required')[0]}"
    return error.message


def _unknown_key_problems(loaded: LoadedYaml, path: JsonPath, error: ValidationError) -> Iterator[Problem]:
    allowed = sorted(error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else ())
    instance = error.instance if isinstance(error.instance, dict) else {}  # an object: the caller checked
    for key in sorted(set(instance) - set(allowed)):
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(allowed)})"
        yield loaded.problem((*path, key), f"unknown key '{key}'{hint}", key=True)


def _name_problems(loaded: LoadedYaml, path: Path) -> Iterator[Problem]:
    if not _PLATFORM_NAME.fullmatch(path.stem):
        yield Problem(str(path), 1, 1, f"file name '{path.stem}' is not a platform name: use 1-32 lowercase "
                                       "letters, digits, '-' or '_', starting with a letter or digit")
    name = loaded.data.get("name")
    if isinstance(name, str) and name != path.stem:
        yield loaded.problem(("name",), f"name '{name}' differs from the file name '{path.stem}'; make them equal")


def _text_fields(data: Mapping[str, object]) -> Iterator[tuple[str, Mapping[str, object]]]:
    text = data.get("text")
    if isinstance(text, Mapping):
        for name, spec in text.items():
            if isinstance(spec, Mapping):
                yield str(name), spec


def _position_in_value(loaded: LoadedYaml, lines: list[str], path: JsonPath, offset: int, source: str
                       ) -> Position:
    """File line and column of character ``offset`` of a string value (a template) at ``path``.

    Exact for block scalars (``|``) and single-line plain scalars; quoted scalars with escapes are approximate.
    """
    line, col = loaded.where(path)
    before = source[:offset]
    template_line = before.count("\n")
    column_in_line = offset - (before.rfind("\n") + 1)
    indicator = lines[line - 1][col - 1:col] if 0 < line <= len(lines) else ""
    if indicator in ("|", ">"):
        target = line + 1 + template_line
        text = lines[target - 1] if target <= len(lines) else ""
        return Position(target, len(text) - len(text.lstrip(" ")) + 1 + column_in_line)
    quote = 1 if indicator in ("'", '"') else 0
    if template_line == 0:
        return Position(line, col + quote + column_in_line)
    return Position(line + template_line, 1 + column_in_line)


def _value_at(data: Any, path: JsonPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _problem_at(loaded: LoadedYaml, path: JsonPath, position: Position, message: str) -> Problem:
    base = loaded.problem(path, message)
    return Problem(base.file, position.line, position.col, message, base.json_path)


def _variable_offset(source: str, name: str) -> int:
    match = regex.search(rf"(?<![\w.]){regex.escape(name)}(?!\w)", source)
    return match.start() if match else 0


def _check_template(loaded: LoadedYaml, lines: list[str], path: JsonPath, source: str, known: frozenset[str],
                    what: str, shift: int = 0) -> Iterator[Problem]:
    """Syntax and variable checks of one template; ``shift`` maps offsets in ``source`` to the YAML value."""
    raw = _value_at(loaded.data, path)
    try:
        names = undeclared_variables(source)
        environment().from_string(source)  # compiling also finds unknown filters and tests
    except TemplateSyntaxError as exc:
        offset = sum(len(part) + 1 for part in source.split("\n")[: max((exc.lineno or 1) - 1, 0)])
        position = _position_in_value(loaded, lines, path, max(offset - shift, 0), raw)
        yield _problem_at(loaded, path, position, f"{what}: Jinja syntax error: {exc.message}")
        return
    for name in sorted(names - known):
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(sorted(known))})"
        offset = max(_variable_offset(source, name) - shift, 0)
        position = _position_in_value(loaded, lines, path, offset, raw)
        yield _problem_at(loaded, path, position, f"{what}: unknown variable '{name}'{hint}")
    costly = None if names - known else limit_problem(source, what)
    if costly:
        yield _problem_at(loaded, path, _position_in_value(loaded, lines, path, 0, raw), costly)


def _template_problems(loaded: LoadedYaml, lines: list[str]) -> Iterator[Problem]:
    for name, spec in _text_fields(loaded.data):
        template = spec.get("template")
        if isinstance(template, str):
            yield from _check_template(loaded, lines, ("text", name, "template"), template, TEMPLATE_VARIABLES,
                                       f"template text.{name}")
        yield from _shrink_problems(loaded, name, spec.get("shrink"))


def _shrink_problems(loaded: LoadedYaml, name: str, shrink: object) -> Iterator[Problem]:
    entries = [((), shrink)] if isinstance(shrink, str) else \
        [((index,), item) for index, item in enumerate(shrink)] if isinstance(shrink, list) else []
    for suffix, variable in entries:
        if isinstance(variable, str) and variable not in SHRINKABLE_VARIABLES:
            yield loaded.problem(("text", name, "shrink", *suffix),
                                 f"text.{name}.shrink '{variable}' is not a story text variable "
                                 f"({', '.join(sorted(SHRINKABLE_VARIABLES))})")


def _upload_problems(loaded: LoadedYaml, lines: list[str]) -> Iterator[Problem]:
    for path, source in upload_expressions(loaded.data.get("upload"), ("upload",)):
        where = "upload." + ".".join(map(str, path[1:]))
        if not source:
            yield loaded.problem(path, f"{where}: empty expression after '='")
            continue
        try:
            environment().compile_expression(source)
        except TemplateSyntaxError as exc:
            yield loaded.problem(path, f"{where}: Jinja expression syntax error: {exc.message}")
            continue
        shift = len("{{ ") - _value_at(loaded.data, path).index(source)
        yield from _check_template(loaded, lines, path, "{{ " + source + " }}", UPLOAD_VARIABLES, where, shift)


def _pattern_problems(loaded: LoadedYaml) -> Iterator[Problem]:
    hashtags = loaded.data.get("hashtags")
    pattern = hashtags.get("grapheme_pattern") if isinstance(hashtags, Mapping) else None
    if isinstance(pattern, str):
        try:
            regex.compile(pattern)
        except regex.error as exc:
            yield loaded.problem(("hashtags", "grapheme_pattern"), f"invalid regular expression: {exc}")


def _min_above_max(loaded: LoadedYaml, section: Mapping[str, object], path: JsonPath, low_key: str, high_key: str
                   ) -> Iterator[Problem]:
    low, high = section.get(low_key), section.get(high_key)
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        yield loaded.problem((*path, low_key), f"{low_key} ({low}) is greater than {high_key} ({high})")


def _range_problems(loaded: LoadedYaml) -> Iterator[Problem]:
    video = loaded.data.get("video")
    if isinstance(video, Mapping):
        for low_key, high_key in _MIN_MAX_PAIRS:
            yield from _min_above_max(loaded, video, ("video",), low_key, high_key)
    for name, spec in _text_fields(loaded.data):
        yield from _min_above_max(loaded, spec, ("text", name), "min_length", "max_length")


def _forbidden_problems(loaded: LoadedYaml) -> Iterator[Problem]:
    for name, spec in _text_fields(loaded.data):
        forbidden = spec.get("forbidden")
        if not isinstance(forbidden, Mapping):
            continue
        for char, replacement in forbidden.items():
            if isinstance(replacement, str) and any(c in replacement for c in forbidden):
                yield loaded.problem(("text", name, "forbidden", char),
                                     f"replacement {replacement!r} for {char!r} contains a forbidden character")
