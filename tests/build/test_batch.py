"""BatchExporter and export_story drive doit: results, progress, failures, retries; the examples run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storyexport import BatchExporter, export_story
from storyexport.config.problems import ConfigError
from storyexport.media.probe import probe
from storyexport.media.samples import generate_sample

pytestmark = pytest.mark.slow  # end-to-end doit builds

REPO = Path(__file__).resolve().parents[2]


def story(story_id: str, **extra: object) -> dict:
    return {"title_id": story_id, "title": f"Story {story_id}", "segment": "women", "age_group": "18-23",
            "video": {"width": 360, "height": 640},
            "thumbnails": {"num_candidates": 6, "num_options": 2, "grid": [2, 2]}, **extra}


def test_export_batch_reports_each_story_and_retries_failures(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    generate_sample(src / "a.mp4", duration=3.5, width=360, height=640, seed=1)
    events: list[tuple[int, int, str, str]] = []
    exporter = BatchExporter(max_workers=2, output_dir=tmp_path / "out")
    results = exporter.export_batch([story("a"), story("b")], [src / "a.mp4", src / "b.mp4"],
                                    progress=lambda *event: events.append(event))
    assert (results["total"], results["successful"], results["failed"]) == (2, 1, 1)
    ok, bad = results["results"]
    assert ok["success"] and probe(Path(ok["video_path"])).height == 640
    assert Path(ok["thumbnails"]["best"]).is_file() and len(ok["thumbnails"]["options"]) == 2
    assert all(Path(p).is_file() for p in ok["metadata"]["platforms"].values())
    assert not bad["success"] and bad["errors"][0]["task"] == "video:b"
    assert "does not exist" in bad["errors"][0]["reason"]
    assert events and events[-1][0] == events[-1][1]  # the last event completes the count
    registry = json.loads((tmp_path / "out" / "export_registry.json").read_text(encoding="utf-8"))
    assert "a" in registry["videos"] and "b" not in registry["videos"]

    shutil.copyfile(src / "a.mp4", src / "b.mp4")
    retry = exporter.retry_failed(results)
    assert (retry["total"], retry["successful"]) == (1, 1)
    assert retry["results"][0]["story_id"] == "b" and Path(retry["results"][0]["video_path"]).is_file()


def test_export_story_is_the_seeds_export_with_enhancements(tmp_path: Path) -> None:
    generate_sample(tmp_path / "clip.mp4", duration=3.5, width=360, height=640, seed=3)
    result = export_story(story("one"), tmp_path / "clip.mp4", output_dir=tmp_path / "out", thumbnail_options=3)
    assert result["success"], result["errors"]
    assert len(result["thumbnails"]["options"]) == 3
    assert set(result["metadata"]["platforms"]) == {"youtube", "tiktok", "instagram"}
    assert (tmp_path / "out" / "report.html").is_file()


def test_sequential_export_without_thumbnails_or_metadata(tmp_path: Path) -> None:
    generate_sample(tmp_path / "clip.mp4", duration=3.5, width=360, height=640, seed=4)
    results = BatchExporter(output_dir=tmp_path / "out").export_batch(
        [story("solo", source=str(tmp_path / "clip.mp4"))], parallel=False, export_thumbnails=False,
        export_metadata=False)
    assert results["successful"] == 1
    assert not (tmp_path / "out" / "women" / "18-23" / "thumbnails").exists()
    assert not (tmp_path / "out" / "women" / "18-23" / "solo_metadata.json").exists()


def test_example_batch_export_runs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO / "examples" / "example_batch_export.py"), str(tmp_path)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Successful: 2/3" in result.stdout and "Retry: 1/1 successful" in result.stdout


def test_export_story_leaves_a_bad_thumbnails_value_to_validation(tmp_path: Path) -> None:
    """The thumbnail count is merged into a mapping; anything else is reported by validation with its line."""
    with pytest.raises(ConfigError) as caught:
        export_story(story("a", thumbnails="big"), tmp_path / "a.mp4", output_dir=tmp_path / "out")
    assert "thumbnails" in str(caught.value) and "object" in str(caught.value)
