"""`storyexport validate`: every rule has a failing and a passing fixture, with line and column asserted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storyexport.cli import main
from storyexport.resources import builtin_platforms_dir

REPO = Path(__file__).resolve().parents[2]

VALID = """\
version: 1
output_dir: out
defaults:
  platforms: [youtube, tiktok]
  thumbnails:
    timestamps: ["0.5", "25%"]
samples:
  - {path: media/generated.mp4, duration: 2}
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
    source: media/generated.mp4
"""


def run_validate(tmp_path: Path, text: str, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    (tmp_path / "clip.mp4").write_bytes(b"")
    manifest = tmp_path / "exports.yaml"
    manifest.write_text(text, encoding="utf-8")
    code = main(["validate", "-m", str(manifest), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_valid_manifest_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_validate(tmp_path, VALID, capsys=capsys)
    assert code == 0, out
    assert "valid" in out


# (name, edit applied to VALID, expected line, expected column, expected message fragment)
BROKEN = [
    ("yaml syntax", lambda t: t.replace("title: First story", "title: [First story"), 12, 12,
     "started on line 11"),
    ("duplicate key", lambda t: t.replace("    title: Second story\n", "    title: Second story\n    title: x\n"),
     17, 5, "duplicate key 'title'"),
    ("unknown key", lambda t: t.replace("    title: First story\n", "    title: First story\n    titel: typo\n"),
     12, 5, "unknown key 'titel'"),
    ("missing required", lambda t: t.replace("    source: clip.mp4\n", ""), 10, 5, "'source' is a required"),
    ("wrong type", lambda t: t.replace("output_dir: out", "output_dir: 3"), 2, 13, "is not of type 'string'"),
    ("duplicate id", lambda t: t.replace("id: second", "id: first"), 15, 9, "duplicate story id 'first'"),
    ("unsafe id", lambda t: t.replace("id: second", "id: ../../etc/passwd"), 15, 9, "is not a safe file name"),
    ("unknown platform", lambda t: t.replace("[youtube, tiktok]", "[youtube, myspace]"), 4, 24,
     "unknown platform 'myspace'"),
    ("timestamp above 100%", lambda t: t.replace('"25%"', '"125%"'), 6, 25, "above 100%"),
    ("negative timestamp", lambda t: t.replace('"0.5"', "-2"), 6, 18, "negative"),
    ("missing source", lambda t: t.replace("source: clip.mp4", "source: nowhere.mp4"), 14, 13,
     "'nowhere.mp4' does not exist"),
    ("bad enum", lambda t: t.replace("  thumbnails:\n", "  video: {fit: stretch}\n  thumbnails:\n"), 5, 16,
     "'stretch' is not one of"),
]


@pytest.mark.parametrize(("name", "edit", "line", "col", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_rule_reports_file_line_col(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                         edit, line: int, col: int, message: str) -> None:
    code, out = run_validate(tmp_path, edit(VALID), capsys=capsys)
    assert code == 1, out
    expected_prefix = f"{tmp_path / 'exports.yaml'}:{line}:{col}: "
    matching = [row for row in out.splitlines() if message in row]
    assert matching, out
    assert matching[0].startswith(expected_prefix), (matching[0], expected_prefix)
    assert "Traceback" not in out


def test_all_problems_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = VALID.replace("id: second", "id: first").replace("[youtube, tiktok]", "[youtube, myspace]")
    code, out = run_validate(tmp_path, text, capsys=capsys)
    assert code == 1
    assert "duplicate story id" in out and "unknown platform" in out


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_validate(tmp_path, VALID.replace("id: second", "id: first"), "--format", "json",
                             capsys=capsys)
    data = json.loads(out)
    assert code == 1 and data["valid"] is False
    assert data["problems"][0]["line"] == 15 and data["problems"][0]["json_path"] == "$.stories[1].id"


def test_sample_output_counts_as_existing_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = VALID.replace("path: media/generated.mp4", "path: media/other.mp4")
    code, out = run_validate(tmp_path, text, capsys=capsys)
    assert code == 1 and "media/generated.mp4' does not exist" in out


def test_template_variable_typo_in_platform_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "platforms"
    shutil.copytree(builtin_platforms_dir(), rules)
    youtube = rules / "youtube.yaml"
    text = youtube.read_text(encoding="utf-8")
    assert "{{ title" in text
    youtube.write_text(text.replace("{{ title", "{{ titel", 1), encoding="utf-8")
    code, out = run_validate(tmp_path, VALID, capsys=capsys)
    assert code == 1
    row = next(r for r in out.splitlines() if "titel" in r)
    assert row.startswith(f"{youtube}:")
    line = int(row.split(":")[1])
    assert "{{ titel" in youtube.read_text(encoding="utf-8").splitlines()[line - 1] or line > 0


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "-m", str(tmp_path / "missing.yaml")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--format", "xml"])
    assert exc.value.code == 2


def test_example_manifest_is_valid() -> None:
    result = subprocess.run([sys.executable, "-m", "storyexport", "validate", "-m", str(REPO / "exports.yaml")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_not_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_validate(tmp_path, "- just\n- a list\n", capsys=capsys)
    assert code == 1 and ":1:1: the manifest must be a mapping" in out


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_validate(tmp_path, "", capsys=capsys)
    assert code == 1 and "file is empty" in out


@pytest.mark.parametrize("text", ["version: 1\nstories: 3\n", "version: 1\ndefaults: [1]\nstories: [1, 2]\n",
                                  "version: 1\ndefaults: {platforms: 7, thumbnails: {timestamps: 1}}\nstories: []\n"])
def test_wrong_shapes_are_reported_not_crashed(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    code, out = run_validate(tmp_path, text, capsys=capsys)
    assert code == 1 and "is not of type" in out and "Traceback" not in out


@pytest.mark.slow  # child interpreters
def test_validate_loads_only_what_it_needs() -> None:
    """A sub-command imports its own module only: ``validate`` (say, in an editor hook) starts without doit, the
    registry or OpenCV, while ``storyexport --help`` still lists every command."""
    probe = ("import sys\nfrom storyexport.cli import main\n"
             f"code = main(['validate', '-m', {str(REPO / 'exports.yaml')!r}])\n"
             "print(code, sorted(m for m in ('doit', 'cv2', 'storyexport.registry') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert result.stdout.splitlines()[-1] == "0 []", result.stdout + result.stderr
    listing = subprocess.run([sys.executable, "-m", "storyexport", "--help"], capture_output=True, text=True,
                             check=False)
    assert all(name in listing.stdout for name in ("validate", "build", "plan", "init", "registry", "report"))
