"""The up-to-date stamp: a plain no-op answered without doit's per-file checks, and never when anything changed.

Every test runs the real ``doit`` in a copy of a built project and reads the reporter's JSON lines: ``from_stamp``
tells whether the stamp answered, ``executed`` and the task events what doit did when it did not.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from doit.cmd_base import DodoTaskLoader
from doit.cmd_clean import Clean
from doit.cmd_run import Run
from doit.cmdparse import CmdParse

from storyexport.build import stamp
from storyexport.build.doit_internals import is_plain_run
from storyexport.media.samples import generate_sample

from .conftest import Project

pytestmark = pytest.mark.slow  # end-to-end doit builds


def run(project: Project, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One real ``doit`` run: its summary event, plus the names of the tasks it ran and skipped."""
    result = project.doit(*args, "progress=jsonl", env=env)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert events and events[-1]["event"] == "summary", result.stdout + result.stderr
    summary = events[-1]
    summary["ran"] = {e["task"] for e in events if e["event"] == "success"}
    summary["skipped"] = {e["task"] for e in events if e["event"] == "skip"}
    summary["returncode"] = result.returncode
    return summary


def stamped(project: Project) -> dict[str, Any]:
    """Make sure a stamp exists (a verifying no-op writes it), then return a run the stamp answered."""
    run(project)
    answered = run(project)
    assert answered["from_stamp"] and answered["executed"] == 0 and answered["returncode"] == 0
    return answered


def stamp_file(project: Project) -> Path:
    return project.root / ".storyexport" / "up-to-date.exports.yaml.json"


def test_a_clean_noop_writes_the_stamp_and_the_next_noop_is_answered_from_it(project: Project) -> None:
    verifying = run(project)
    assert not verifying["from_stamp"] and verifying["executed"] == 0 and stamp_file(project).is_file()
    answered = run(project)
    assert answered["from_stamp"] and answered["executed"] == 0 and answered["failed"] == []
    # the same report as doit's own no-op: every task, each skipped as up to date
    assert answered["total"] == verifying["total"] == 19
    assert answered["skipped"] == verifying["skipped"] and len(answered["skipped"]) == 19
    plain = project.doit("-n", "2")
    assert "0 task(s) run, 19 up to date, 0 failed" in plain.stdout
    assert "(no file changed since the last clean run)" in plain.stdout


def test_a_build_that_ran_tasks_leaves_a_stamp(project: Project) -> None:
    stamped(project)
    project.edit_story("alpha", title="Alpha story, retitled")
    rebuilt = run(project, "-n", "2")
    assert not rebuilt["from_stamp"] and "metadata:alpha" in rebuilt["ran"] and "video:alpha" not in rebuilt["ran"]
    assert run(project)["from_stamp"]


def _touch_source(project: Project) -> None:
    source = project.root / "src" / "alpha.mp4"
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 5_000_000_000))


def _new_source_content(project: Project) -> None:
    generate_sample(project.root / "src" / "alpha.mp4", seed=11, duration=3.5, width=360, height=640, fps=30)


def _delete_grid(project: Project) -> None:
    next(project.out.rglob("alpha_grid.jpg")).unlink()


def _edit_platform_output(project: Project) -> None:
    target = next(project.out.rglob("alpha_youtube_metadata.json"))
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def _edit_rules(project: Project) -> None:
    rules = project.root / "platforms" / "youtube.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")


def _add_rules_file(project: Project) -> None:
    text = (project.root / "platforms" / "tiktok.yaml").read_text(encoding="utf-8")
    (project.root / "platforms" / "tiktok2.yaml").write_text(text.replace("name: tiktok", "name: tiktok2", 1),
                                                             encoding="utf-8")


def _edit_dodo(project: Project) -> None:
    dodo = project.root / "dodo.py"
    dodo.write_text(dodo.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")


def _same_content_rewrite(project: Project) -> None:
    """Rewrite a source with its own bytes and restore its mtime: only the ctime (and maybe inode) tell."""
    source = project.root / "src" / "beta.mp4"
    before = source.stat()
    source.write_bytes(source.read_bytes())
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))


