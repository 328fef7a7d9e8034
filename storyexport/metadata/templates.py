"""The one Jinja2 environment platform rules run in: sandboxed, and strict about undefined names.

Rules files are data that anyone may add, so templates must not reach Python internals or modify the values they
are given (ImmutableSandboxedEnvironment, a SandboxedEnvironment),
and a typo such as ``{{ titel }}`` must fail loudly instead of rendering an empty title (StrictUndefined).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

import regex
from jinja2 import StrictUndefined, Template, TemplateError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

# Variables every text template can read (see docs/platform-rules.md).
TEMPLATE_VARIABLES = frozenset({
    "id", "title_id", "title", "segment", "age_group", "description", "theme", "tone",
    "story_hashtags", "hashtags", "hashtag_line", "platform", "display_name",
})
# Upload expressions also see the fitted texts, tags, options, the cover time and the video's size and duration.
UPLOAD_VARIABLES = TEMPLATE_VARIABLES | frozenset({
    "text", "tags", "options", "privacy_level", "cover_timestamp_s", "cover_timestamp_ms",
    "video_size_bytes", "duration_s",
})
EXPRESSION_PREFIX = "="

_BLANK_RUNS = regex.compile(r"[ \t]+\n")
_MANY_NEWLINES = regex.compile(r"\n{3,}")


class TemplateProblem(ValueError):
    """A template in a rules file cannot be rendered; the message names the file and the template."""


@cache
def environment() -> SandboxedEnvironment:
    """The immutable sandbox: templates can neither reach internals nor change the lists they are given."""
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def undeclared_variables(source: str) -> set[str]:
    """Names a template reads that it does not define itself (raises jinja2.TemplateSyntaxError)."""
    return set(meta.find_undeclared_variables(environment().parse(source)))


def expression_source(value: str) -> str | None:
    """The Jinja expression in an upload value (``"= text.title"`` -> ``"text.title"``), or None for a literal."""
    if isinstance(value, str) and value.startswith(EXPRESSION_PREFIX):
        return value[len(EXPRESSION_PREFIX):].strip()
    return None


def tidy(text: str) -> str:
    """Collapse the blank-line runs that optional template sections leave, and strip the ends."""
    return _MANY_NEWLINES.sub("\n\n", _BLANK_RUNS.sub("\n", text)).strip()


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    """Templates are re-rendered many times while a text is fitted; compile each source once."""
    return environment().from_string(source)


def render_template(source: str, variables: Mapping[str, Any], where: str) -> str:
    """Render one text template; ``where`` (e.g. ``platforms/x.yaml text.title``) prefixes any error."""
    try:
        return tidy(_compiled(source).render(**variables))
    except TemplateError as exc:
        raise TemplateProblem(f"{where}: template error: {exc.message or exc}") from None
    except Exception as exc:  # a filter given the wrong type, a division by zero: still the template's fault
        raise TemplateProblem(f"{where}: template error: {type(exc).__name__}: {exc}") from None


def evaluate_expression(source: str, variables: Mapping[str, Any], where: str) -> Any:
    """Evaluate an upload expression to a Python value (a list stays a list, a bool a bool)."""
    try:
        value = environment().compile_expression(source, undefined_to_none=False)(**variables)
    except TemplateError as exc:
        raise TemplateProblem(f"{where}: expression error: {exc.message or exc}") from None
    except Exception as exc:
        raise TemplateProblem(f"{where}: expression error: {type(exc).__name__}: {exc}") from None
    if isinstance(value, StrictUndefined):
        raise TemplateProblem(f"{where}: expression '{source}' is undefined")
    return value
