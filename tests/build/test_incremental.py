"""Exact incremental rebuilds: each edit rewrites exactly the outputs it affects (issue: the build, point 3)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from storyexport.build import recipes
from storyexport.media.samples import generate_sample

from .conftest import AGGREGATES, CLIP, Project, story_files


def test_full_build_writes_the_seed_layout(project: Project) -> None:
    snap = project.snapshot()
    for path in ("women/18-23/alpha.mp4", "women/18-23/alpha_thumbnail.jpg", "women/18-23/alpha_metadata.json",
                 "women/18-23/thumbnails/alpha_option1.jpg", "women/18-23/thumbnails/alpha_option2.jpg",
                 "women/18-23/thumbnails/alpha_grid.jpg", "women/18-23/thumbnails/alpha_scores.json",
                 "women/18-23/thumbnails/alpha_at1.jpg", "women/18-23/platforms/alpha_youtube_metadata.json",
                 "women/18-23/platforms/alpha_tiktok_metadata.json",
                 "women/18-23/platforms/alpha_instagram_metadata.json", "men/24-29/gamma.mp4",
                 "export_registry.json", "report.html"):
        assert path in snap, path
    assert "women/18-23/platforms/beta_instagram_metadata.json" not in snap


def test_a_rebuild_right_after_a_build_rewrites_nothing(project: Project) -> None:
    before = project.snapshot()
    assert project.build() == 0
    assert project.rewritten(before) == set()


def test_b_title_edit_rewrites_only_that_storys_metadata(project: Project) -> None:
    before = project.snapshot()
    project.edit_story("alpha", title="Alpha, retitled")
    assert project.build() == 0
    rewritten = project.rewritten(before)
    expected = {"women/18-23/alpha_metadata.json", "women/18-23/platforms/alpha_youtube_metadata.json",
                "women/18-23/platforms/alpha_tiktok_metadata.json",
                "women/18-23/platforms/alpha_instagram_metadata.json"}
    assert expected <= rewritten
    assert rewritten - expected <= AGGREGATES, rewritten - expected


def test_c_platform_rules_edit_rewrites_only_that_platforms_json(project: Project) -> None:
    before = project.snapshot()
    rules = project.root / "platforms" / "tiktok.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# a comment changes the file, not the rules\n",
                     encoding="utf-8")
    assert project.build() == 0
    assert project.rewritten(before) - AGGREGATES == {
        "women/18-23/platforms/alpha_tiktok_metadata.json", "women/18-23/platforms/beta_tiktok_metadata.json",
        "men/24-29/platforms/gamma_tiktok_metadata.json"}


def test_d_default_thumbnail_options_rebuild_only_inheriting_stories(project: Project) -> None:
    before = project.snapshot()
    data = project.data()
    data["defaults"]["thumbnails"]["num_candidates"] = 7  # gamma overrides num_candidates
    project.write(data)
    assert project.build() == 0
    rewritten = project.rewritten(before)
    assert "women/18-23/thumbnails/alpha_scores.json" in rewritten
    assert "women/18-23/thumbnails/beta_scores.json" in rewritten
    assert not story_files(before, "gamma") & rewritten
    assert not {p for p in rewritten if p.endswith(".mp4")}


def test_e_replacing_a_source_rebuilds_that_story_only(project: Project) -> None:
    before = project.snapshot()
    generate_sample(project.root / "src" / "beta.mp4", seed=42, **CLIP)
    assert project.build() == 0
    rewritten = project.rewritten(before)
    assert story_files(before, "beta") <= rewritten
    assert not (story_files(before, "alpha") | story_files(before, "gamma")) & rewritten


def test_f_touching_a_source_rebuilds_nothing(project: Project) -> None:
    before = project.snapshot()
    for source in (project.root / "src").iterdir():
        os.utime(source, (1_900_000_000, 1_900_000_000))
    assert project.build() == 0
    assert project.rewritten(before) == set()


def test_g_added_story_runs_only_its_tasks_and_removed_story_can_be_cleaned(project: Project) -> None:
    before = project.snapshot()
    data = project.data()
    shutil.copyfile(project.root / "src" / "alpha.mp4", project.root / "src" / "delta.mp4")
    data["stories"].append({"id": "delta", "title": "Delta", "segment": "men", "age_group": "18-23",
                            "source": "src/delta.mp4"})
    project.write(data)
    assert project.build() == 0
    rewritten = project.rewritten(before)
    assert {p for p in rewritten if p not in AGGREGATES} == story_files(project.snapshot(), "delta")

    data["stories"] = [s for s in data["stories"] if s["id"] != "beta"]
    project.write(data)
    result = project.doit("clean", "orphans")
    assert result.returncode == 0, result.stderr
    after = project.snapshot()
    assert not story_files(after, "beta")
    assert story_files(before, "alpha") <= set(after) and story_files(before, "gamma") <= set(after)


@pytest.mark.parametrize("kind", ["platform", "thumbnails"])
def test_h_bumping_a_recipe_reruns_only_that_kind(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                   kind: str) -> None:
    before = project.snapshot()
    monkeypatch.setitem(recipes.RECIPES, kind, recipes.RECIPES[kind] + 1)
    assert project.build() == 0
    rewritten = project.rewritten(before) - AGGREGATES
    folder = "platforms" if kind == "platform" else "thumbnails"
    expected = {p for p in before if Path(p).parent.name == folder}
    if kind == "thumbnails":
        expected |= {p for p in before if p.endswith("_thumbnail.jpg")}
    assert rewritten == expected


def test_i_a_fit_edit_rebuilds_that_storys_thumbnails(project: Project) -> None:
    """Thumbnails fit the picture with the story's ``video.fit``: part of their task's config."""
    before = project.snapshot()
    project.edit_story("alpha", video={"fit": "crop"})
    assert project.build() == 0
    rewritten = project.rewritten(before)
    assert "women/18-23/thumbnails/alpha_scores.json" in rewritten
    assert not (story_files(before, "beta") | story_files(before, "gamma")) & rewritten
    scores = json.loads((project.root / "out" / "women" / "18-23" / "thumbnails" / "alpha_scores.json").read_text())
    assert scores["fit"] == "crop"
