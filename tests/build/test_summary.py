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


def test_failed_checks_reach_the_summary(tmp_path: Path) -> None:
    data = PlatformExporter().generate_platform_metadata(STORY, "youtube", probe=PROBE)
    assert data["checks"]["ok"] is False
    target = tmp_path / "long_youtube_metadata.json"
    write_json_atomic(target, data)
    out = io.StringIO()
    reporter = BuildReporter(out, mode="plain")
    task = SimpleNamespace(name="platform:long:youtube", actions=[object()], targets=[str(target)], task_dep=[])
    reporter.initialize({task.name: task}, [task.name])
    reporter.execute_task(task)
    reporter.add_success(task)
    reporter.complete_run()
    text = out.getvalue()
    assert "CHECK FAILED platform:long:youtube:" in text and "duration" in text
