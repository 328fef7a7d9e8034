"""`storyexport plan`: what would be rebuilt and why, without running anything; doit's own commands still work."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from storyexport.cli import main

from .conftest import Project


def plan(project: Project, capsys: pytest.CaptureFixture[str]) -> dict[str, list[str]]:
    assert main(["plan", "-m", str(project.manifest), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return {entry["task"]: entry["reasons"] for entry in data["would_run"]}


def test_plan_after_a_build_is_empty(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert plan(project, capsys) == {}


def test_plan_names_the_changed_key_and_propagates(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    before = project.snapshot()
    project.edit_story("alpha", title="New title")
    entries = plan(project, capsys)
    assert project.rewritten(before) == set()  # nothing ran
    assert "story.title" in entries["metadata:alpha"][0]
    assert any("story.title" in reason for reason in entries["platform:alpha:tiktok"])
    assert "registry" in entries and "report" in entries
    assert not [name for name in entries if "beta" in name or "gamma" in name or name.startswith("video:")]


def test_plan_names_a_changed_source_file(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    source = project.root / "src" / "gamma.mp4"
    source.write_bytes(source.read_bytes()[:-10])
    entries = plan(project, capsys)
    assert entries["video:gamma"] == ["input changed: src/gamma.mp4"]
    assert "upstream reruns: video:gamma" in entries["thumbnails:gamma"]


def test_plan_on_a_fresh_project_lists_everything(fresh_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "-m", str(fresh_project.manifest)]) == 0
    out = capsys.readouterr().out
    assert "video:alpha" in out and "would run" in out


def test_doit_list_info_and_clean_keep_working(project: Project) -> None:
    listing = project.doit("list", "--all")
    assert listing.returncode == 0 and "video:alpha" in listing.stdout and "platform:beta:tiktok" in listing.stdout
    info = project.doit("info", "thumbnails:alpha")
    assert info.returncode == 0 and "thumbnails:alpha" in info.stdout
    clean = project.doit("clean", "video:gamma")
    assert clean.returncode == 0
    assert not (project.out / "men" / "24-29" / "gamma.mp4").exists()
    assert (project.out / "women" / "18-23" / "alpha.mp4").exists()
    os.chdir(project.root)


def test_doit_builds_another_manifest_given_on_the_command_line(project: Project) -> None:
    data = project.data()
    data["output_dir"] = "other-out"
    data["stories"] = [data["stories"][2]]
    (project.root / "other.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    result = project.doit("manifest=other.yaml", "progress=plain")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project.root / "other-out" / "men" / "24-29" / "gamma.mp4").is_file()
    assert not (project.root / "other-out" / "women").exists()


def test_remove_bars_reexports_only_the_story_that_sets_it(project: Project,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = project.data()
    data["stories"][1]["video"] = {"remove_bars": False}  # the default, spelled out: nothing to redo
    data["stories"][0]["video"] = {"remove_bars": True}
    project.write(data)
    entries = plan(project, capsys)
    assert "video.remove_bars" in entries["video:alpha"][0]
    assert [name for name in entries if name.startswith("video:")] == ["video:alpha"]
