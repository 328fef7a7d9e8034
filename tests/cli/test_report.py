"""``storyexport report``: text, JSON and HTML output, top N and filters, through the real dispatcher."""

from __future__ import annotations

import json

import pytest

from storyexport.cli import main
from storyexport.cli import report as report_cli

MANIFEST = """version: 1
output_dir: data/final
stories:
  - {id: full, title: "Full", segment: women, age_group: 18-23, source: a.mp4}
  - {id: partial, title: "Rainy window", segment: men, age_group: 24-30, source: b.mp4,
     platforms: [youtube, tiktok]}
"""


@pytest.fixture
def cli_project(project, monkeypatch):
    """The shared output folder, plus a manifest file naming two of its stories (sources need not exist)."""
    (project.root / "exports.yaml").write_text(MANIFEST, encoding="utf-8")
    monkeypatch.chdir(project.root)
    return project


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["report", *argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_text_report_has_build_and_performance_sections(cli_project, capsys):
    code, out, _ = run(capsys, "--format", "text", "--top", "1")
    assert code == 0
    assert "Total exports: 2" in out
    assert "Tasks run: 4, failed: 1 (25.0%)" in out
    assert "  video: 2.0 / 2.5 s over 2 runs, 0.0% failed" in out
    assert "Top 1:\n  1. full (" in out and "+10,500 views since" in out
    assert "  tiktok: 2,500 views, 13.6% engagement" in out


def test_json_report_with_filters(cli_project, capsys):
    code, out, _ = run(capsys, "--format", "json", "--segment", "men")
    data = json.loads(out)
    assert code == 0 and [s["id"] for s in data["stories"]] == ["partial"]
    assert data["performance"]["totals"]["views"] == 300
    assert data["performance"]["filters"] == {"segment": "men", "age_group": None, "platform": None}


def test_html_report_default_target_and_output_option(cli_project, capsys, tmp_path):
    code, out, _ = run(capsys)
    target = cli_project.output_dir / "report.html"
    assert code == 0 and out.strip() == str(target) and target.is_file()
    code, out, _ = run(capsys, "-o", str(tmp_path / "out" / "r.html"), "--platform", "youtube")
    html = (tmp_path / "out" / "r.html").read_text(encoding="utf-8")
    assert code == 0 and '"platform-name">tiktok' not in html and "platform=youtube" in html


def test_text_to_file(cli_project, capsys, tmp_path):
    code, out, _ = run(capsys, "--format", "text", "-o", str(tmp_path / "r.txt"))
    assert out.strip() == str(tmp_path / "r.txt")
    assert code == 0 and "PERFORMANCE" in (tmp_path / "r.txt").read_text(encoding="utf-8")


def test_errors(cli_project, capsys, tmp_path):
    code, _, err = run(capsys, "-m", str(tmp_path / "nope.yaml"))
    assert code == 1 and err == f"storyexport: manifest not found: {tmp_path / 'nope.yaml'}\n"
    (tmp_path / "bad.yaml").write_text("version: 1\nbogus: 2\nstories: []\n", encoding="utf-8")
    code, _, err = run(capsys, "-m", str(tmp_path / "bad.yaml"))
    assert code == 1 and err.count("\n") == 1 and "bad.yaml:2" in err
    assert run(capsys, "--top", "0")[0] == 2
    assert run(capsys, "--format", "pdf")[0] == 2
    assert report_cli.add_parser  # the dispatcher finds the module
