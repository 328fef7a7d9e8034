"""Hostile YAML: an alias bomb or a self-referencing alias is refused with FILE:LINE before anything expands it,
in bounded memory, by every command that reads YAML the user controls (manifest, platform rules)."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from storyexport.config.yamlpos import load_yaml
from storyexport.resources import builtin_platforms_dir

REPO = Path(__file__).resolve().parents[2]
MEMORY_BOUND_KB = 200 * 1024
STORY = '  - {id: a1, title: "T", segment: women, age_group: 18-23, source: a.mp4}\n'


def billion_laughs(levels: int = 9, first_line: int = 1) -> tuple[str, int]:
    """YAML lines defining 10 anchors, each level nine aliases of the one before (9**10 values expanded), and
    the line whose value first expands past the limit (level 6: 9**7 = 4.8 million values)."""
    lines = ['lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n", first_line + 5


def assert_refused_in_bounds(result: dict, where: str) -> None:
    """Refused (validate reports on stdout, doit on stderr) with FILE:LINE, no traceback, in bounded memory."""
    output = result["stdout"] + result["stderr"]
    assert result["code"] != 0, result
    assert where in output and "alias bomb" in output and "Traceback" not in output, output
    assert result["maxrss_kb"] < MEMORY_BOUND_KB, result["maxrss_kb"]


@pytest.fixture
def bomb_project(tmp_path: Path) -> Path:
    laughs, line = billion_laughs(first_line=3)
    (tmp_path / "exports.yaml").write_text(f"version: 1\noutput_dir: out\n{laughs}stories:\n{STORY}",
                                           encoding="utf-8")
    shutil.copyfile(REPO / "dodo.py", tmp_path / "dodo.py")
    (tmp_path / "line").write_text(str(line))
    return tmp_path


@pytest.mark.slow  # a child process with a memory measurement
def test_validate_refuses_a_billion_laughs_manifest_in_bounded_memory(bomb_project, peak_memory):
    line = (bomb_project / "line").read_text()
    result = peak_memory(bomb_project, sys.executable, "-m", "storyexport", "validate")
    assert result["code"] == 1
    assert_refused_in_bounds(result, f"exports.yaml:{line}:")


@pytest.mark.slow  # a child process with a memory measurement
def test_doit_refuses_a_billion_laughs_manifest_in_bounded_memory(bomb_project, peak_memory):
    line = (bomb_project / "line").read_text()
    assert_refused_in_bounds(peak_memory(bomb_project, sys.executable, "-m", "doit"), f"exports.yaml:{line}:")


def test_platform_rules_with_an_alias_bomb_are_refused(tmp_path, peak_memory):
    rules = tmp_path / "platforms"
    shutil.copytree(builtin_platforms_dir(), rules)
    tiktok = rules / "tiktok.yaml"
    text = tiktok.read_text(encoding="utf-8")
    laughs, line = billion_laughs(first_line=text.count("\n") + 1)
    tiktok.write_text(text + laughs, encoding="utf-8")
    (tmp_path / "exports.yaml").write_text(f"version: 1\noutput_dir: out\nstories:\n{STORY}", encoding="utf-8")
    result = peak_memory(tmp_path, sys.executable, "-m", "storyexport", "validate", "-p", "platforms")
    assert result["code"] == 1
    assert_refused_in_bounds(result, f"tiktok.yaml:{line}:")


def test_an_alias_inside_its_own_anchor_is_one_problem(tmp_path):
    path = tmp_path / "x.yaml"
    loaded = load_yaml(path, "version: 1\nloop: &a\n  - 1\n  - *a\n")
    assert [(p.line, p.message) for p in loaded.problems] == [
        (2, "YAML alias refers to a value that contains the alias itself")]
    assert loaded.data is None


def test_ordinary_aliases_and_merge_keys_still_load(tmp_path):
    stories = "".join(f"  - {{<<: *d, id: s{n}}}\n" for n in range(2000))
    text = f"defaults: &d {{title: T, segment: women, age_group: 18-23, tags: [{', '.join(['x'] * 40)}]}}\n" \
           f"stories:\n{stories}"
    loaded = load_yaml(tmp_path / "x.yaml", text)
    assert loaded.problems == []
    assert len(loaded.data["stories"]) == 2000 and loaded.data["stories"][1999]["id"] == "s1999"


def test_validate_shows_control_characters_in_names_and_values_as_escapes(tmp_path, cli):
    manifest = tmp_path / "ex\x1b[2Jports.yaml"
    manifest.write_text('version: 1\nstories:\n  - {id: a1, title: "T", segment: women, age_group: 18-23,'
                        ' source: "cl\\e[2Jip\\a.mp4"}\n', encoding="utf-8")
    code, out, _ = cli("validate", "-m", str(manifest))
    assert code == 1
    assert "ex\\x1b[2Jports.yaml:3:" in out and "cl\\x1b[2Jip\\x07.mp4" in out
    assert re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out) == []


def test_success_lines_show_control_characters_as_escapes(tmp_path, cli):
    folder = tmp_path / "new\x1b]0;owned\x07project"
    code, out, _ = cli("init", str(folder))
    assert code == 0 and "new\\x1b]0;owned\\x07project" in out
    code, out, _ = cli("validate", "-m", str(folder / "exports.yaml"))
    assert code == 0 and out.endswith("new\\x1b]0;owned\\x07project/exports.yaml: valid\n")
    assert re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out) == []


def test_a_json_style_flow_bomb_is_refused_too(tmp_path):
    """Anchors right after ':' (JSON-style flow mappings) count as anchors as well."""
    levels = ['"l0":&l0 [1,1,1,1,1,1,1,1,1,1]'] + [f'"l{n}":&l{n} [{",".join([f"*l{n - 1}"] * 10)}]'
                                                  for n in range(1, 9)]
    loaded = load_yaml(tmp_path / "j.yaml", "version: 1\nx: {" + ", ".join(levels) + "}\n")
    assert [p.line for p in loaded.problems] == [2] and "alias bomb" in loaded.problems[0].message
    assert loaded.data is None
