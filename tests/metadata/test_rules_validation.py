"""check_platform_rules_dir: every rule has a failing fixture (with asserted line and column) and a passing one."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyexport.config.problems import ConfigError
from storyexport.metadata import PlatformExporter, TemplateProblem, check_platform_rules_dir, load_platform_rules

VALID = """\
name: demo
video:
  min_duration_s: 3
  max_duration_s: 60
text:
  title:
    template: "{{ title }}"
    max_length: 100
    unit: characters
    shrink: title
    forbidden: {"<": "(", ">": ")"}
  description:
    template: |-
      {{ description }}
      {{ hashtag_line }}
    max_length: 500
    unit: utf8_bytes
hashtags:
  max_count: 3
  grapheme_pattern: '[\\p{L}\\p{N}_]\\p{M}*'
  strategy:
    name: plain
    sources: [story]
upload:
  caption: "= text.description"
"""

# (id, text to replace in VALID, failing replacement, passing replacement, line, column, message part)
CASES = [
    ("yaml_syntax", "  max_duration_s: 60", "  max_duration_s: [60", "  max_duration_s: 60",
     5, 5, "did not find expected ',' or ']'"),
    ("duplicate_key", "  max_duration_s: 60", "  max_duration_s: 60\n  max_duration_s: 70",
     "  max_duration_s: 60\n  max_fps: 70", 5, 3, "duplicate key 'max_duration_s'"),
    ("unknown_key", "  max_duration_s: 60", "  max_duraton_s: 60", "  max_duration_s: 60",
     4, 3, "did you mean 'max_duration_s'"),
    ("wrong_type", "  max_duration_s: 60", "  max_duration_s: long", "  max_duration_s: 60.5",
     4, 19, "'long' is not of type"),
    ("bad_enum", "    unit: utf8_bytes", "    unit: bytes", "    unit: utf16_units",
     17, 11, "'bytes' is not one of"),
    ("missing_required", '    unit: characters\n', "\n", '    unit: characters\n',
     6, 3, "missing required key: 'unit'"),
    ("name_differs", "name: demo", "name: other", "name: demo", 1, 7, "differs from the file name 'demo'"),
    ("jinja_syntax_block", "      {{ hashtag_line }}", "      {{ hashtag_line }", "      {{ hashtag_line }}",
     15, 7, "Jinja syntax error"),
    ("jinja_syntax_inline", '"{{ title }}"', '"{{ title "', '"{{ title }}"', 7, 16, "Jinja syntax error"),
    ("unknown_filter", "      {{ description }}", "      {{ description | shout }}", "      {{ description | upper }}",
     14, 7, "No filter named 'shout'"),
    ("unknown_variable_block", "      {{ description }}", "      {{ descripton }}", "      {{ description }}",
     14, 10, "unknown variable 'descripton'; did you mean 'description'?"),
    ("unknown_variable_inline", '"{{ title }}"', '"{{ titel }}"', '"{{ title_id }}"',
     7, 19, "unknown variable 'titel'; did you mean 'title'?"),
    ("upload_unknown_variable", '"= text.description"', '"= captoin"', '"= hashtag_line"',
     25, 15, "unknown variable 'captoin'"),
    ("upload_expression_syntax", '"= text.description"', '"= text."', '"= text.title"',
     25, 12, "Jinja expression syntax error"),
    ("shrink_not_story_text", "    shrink: title", "    shrink: hashtags", "    shrink: theme",
     10, 13, "not a story text variable"),
    ("shrink_list_entry_not_story_text", "    shrink: title", "    shrink: [title, tags]", "    shrink: [title, tone]",
     10, 21, "text.title.shrink 'tags' is not a story text variable"),
    ("upload_empty_expression", '"= text.description"', '"= "', '"= text.title"', 25, 12, "empty expression after '='"),
    ("invalid_regex", "'[\\p{L}\\p{N}_]\\p{M}*'", "'[\\p{L}'", "'[\\p{L}]'", 20, 21, "invalid regular expression"),
    ("min_above_max", "  min_duration_s: 3", "  min_duration_s: 90", "  min_duration_s: 60",
     3, 19, "min_duration_s (90) is greater than max_duration_s (60)"),
    ("min_length_above_max", "    max_length: 100", "    max_length: 100\n    min_length: 101",
     "    max_length: 100\n    min_length: 100", 9, 17, "min_length (101) is greater than max_length (100)"),
    ("replacement_is_forbidden", '{"<": "(", ">": ")"}', '{"<": ">", ">": ")"}', '{"<": "‹", ">": "›"}',
     11, 22, "contains a forbidden character"),
]


def write_rules(folder: Path, text: str, name: str = "demo") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_base_fixture_is_valid(tmp_path):
    write_rules(tmp_path, VALID)
    rules, problems = check_platform_rules_dir(tmp_path)
    assert problems == []
    assert rules["demo"]["text"]["title"]["max_length"] == 100


@pytest.mark.parametrize(("case", "old", "bad", "good", "line", "col", "message"), CASES, ids=[c[0] for c in CASES])
def test_rule_fails_with_position_and_passes_when_fixed(tmp_path, case, old, bad, good, line, col, message):
    assert old in VALID, case
    path = write_rules(tmp_path / "bad", VALID.replace(old, bad, 1))
    rules, problems = check_platform_rules_dir(path.parent)
    assert rules == {}
    assert len(problems) == 1, [p.format() for p in problems]
    problem = problems[0]
    assert (problem.file, problem.line, problem.col) == (str(path), line, col), problem.format()
    assert message in problem.message
    write_rules(tmp_path / "good", VALID.replace(old, good, 1))
    assert check_platform_rules_dir(tmp_path / "good")[1] == []


def test_all_problems_of_all_files_are_collected(tmp_path):
    write_rules(tmp_path, VALID.replace("name: demo", "name: a").replace("{{ title }}", "{{ titel }}"), "demo")
    write_rules(tmp_path, VALID.replace("name: demo\n", "").replace("max_count: 3", "max_count: -1"), "other")
    write_rules(tmp_path, VALID.replace("name: demo\n", ""), "fine")
    rules, problems = check_platform_rules_dir(tmp_path)
    assert sorted(rules) == ["fine"]
    assert [(Path(p.file).name, p.line) for p in problems] == [("demo.yaml", 1), ("demo.yaml", 7), ("other.yaml", 18)]


def test_the_file_name_must_be_a_platform_name(tmp_path):
    write_rules(tmp_path / "bad", VALID.replace("name: demo\n", ""), "Face Book")
    problems = check_platform_rules_dir(tmp_path / "bad")[1]
    assert [(Path(p.file).name, p.line, p.col) for p in problems] == [("Face Book.yaml", 1, 1)]
    assert "is not a platform name" in problems[0].message
    write_rules(tmp_path / "good", VALID.replace("name: demo\n", ""), "face_book")
    assert check_platform_rules_dir(tmp_path / "good")[1] == []


def test_missing_and_empty_folders_are_problems(tmp_path):
    assert [p.format() for p in check_platform_rules_dir(tmp_path / "nope")[1]] == [
        f"{tmp_path / 'nope'}:1:1: platform rules folder not found (at $)"]
    assert [p.format() for p in check_platform_rules_dir(tmp_path)[1]] == [
        f"{tmp_path}:1:1: no platform rules files (*.yaml) in this folder (at $)"]
    write_rules(tmp_path, VALID)
    assert check_platform_rules_dir(tmp_path)[1] == []


def test_yml_beside_yaml_is_a_clash(tmp_path):
    write_rules(tmp_path, VALID)
    (tmp_path / "demo.yml").write_text(VALID, encoding="utf-8")
    assert [p.format() for p in check_platform_rules_dir(tmp_path)[1]] == [
        f"{tmp_path / 'demo.yml'}:1:1: both demo.yaml and demo.yml exist; keep one (at $)"]
    (tmp_path / "demo.yaml").unlink()
    rules, problems = check_platform_rules_dir(tmp_path)
    assert problems == [] and list(rules) == ["demo"]


def test_load_platform_rules_raises_config_error_with_every_problem(tmp_path):
    write_rules(tmp_path, VALID.replace("max_duration_s", "max_duraton_s").replace("bytes", "byte"))
    with pytest.raises(ConfigError) as caught:
        load_platform_rules(tmp_path)
    assert len(caught.value.problems) == 2
    assert caught.value.one_line().startswith(f"{tmp_path / 'demo.yaml'}:4:3: unknown key 'max_duraton_s'")


def test_builtin_rules_are_valid(builtin_dir):
    rules, problems = check_platform_rules_dir(builtin_dir)
    assert problems == []
    assert sorted(rules) == ["instagram", "tiktok", "youtube"]


def test_a_template_error_at_render_time_names_the_file_and_template(tmp_path):
    # 'title' is a known variable, so only rendering can find that a string has no attribute 'upper_case'.
    write_rules(tmp_path, VALID.replace("{{ title }}", "{{ title.upper_case }}"))
    exporter = PlatformExporter(tmp_path)
    with pytest.raises(TemplateProblem) as caught:
        exporter.generate_platform_metadata({"id": "x", "title": "Hello"}, "demo")
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'demo.yaml'} text.title: template error:")
    assert "upper_case" in message


def test_a_template_typo_stops_the_exporter_with_file_line_and_template(tmp_path):
    write_rules(tmp_path, VALID.replace("{{ title }}", "{{ titel }}"))
    with pytest.raises(ConfigError) as caught:
        PlatformExporter(tmp_path)
    assert caught.value.one_line() == (f"{tmp_path / 'demo.yaml'}:7:19: template text.title: unknown variable "
                                       "'titel'; did you mean 'title'? (at $.text.title.template)")


def test_templates_cannot_reach_python_internals(tmp_path):
    write_rules(tmp_path, VALID.replace("{{ title }}", "{{ title.__class__.__mro__ }}"))
    with pytest.raises(TemplateProblem, match=r"text\.title: template error: .*unsafe"):
        PlatformExporter(tmp_path).generate_platform_metadata({"id": "x", "title": "Hello"}, "demo")


def test_templates_cannot_modify_the_values_they_are_given(tmp_path):
    write_rules(tmp_path, VALID.replace("{{ hashtag_line }}", "{{ hashtags.append('#spam') }}"))
    with pytest.raises(TemplateProblem, match=r"text\.description: template error: .*unsafe"):
        PlatformExporter(tmp_path).generate_platform_metadata({"id": "x", "title": "Hi", "hashtags": ["a"]}, "demo")


def test_hidden_files_in_the_rules_folder_are_ignored(tmp_path):
    write_rules(tmp_path, VALID)
    (tmp_path / ".demo.yaml").write_text("broken: [", encoding="utf-8")
    assert check_platform_rules_dir(tmp_path)[1] == []


def test_an_upload_expression_error_names_the_field(tmp_path):
    write_rules(tmp_path, VALID.replace("= text.description", "= text.caption"))
    with pytest.raises(TemplateProblem, match=r"demo.yaml upload.caption: expression .*caption"):
        PlatformExporter(tmp_path).generate_platform_metadata({"id": "x", "title": "Hello"}, "demo")
