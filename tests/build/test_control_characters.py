"""Control characters in a failure reason (a file name, a title) never reach the terminal raw from the build."""

from __future__ import annotations

import io
import json
import re
from types import SimpleNamespace

import pytest
from doit.exceptions import TaskFailed

from storyexport.build.reporter import BuildReporter

REASON = "cannot read src/run\x1b[2J\x1b]0;owned\x07\x9b31m.mp4\x00"
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def report_one_failure(mode: str) -> str:
    out = io.StringIO()
    reporter = BuildReporter(out, mode=mode)
    task = SimpleNamespace(name="video:a1", actions=[object()], targets=[], task_dep=[])
    reporter.initialize({task.name: task}, [task.name])
    reporter.execute_task(task)
    reporter.add_failure(task, TaskFailed(REASON))
    reporter.complete_run()
    return out.getvalue()


@pytest.mark.parametrize("mode", ["plain", "bar"])
def test_failure_lines_show_control_characters_as_escapes(mode):
    text = report_one_failure(mode).replace("\r", "")  # the bar's own carriage returns
    assert RAW_CONTROL.findall(text) == []
    assert "FAILED video:a1: cannot read src/run\\x1b[2J\\x1b]0;owned\\x07\\x9b31m.mp4\\x00" in text


def test_json_lines_stay_json_and_keep_the_reason():
    lines = report_one_failure("jsonl").splitlines()
    assert RAW_CONTROL.findall("\n".join(lines)) == []
    events = [json.loads(line) for line in lines]
    assert [e["reason"] for e in events if e["event"] == "failure"] == [REASON]
