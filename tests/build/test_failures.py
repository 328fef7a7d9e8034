"""One bad story never stops the others; the summary names it; the next run retries only what failed."""

from __future__ import annotations

import shutil

import pytest

from .conftest import Project, story_files

pytestmark = pytest.mark.slow  # end-to-end doit builds


def test_bad_stories_fail_alone_and_are_retried(fresh_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project = fresh_project
    (project.root / "src" / "beta.mp4").write_bytes(b"this is not a video")
    (project.root / "src" / "gamma.mp4").unlink()
    assert project.build() == 1
    out = capsys.readouterr().out
    assert "FAILED video:beta:" in out and "beta.mp4" in out.split("FAILED video:beta:")[1].splitlines()[0]
    assert "FAILED video:gamma:" in out and "does not exist" in out
    assert "Traceback" not in out
    snap = project.snapshot()
    assert "women/18-23/platforms/alpha_youtube_metadata.json" in snap
    assert "report.html" in snap and "export_registry.json" in snap  # aggregates ran for the good stories
    assert not story_files(snap, "beta") and not story_files(snap, "gamma")

    before = project.snapshot()
    assert project.build() == 1  # retried, still failing
    out = capsys.readouterr().out
    assert "FAILED video:beta" in out and "alpha" not in out.split("storyexport:")[0]
    assert not (story_files(before, "alpha") & project.rewritten(before))

    shutil.copyfile(project.root / "src" / "alpha.mp4", project.root / "src" / "beta.mp4")
    shutil.copyfile(project.root / "src" / "alpha.mp4", project.root / "src" / "gamma.mp4")
    assert project.build() == 0
    snap = project.snapshot()
    assert "women/18-23/beta.mp4" in snap and "men/24-29/gamma_metadata.json" in snap


def test_spec_a_source_cannot_meet_names_the_platform(fresh_project: Project,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    project = fresh_project
    rules = project.root / "platforms" / "youtube.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "max_duration_s: 179.5" in text
    rules.write_text(text.replace("max_duration_s: 179.5", "max_duration_s: 2"), encoding="utf-8")
    assert project.build() == 1
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.strip().startswith("FAILED video:alpha"))
    assert "youtube" in line and "2" in line
