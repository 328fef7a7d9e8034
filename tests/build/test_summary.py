"""The build summary shows failed platform checks read from the platform JSON a task wrote."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from storyexport.build.reporter import BuildReporter
from storyexport.fsutil import write_json_atomic
from storyexport.metadata.platform import PlatformExporter

STORY = {"id": "long", "title": "A long one", "segment": "s", "age_group": "a", "description": "", "theme": "",
         "tone": "", "hashtags": []}
PROBE = {"duration": 400.0, "width": 1080, "height": 1920, "fps": 30.0, "video_codec": "h264", "pix_fmt": "yuv420p",
         "audio_codec": "aac", "audio_sample_rate": 48000, "audio_channels": 2, "bitrate": 4_000_000,
         "size": 200_000_000, "rotation": 0}


def summary_after_writing(data: dict, target: Path) -> str:
    """The plain summary of a run in which ``platform:long:youtube`` wrote ``data`` to ``target``."""
    write_json_atomic(target, data)
    out = io.StringIO()
    reporter = BuildReporter(out, mode="plain")
    task = SimpleNamespace(name="platform:long:youtube", actions=[object()], targets=[str(target)], task_dep=[])
    reporter.initialize({task.name: task}, [task.name])
    reporter.execute_task(task)
    reporter.add_success(task)
    reporter.complete_run()
    return out.getvalue()


def test_failed_checks_reach_the_summary(tmp_path: Path) -> None:
    data = PlatformExporter().generate_platform_metadata(STORY, "youtube", probe=PROBE)
    assert data["checks"]["ok"] is False
    text = summary_after_writing(data, tmp_path / "long_youtube_metadata.json")
    assert "CHECK FAILED platform:long:youtube:" in text and "duration" in text


def test_failed_text_checks_reach_the_summary(tmp_path: Path) -> None:
    """A title that is empty on YouTube (blank, or nothing left after the platform's cleaning) is a failed check
    like a too-long video, not only a flag in the JSON."""
    data = PlatformExporter().generate_platform_metadata({**STORY, "title": "   "}, "youtube")
    assert [c["name"] for c in data["checks"]["text"] if not c["ok"]] == ["text.title.length"]
    text = summary_after_writing(data, tmp_path / "long_youtube_metadata.json")
    assert "CHECK FAILED platform:long:youtube: text.title is 0 characters, below the minimum of 1" in text
