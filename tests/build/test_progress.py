"""Progress output: JSON lines for machines, plain lines for logs; group tasks are not counted."""

from __future__ import annotations

import json

from .conftest import Project


def test_jsonl_progress_counts_real_tasks(fresh_project: Project) -> None:
    result = fresh_project.doit("-n", "2", "progress=jsonl")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    begin = events[0]
    # 3 videos + 3 thumbnail sets + 3 base metadata + 8 platform files + registry + report
    assert begin == {**begin, "event": "begin", "total": 19}
    finished = [e for e in events if e["event"] == "success"]
    assert len(finished) == 19
    assert [e["done"] for e in finished] == sorted(e["done"] for e in finished)
    assert finished[-1]["done"] == 19 and all(e["total"] == 19 for e in finished)
    assert {e["task"].split(":")[0] for e in finished} == {"video", "thumbnails", "metadata", "platform",
                                                            "registry", "report"}
    # workers report each start to the main process, so durations are real (and the bar can show running tasks)
    assert {e["task"] for e in events if e["event"] == "start"} == {e["task"] for e in finished}
    assert all(e["duration_s"] > 0 for e in finished if e["task"].startswith("thumbnails:"))
    summary = events[-1]
    assert summary["event"] == "summary" and summary["failed"] == [] and summary["executed"] == 19


def test_plain_progress_lines_and_noop_summary(project: Project) -> None:
    result = project.doit("progress=plain")
    assert result.returncode == 0
    assert "0 task(s) run, 19 up to date, 0 failed" in result.stdout


def test_plain_progress_shows_done_total_and_eta(fresh_project: Project) -> None:
    result = fresh_project.doit("progress=plain")
    lines = [row for row in result.stdout.splitlines() if row.startswith("[")]
    assert lines[0].startswith("[ 1/19] video:alpha ok") and "elapsed" in lines[0] and "eta" in lines[0]
    assert lines[-1].startswith("[19/19] report ok")
