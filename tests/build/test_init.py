"""`storyexport init DIR` scaffolds a project that validates and builds at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from storyexport.cli import main

pytestmark = pytest.mark.slow  # a scaffolded project built end to end


def test_init_scaffolds_a_project_that_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "shorts"
    assert main(["init", str(target)]) == 0
    for name in ("exports.yaml", "dodo.py", "doit.cfg", "platforms/youtube.yaml", "schemas/manifest.schema.json"):
        assert (target / name).is_file(), name
    assert main(["validate", "-m", str(target / "exports.yaml")]) == 0
    # shrink the example so the test stays fast: one short sample and one story
    data = yaml.safe_load((target / "exports.yaml").read_text(encoding="utf-8"))
    data["samples"] = [{**data["samples"][0], "duration": 3.5, "width": 360, "height": 640}]
    data["stories"] = [{**data["stories"][0], "video": {"width": 360, "height": 640}}]
    data["defaults"]["thumbnails"].update(num_candidates=6, num_options=2)
    (target / "exports.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "doit", "-n", "2", "progress=plain"], cwd=target,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    story = data["stories"][0]
    assert (target / "data/final" / story["segment"] / story["age_group"] / f"{story['id']}.mp4").is_file()


def test_init_refuses_a_non_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["init", str(tmp_path)]) == 1
    assert "not empty" in capsys.readouterr().err
