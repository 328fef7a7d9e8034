"""Costly templates in platform rules: refused in bounded time and memory, flagged by validate with FILE:LINE.

Each case would take seconds to minutes and gigabytes (or never finish) in a plain Jinja sandbox."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storyexport.metadata import check_platform_rules_dir
from storyexport.metadata.templates import TemplateLimitProblem, evaluate_expression, render_template
from storyexport.resources import builtin_platforms_dir

COSTLY = {
    "repeat": "{{ 'x' * 10**9 }}",
    "power": "{{ 10**(10**9) }}",
    "squaring": "{% set ns = namespace(x=2) %}{% for i in range(64) %}{% set ns.x = ns.x * ns.x %}{% endfor %}",
    "big_range": "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
    "nested_loops": "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "deep_calls": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "concat_doubling": "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
                       "{% endfor %}",
    "plus_doubling": "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
                     "{% endfor %}",
    "join": "{{ range(10000)|map('string')|join('x' * 100000) }}",
    "list_of_big_strings": "{{ ['x' * 90000] * 2000 }}",
    "output": "{% for i in range(10000) %}{{ 'x' * 90000 }}{% endfor %}",
    "captured_output": "{% set big = 'x' * 90000 %}{% macro m() %}{% for i in range(10000) %}{{ big ~ i }}"
                       "{% endfor %}{% endmacro %}{{ m()|length }}",
    "center": "{{ title|center(10**9) }}",
    "format_filter": "{{ '%0999999999d'|format(1) }}",
    "percent": "{{ '%0999999999d' % 1 }}",
    "str_format": "{{ '{:>999999999}'.format(1) }}",
    "ljust": "{{ title.ljust(10**9) }}",
    "replace": "{{ ('x' * 90000)|replace('', 'yy') }}",
    "star_width": "{{ '%*d' % (10**9, 1) }}",
    "star_width_filter": "{{ '%.*f'|format(10**6, 1.5) }}",
    "indent": "{{ ('a\\n' * 50000)|indent(99999) }}",
    "expandtabs": "{{ ('\\t' * 99999).expandtabs(99999) }}",
}
VARIABLES = {"title": "A title", "description": "Words", "hashtags": ["#a"], "hashtag_line": "#a"}
MEMORY_BOUND_KB = 200 * 1024


@pytest.mark.parametrize("source", COSTLY.values(), ids=COSTLY.keys())
def test_a_costly_template_fails_with_one_line_naming_the_limit(source):
    with pytest.raises(TemplateLimitProblem) as caught:
        render_template(source, VARIABLES, "platforms/x.yaml text.title")
    message = str(caught.value)
    assert message.startswith("platforms/x.yaml text.title: template too costly: ") and "\n" not in message


@pytest.mark.slow  # a child process with a memory measurement
def test_costly_templates_stay_in_bounded_memory(tmp_path, peak_memory):
    """Every case rendered in a fresh process: its peak resident memory stays under the bound."""
    script = ("import json, sys\n"
              "from storyexport.metadata.templates import TemplateLimitProblem, render_template\n"
              "for source in json.loads(sys.argv[1]):\n"
              "    try:\n"
              "        render_template(source, json.loads(sys.argv[2]), 'x')\n"
              "    except TemplateLimitProblem:\n"
              "        pass\n"
              "    else:\n"
              "        sys.exit('rendered: ' + source)\n")
    done = peak_memory(tmp_path, sys.executable, "-c", script, json.dumps(list(COSTLY.values())),
                       json.dumps(VARIABLES))
    assert done["code"] == 0, done["stderr"]
    assert done["maxrss_kb"] < MEMORY_BOUND_KB


def test_costly_upload_expressions_fail_too():
    with pytest.raises(TemplateLimitProblem, match="expression too costly"):
        evaluate_expression("[title] * 10**9", VARIABLES, "platforms/x.yaml upload.caption")


def test_ordinary_templates_are_untouched():
    source = ("{{ title|upper }} {{ hashtags|join(' ') }} {{ title * 2 }} {{ 2 ** 10 }} {{ '%05d'|format(42) }} "
              "{{ '{:>4}'.format(7) }} {% for i in range(3) %}{{ loop.index }}{% endfor %} {{ title ~ '!' }} "
              "{{ title|center(11) }} {{ 10 % 3 }} {{ [1] + [2] }} {{ '%*d' % (4, 7) }} {{ 'a\\nb'|indent(2) }}")
    assert render_template(source, VARIABLES, "x") == ("A TITLE #a A titleA title 1024 00042    7 123 A title! "
                                                       "  A title   1 [1, 2]    7 a\n  b")


def youtube_rules_with(folder: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the shipped rules whose youtube.yaml has ``old`` replaced; returns its path and that line."""
    shutil.copytree(builtin_platforms_dir(), folder)
    path = folder / "youtube.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, text[:text.index(old)].count("\n") + 1


@pytest.mark.parametrize(("old", "new", "below", "col", "message"), [
    ('"{{ title }}"', "\"{{ 'x' * 10**9 }}\"", 0, 16, "template text.title: template too costly: a repeated"),
    ('"{{ title }}"', '"{{ 10**(10**9) }}"', 0, 16, "a number would need"),
    ("template: |-", "template: |-\n      {% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}"
     "{% endfor %}", 1, 7, "template text.description: template too costly: rendering took longer than"),
    ('"= text.title"', "\"= text.title * 10**9\"", 0, 13, "upload.snippet.title: template too costly"),
])
def test_validate_flags_a_costly_template_at_its_line(tmp_path, old, new, below, col, message):
    """At the template's first line (a block template's starts below its key) and column."""
    path, line = youtube_rules_with(tmp_path / "platforms", old, new)
    problems = check_platform_rules_dir(path.parent)[1]
    found = [(p.file, p.line, p.col) for p in problems]
    assert found == [(str(path), line + below, col)], [p.format() for p in problems]
    assert message in problems[0].message


@pytest.mark.slow  # runs the pre-commit hook's command in a child process
def test_the_pre_commit_hook_command_reports_a_costly_template(tmp_path):
    """``.pre-commit-hooks.yaml`` runs ``storyexport validate`` in the project: it must end, with the problem."""
    _, line = youtube_rules_with(tmp_path / "platforms", '"{{ title }}"', '"{{ 10**(10**9) }}"')
    (tmp_path / "exports.yaml").write_text(
        "version: 1\noutput_dir: out\nstories:\n"
        "  - {id: a1, title: T, segment: women, age_group: 18-23, source: a.mp4}\n", encoding="utf-8")
    hook = (Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "entry: storyexport validate" in hook and "pass_filenames: false" in hook
    done = subprocess.run([sys.executable, "-m", "storyexport", "validate"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert f"youtube.yaml:{line}:16: template text.title: template too costly" in done.stdout


def test_memory_growth_is_measured_from_the_first_check():
    """The safety net behind the per-operation checks: the first check records the resident size, a later one
    fails once the process grew past the bound (simulated by moving the recorded start back)."""
    from storyexport.metadata.sandbox import MAX_GROWTH_BYTES, TemplateLimitError, _Budget, _check_growth

    budget = _Budget(seconds=2.0, deadline=0.0)
    _check_growth(budget)
    assert budget.start_bytes and budget.start_bytes > 1_000_000
    _check_growth(budget)  # no growth: passes
    budget.start_bytes -= MAX_GROWTH_BYTES + 1
    with pytest.raises(TemplateLimitError, match="used more than 64 MB"):
        _check_growth(budget)
