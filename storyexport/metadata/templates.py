"""The one Jinja2 environment platform rules run in: sandboxed, bounded, and strict about undefined names.

Rules files are data that anyone may add, so templates must not reach Python internals or modify the values they
are given (ImmutableSandboxedEnvironment, a SandboxedEnvironment), must not exhaust memory or time (BoundedSandbox:
every render runs under ``limits()``), and a typo such as ``{{ titel }}`` must fail loudly instead of rendering an
empty title (StrictUndefined).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache

import regex
from jinja2 import StrictUndefined, Template, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from storyexport.config.model import STORY_TEXT_VARIABLES
from storyexport.metadata.sandbox import BoundedSandbox, TemplateLimitError, limits

# Variables every text template can read (see docs/platform-rules.md).
TEMPLATE_VARIABLES = frozenset({
    *STORY_TEXT_VARIABLES, "story_hashtags", "hashtags", "hashtag_line", "platform", "display_name",
})
# Upload expressions also see the fitted texts, tags, options, the cover time and the video's size and duration.
UPLOAD_VARIABLES = TEMPLATE_VARIABLES | frozenset({
    "text", "tags", "options", "privacy_level", "cover_timestamp_s", "cover_timestamp_ms",
    "video_size_bytes", "duration_s",
})
EXPRESSION_PREFIX = "="
# The values a template sees, by variable name: Python hands them to Jinja and reads them back only as text.
TemplateVariables = Mapping[str, object]

_BLANK_RUNS = regex.compile(r"[ \t]+\n")
_MANY_NEWLINES = regex.compile(r"\n{3,}")


class TemplateProblem(ValueError):
    """A template in a rules file cannot be rendered; the message names the file and the template."""


class TemplateLimitProblem(TemplateProblem):
    """A template went past the sandbox's bounds of size, time or nesting."""


def _limit_message(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "calls nested too deeply"
    return "ran out of memory" if isinstance(exc, MemoryError) else str(exc)


@cache
def environment() -> SandboxedEnvironment:
    """The bounded immutable sandbox: templates can neither reach internals, nor change the lists they are given,
    nor run unbounded."""
    return BoundedSandbox(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def undeclared_variables(source: str) -> set[str]:
    """Names a template reads that it does not define itself (raises jinja2.TemplateSyntaxError)."""
    return set(meta.find_undeclared_variables(environment().parse(source)))


def expression_source(value: object) -> str | None:
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


def render_template(source: str, variables: TemplateVariables, where: str) -> str:
    """Render one text template; ``where`` (e.g. ``platforms/x.yaml text.title``) prefixes any error."""
    try:
        with limits():
            return tidy(_compiled(source).render(**variables))
    except TemplateError as exc:
        raise TemplateProblem(f"{where}: template error: {exc.message or exc}") from None
    except (TemplateLimitError, RecursionError, MemoryError) as exc:
        raise TemplateLimitProblem(f"{where}: template too costly: {_limit_message(exc)}") from None
    except Exception as exc:  # a filter given the wrong type, a division by zero: still the template's fault
        raise TemplateProblem(f"{where}: template error: {type(exc).__name__}: {exc}") from None


def evaluate_expression(source: str, variables: TemplateVariables, where: str) -> object:
    """Evaluate an upload expression to a Python value (a list stays a list, a bool a bool)."""
    try:
        with limits():
            value = environment().compile_expression(source, undefined_to_none=False)(**variables)
    except TemplateError as exc:
        raise TemplateProblem(f"{where}: expression error: {exc.message or exc}") from None
    except (TemplateLimitError, RecursionError, MemoryError) as exc:
        raise TemplateLimitProblem(f"{where}: expression too costly: {_limit_message(exc)}") from None
    except Exception as exc:
        raise TemplateProblem(f"{where}: expression error: {type(exc).__name__}: {exc}") from None
    if isinstance(value, StrictUndefined):
        raise TemplateProblem(f"{where}: expression '{source}' is undefined")
    return value


_SAMPLE_TITLE = "A sample story title, about as long as a real one"
# One plausible value per variable, so that validate can render every template once under the sandbox's limits.
SAMPLE_VARIABLES: TemplateVariables = {
    "id": "sample-story", "title_id": "sample-story", "title": _SAMPLE_TITLE, "segment": "women",
    "age_group": "18-23", "description": _SAMPLE_TITLE * 4, "theme": "motivation", "tone": "uplifting",
    "platform": "sample", "display_name": "Sample", "privacy_level": "private",
    "story_hashtags": ["#sample", "#story"], "hashtags": ["#sample", "#story"], "hashtag_line": "#sample #story",
    "text": {"title": _SAMPLE_TITLE, "description": _SAMPLE_TITLE * 4}, "tags": ["sample", "story"], "options": {},
    "cover_timestamp_s": 1.5, "cover_timestamp_ms": 1500, "video_size_bytes": 50_000_000, "duration_s": 45.0,
}


def limit_problem(source: str, what: str) -> str | None:
    """The sandbox limit ``source`` breaks when rendered once with sample values, if any. Other errors depend on
    the real values and are the build's to report."""
    try:
        render_template(source, SAMPLE_VARIABLES, what)
    except TemplateLimitProblem as exc:
        return str(exc)
    except TemplateProblem:
        return None
    return None

