"""Manifest input that used to pass ``validate`` and then broke the build or the file system (issue 13, 12-13).

Each case is rejected with FILE:LINE:COL naming the offending key, and none prints a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from storyexport.cli import main
from storyexport.config import ConfigError
from storyexport.config.manifest import load_for_build
from storyexport.config.safety import windows_name_problem

VALID = """\
version: 1
output_dir: out
defaults:
  video: &v {crf: 22, fps: 30}
stories:
  - id: first
    title: First story
    segment: women
    age_group: 18-23
    source: clip.mp4
  - id: second
    title: Second story
    segment: men
    age_group: 24-29
    source: clip.mp4
"""


def validate(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    (tmp_path / "clip.mp4").write_bytes(b"")
    manifest = tmp_path / "exports.yaml"
    manifest.write_text(text, encoding="utf-8")
    code = main(["validate", "-m", str(manifest)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out + out.err


def test_the_base_manifest_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(tmp_path, VALID, capsys) == (0, f"{tmp_path / 'exports.yaml'}: valid\n")


Edit = Callable[[str], str]
# (name, edit of VALID, line, column, words in the message)
REJECTED: list[tuple[str, Edit, int, int, str]] = [
    ("blank title", lambda t: t.replace("title: First story", "title: '   '"), 7, 12, "title must not be blank"),
    ("tab-only title", lambda t: t.replace("title: First story", 'title: "\\t\\n"'), 7, 12, "must not be blank"),
    ("blank source", lambda t: t.replace("source: clip.mp4", "source: ' '", 1), 10, 13, "source must not be blank"),
    ("blank output_dir", lambda t: t.replace("output_dir: out", "output_dir: '  '"), 2, 13,
     "output_dir must not be blank"),
    ("id with a final newline", lambda t: t.replace("id: first", 'id: "first\\n"'), 6, 9, "not a safe file name"),
    ("segment with a final newline", lambda t: t.replace("segment: women", 'segment: "women\\n"'), 8, 14,
     "does not match"),
    ("ids equal up to case", lambda t: t.replace("id: second", "id: FIRST"), 11, 9,
     "'FIRST' differs from 'first' (line 6) only in case"),
    ("reserved id", lambda t: t.replace("id: second", "id: con"), 11, 9, "CON is a reserved device name"),
    ("reserved id with digits", lambda t: t.replace("id: second", "id: LPT9"), 11, 9, "LPT9 is a reserved"),
    ("reserved segment", lambda t: t.replace("segment: men", "segment: Aux"), 13, 14, "AUX is a reserved"),
    ("reserved age group", lambda t: t.replace("age_group: 24-29", "age_group: nul"), 14, 16,
     "NUL is a reserved"),
    ("reserved output folder with an extension", lambda t: t.replace("output_dir: out", "output_dir: out/com1.txt"),
     2, 13, "COM1 is a reserved device name"),
    ("output folder ending in a dot", lambda t: t.replace("output_dir: out", "output_dir: 'out.'"), 2, 13,
     "ends with a dot or a space"),
    ("output folder ending in a space", lambda t: t.replace("output_dir: out", "output_dir: 'out /x'"), 2, 13,
     "ends with a dot or a space"),
    ("output folder is the root", lambda t: t.replace("output_dir: out", "output_dir: /"), 2, 13,
     "root of the file system"),
    ("output folder is the home folder", lambda t: t.replace("output_dir: out", "output_dir: ~"), 2, 13,
     "is your home folder"),
    ("output folder is the project", lambda t: t.replace("output_dir: out", "output_dir: ."), 2, 13,
     "the manifest's own folder or one above it"),
    ("output folder above the project", lambda t: t.replace("output_dir: out", "output_dir: .."), 2, 13,
     "the manifest's own folder or one above it"),
    ("NUL in a source", lambda t: t.replace("source: clip.mp4", 'source: "cl\\0ip.mp4"', 1), 10, 13,
     "source 'cl\\x00ip.mp4' contains a control character"),
    ("newline in output_dir", lambda t: t.replace("output_dir: out", 'output_dir: "out\\nx"'), 2, 13,
     "output_dir 'out\\nx' contains a control character"),
    ("NUL in platforms_dir", lambda t: t.replace("output_dir: out", 'platforms_dir: "p\\0"'), 2, 16,
     "platforms_dir 'p\\x00' contains a control character"),
    ("duplicate key is still one", lambda t: t.replace("    title: Second story\n",
                                                        "    title: Second story\n    title: Again\n"), 13, 5,
     "duplicate key 'title' (first defined on line 12)"),
]


@pytest.mark.parametrize(("name", "edit", "line", "col", "words"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_with_file_line_col(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, edit: Edit,
                                     line: int, col: int, words: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    text = edit(VALID)
    if "output_dir: ~" in text:
        text = text.replace("output_dir: ~", f"output_dir: {tmp_path / 'home'}")
    code, out = validate(tmp_path, text, capsys)
    rows = [row for row in out.splitlines() if words in row]
    assert code == 1 and rows, out
    assert rows[0].startswith(f"{tmp_path / 'exports.yaml'}:{line}:{col}: "), rows[0]


def test_merge_key_with_an_override_is_no_duplicate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = VALID.replace("    source: clip.mp4\n  - id: second", "    source: clip.mp4\n    video: {<<: *v, crf: 30}\n"
                         "  - id: second", 1)
    assert "<<: *v" in text
    code, out = validate(tmp_path, text, capsys)
    assert code == 0, out


def test_merge_keys_keep_positions_and_still_catch_real_duplicates(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    text = VALID.replace("    source: clip.mp4\n  - id: second",
                         "    source: clip.mp4\n    video: {<<: *v, crf: 30, crf: 31, fit: stretch}\n  - id: second", 1)
    code, out = validate(tmp_path, text, capsys)
    assert code == 1
    assert "exports.yaml:11:30: duplicate key 'crf' (first defined on line 11)" in out
    assert "exports.yaml:11:44: 'stretch' is not one of" in out and out.count("duplicate key") == 1


def test_output_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out").write_text("my notes", encoding="utf-8")
    code, out = validate(tmp_path, VALID, capsys)
    assert code == 1 and f"exports.yaml:2:13: output_dir 'out': {tmp_path / 'out'} is a file, not a folder" in out
    code, out = validate(tmp_path, VALID.replace("output_dir: out", "output_dir: out/final"), capsys)
    assert code == 1 and f"{tmp_path / 'out'} is a file, not a folder" in out
    assert (tmp_path / "out").read_text(encoding="utf-8") == "my notes"


@pytest.mark.parametrize(("name", "problem"), [
    ("CON", "reserved"), ("con.txt", "reserved"), ("Com3.tar.gz", "reserved"), ("LPT¹", "reserved"),
    ("NUL .mp4", "reserved"), ("name.", "dot or a space"), ("name ", "dot or a space"), ("CONSOLE", None),
    ("COM0", None), ("LPT10", None), ("aux_1", None), ("nully", None), ("..", None), ("first", None),
])
def test_windows_names(name: str, problem: str | None) -> None:
    reason = windows_name_problem(name)
    assert (reason is None) if problem is None else (problem in reason), reason


@pytest.mark.parametrize(("source", "words"), [
    ("https://example.com/clip.mp4", "source 'https://example.com/clip.mp4' is a URL; URLs are not supported"),
    ("file:///tmp/clip.mp4", "source 'file:///tmp/clip.mp4' is a URL; URLs are not supported"),
    ("folder.mp4", "source 'folder.mp4' is a folder, not a video file"),
    ("pipe.mp4", "source 'pipe.mp4' is a named pipe (FIFO), not a video file"),
    ("/dev/null", "source '/dev/null' is a character device, not a video file"),
])
def test_a_source_that_is_no_file_says_what_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str,
                                                   words: str) -> None:
    (tmp_path / "folder.mp4").mkdir()
    os.mkfifo(tmp_path / "pipe.mp4")
    code, out = validate(tmp_path, VALID.replace("source: clip.mp4", f"source: {source}", 1), capsys)
    assert code == 1 and f"exports.yaml:10:13: {words}" in out, out
    assert "does not exist" not in out and "https:/example" not in out


def test_the_build_refuses_a_url_before_it_becomes_a_path(tmp_path: Path) -> None:
    manifest = tmp_path / "exports.yaml"
    manifest.write_text(VALID.replace("source: clip.mp4", "source: https://example.com/a.mp4", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_for_build(manifest)
    assert "is a URL; URLs are not supported" in caught.value.one_line()


def test_a_symbolic_link_loop_is_named_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "loop").symlink_to("loop")
    text = VALID.replace("output_dir: out", "output_dir: loop/out").replace("source: clip.mp4", "source: loop", 1)
    code, out = validate(tmp_path, text, capsys)
    assert code == 1
    assert "exports.yaml:2:13: output_dir 'loop/out' cannot be resolved (a symbolic link loop?)" in out
    assert "exports.yaml:10:13: source 'loop' cannot be read (Too many levels of symbolic links)" in out