CHANGES = {
    "touched source": (_touch_source, set()),
    "new source content": (_new_source_content, {"video:alpha"}),
    "deleted output": (_delete_grid, {"thumbnails:alpha"}),
    "hand-edited output": (_edit_platform_output, {"report"}),
    "edited platform rules": (_edit_rules, {"platform:alpha:youtube", "platform:beta:youtube"}),
    "added platform rules file": (_add_rules_file, set()),
    "edited dodo.py": (_edit_dodo, set()),
    "same bytes, mtime restored": (_same_content_rewrite, set()),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_is_checked_by_doit_and_rebuilds_what_it_affects(project: Project, change: str) -> None:
    make_change, must_run = CHANGES[change]
    stamped(project)
    make_change(project)
    after = run(project, "-n", "2")
    assert not after["from_stamp"] and after["returncode"] == 0
    if must_run is not None:
        assert must_run <= after["ran"]
        if not must_run:
            assert after["executed"] == 0
    assert run(project)["from_stamp"], "a clean run after the change stamps again"


def test_doit_forget_and_task_selections_bypass_the_stamp(project: Project) -> None:
    stamped(project)
    assert project.doit("forget", "video:beta").returncode == 0
    after_forget = run(project)
    assert not after_forget["from_stamp"] and "video:beta" in after_forget["ran"]
    stamped(project)
    selected = run(project, "thumbnails:alpha")
    assert not selected["from_stamp"] and selected["total"] == 2  # the task and the video it depends on
    listing = project.doit("list")
    assert listing.returncode == 0 and "thumbnails" in listing.stdout and "storyexport:" not in listing.stdout


def test_a_failed_run_removes_the_stamp(project: Project) -> None:
    stamped(project)
    source = project.root / "src" / "gamma.mp4"
    source.write_bytes(b"not a video")
    failed = run(project)
    assert failed["returncode"] != 0 and not failed["from_stamp"] and not stamp_file(project).exists()
    again = run(project)
    assert not again["from_stamp"] and again["returncode"] != 0, "the failure is reported again, not stamped over"


def test_the_doit_script_and_python_m_doit_share_the_stamp(project: Project) -> None:
    """The console script's interpreter may be another name for the same Python (python3 -> python)."""
    script = Path(sys.executable).parent / "doit"
    if not script.is_file():
        pytest.skip("no doit console script beside this interpreter")
    result = subprocess.run([str(script), "progress=jsonl"], cwd=project.root, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert run(project)["from_stamp"]


def test_stamp_off_checks_every_time(project: Project) -> None:
    stamped(project)
    off = {stamp.STAMP_ENV: "off"}
    assert not run(project, env=off)["from_stamp"]
    assert not run(project, env=off)["from_stamp"]


def test_storyexport_build_uses_the_stamp_too(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert project.build() == 0
    assert project.build() == 0
    assert "(no file changed since the last clean run)" in capsys.readouterr().out.splitlines()[-1]
    assert project.build("video:alpha") == 0
    assert "(no file changed" not in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "plain"), [
    ([], True), (["-n", "4"], True), (["-n", "2", "-P", "thread", "-v", "2"], True), (["--continue"], True),
    (["-a"], False), (["video:alpha"], False), (["--db-file", "other.json"], False), (["--backend", "sqlite3"], False),
    (["--reporter", "json"], False), (["-o", "log.txt"], False), (["--check_file_uptodate", "timestamp"], False),
])
def test_only_a_plain_run_of_the_default_tasks_qualifies(argv: list[str], plain: bool) -> None:
    command = Run(task_loader=DodoTaskLoader(), config={})
    params, args = CmdParse(command.get_options()).parse(argv)
    assert is_plain_run(command, params, args) is plain


def test_other_doit_commands_never_qualify() -> None:
    command = Clean(task_loader=DodoTaskLoader(), config={})
    params, args = CmdParse(command.get_options()).parse([])
    assert not is_plain_run(command, params, args)


def _pending(tmp_path: Path, source: Path, target: Path) -> stamp.PendingStamp:
    (tmp_path / "exports.yaml").write_text("version: 1\n", encoding="utf-8")
    start = stamp.start(stamp.StampScope.create(tmp_path / "exports.yaml"))
    assert start is not None
    tasks = [{"basename": "copy", "name": "one", "actions": [print], "file_dep": [str(source)],
              "targets": [str(target)]}]
    pending = start.begin(tasks, [str(tmp_path / "db.json")])
    assert pending is not None
    return pending


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("in", encoding="utf-8")
    target.write_text("out", encoding="utf-8")
    return source, target


def test_a_file_changed_after_doit_saw_it_leaves_no_stamp(tmp_path: Path, two_files: tuple[Path, Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source, target = two_files
    pending = _pending(tmp_path, source, target)
    pending.observe(str(source), source.stat())
    assert pending.settle(True) and stamp.fresh_tasks(pending.scope) == ["copy:one"]

    pending = _pending(tmp_path, source, target)
    pending.observe(str(source), source.stat())
    source.write_text("edited while the build ran", encoding="utf-8")
    assert not pending.settle(True)
    assert not pending.scope.file().exists() and stamp.fresh_tasks(pending.scope) is None


def test_a_file_dep_doit_never_saw_or_a_manifest_edited_during_the_run_leaves_no_stamp(
        tmp_path: Path, two_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source, target = two_files
    assert not _pending(tmp_path, source, target).settle(True)  # the file_dep was never compared nor recorded
    pending = _pending(tmp_path, source, target)
    pending.observe(str(source), source.stat())
    (tmp_path / "exports.yaml").write_text("version: 1\nstories: []\n", encoding="utf-8")
    assert not pending.settle(True)


def test_rules_outside_the_project_changed_just_before_the_run_are_not_trusted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rules folder named in the manifest is found only after the manifest was read, so it may have changed while
    it was read: a file there whose ctime is within the margin of the run's start leaves no stamp."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exports.yaml").write_text("version: 1\n", encoding="utf-8")
    start = stamp.start(stamp.StampScope.create(tmp_path / "exports.yaml"))
    assert start is not None
    rules = tmp_path / "elsewhere" / "rules.yaml"
    rules.parent.mkdir()
    rules.write_text("name: x\n", encoding="utf-8")
    assert start.begin([], [], late_config=[str(rules)]) is None
    later = dataclasses.replace(start, started_ns=rules.stat().st_ctime_ns + stamp.LATE_CONFIG_MARGIN_NS + 1)
    pending = later.begin([], [], late_config=[str(rules)])
    assert pending is not None and str(rules) in pending.config
    local = tmp_path / "platforms" / "youtube.yaml"  # platforms/ beside the manifest is stat'ed before any read
    local.parent.mkdir()
    local.write_text("name: youtube\n", encoding="utf-8")
    start = stamp.start(stamp.StampScope.create(tmp_path / "exports.yaml"))
    assert start is not None and start.begin([], [], late_config=[str(local)]) is not None
