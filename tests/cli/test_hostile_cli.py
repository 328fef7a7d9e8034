"""Every ``storyexport`` sub-command against hostile and accidental input: missing files, folders, /dev/zero,
garbage, huge numbers, control characters. None may print a traceback, hang, succeed, or echo a control character
raw to the terminal: exit 1 or 2.

The cases run in one child process (``python tests/cli/test_hostile_cli.py DIR``), each under an alarm, so a hang
fails one case instead of the suite, and a crash is caught as what escaped ``main``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every command on hostile input in a child process

HUGE = "9" * 5000
CASE_SECONDS = 20
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what a terminal would act on
MEMORY_CAP = 3 << 30
CONTROL = "ctrl\x1b[2J\x07name"
GOOD_MANIFEST = ("version: 1\noutput_dir: out\nstories:\n"
                 "  - {id: a1, title: First, segment: women, age_group: 18-23, source: a1.mp4}\n")
FILES = {
    "garbage.bin": bytes(range(256)) * 8,
    "empty.txt": b"",
    "list.yaml": b"- a\n- b\n",
    "numbers.yaml": (f"version: {HUGE}\noutput_dir: out\nstories:\n  - {{id: a1, title: t, segment: s, "
                     f"age_group: a, source: a1.mp4, video: {{crf: 1e400, fps: {HUGE}}}}}\n").encode(),
    f"{CONTROL}.yaml": b"version: 1\nstories: \x1b[2J\n",
    "huge.csv": f"Video title,Views,Likes,Shares\nFirst,1e400,{HUGE},-3\n".encode(),
    "header.csv": b"\xff\xfe\x00garbage\n",
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "digits.json": b'{"videos": {"a": {"title": "t", "segment": "s", "age_group": "g", "performance": {"views": '
                   + HUGE.encode() + b"}}}}",
    "lists.json": b'{"videos": {"a": {"title": "t", "segment": "s", "age_group": "g", "performance": [1], '
                  b'"platforms": [2]}}}',
    "notdb.sqlite": b"SQLite format 3\x00" + bytes(200),
    "exports.yaml": GOOD_MANIFEST.encode(),
}


def cases() -> list[list[str]]:
    manifests = ["missing.yaml", "folder", "/dev/zero", "garbage.bin", "empty.txt", "list.yaml", "numbers.yaml",
                 f"{CONTROL}.yaml"]
    found: list[list[str]] = []
    for manifest in manifests:
        found += [["validate", "-m", manifest], ["plan", "-m", manifest], ["samples", "-m", manifest],
                  ["build", "-m", manifest, "-n", "1", "--progress", "plain"], ["report", "-m", manifest],
                  ["report", "-m", manifest, "--format", "text"], ["registry", "list", "-m", manifest]]
    found += [["validate", "-p", p] for p in ("folder/missing", "/dev/zero", "garbage.bin", "empty.txt")]
    for registry in ("folder", "garbage.bin", "notdb.sqlite"):
        found += [["registry", action, *extra, "--registry", registry] for action, *extra in
                  (["list"], ["show", "a1"], ["stats"], ["export-json"])]
    reg = ["--registry", "reg.sqlite"]
    for path in ("missing.csv", "folder", "/dev/zero", "garbage.bin", "empty.txt", f"{CONTROL}.yaml", "header.csv",
                 "deep.json", "digits.json", "lists.json"):
        found += [["registry", "import", path, *reg], ["registry", "import-json", path, *reg]]
    found += [["registry", "import", "huge.csv", "--platform", "youtube", "--date", date, *reg]
              for date in ("9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00", HUGE, CONTROL)]
    for value in ("99999999999999999999", HUGE, "-1", "1e400", "nan", CONTROL, ""):
        found += [["registry", "perf", "a1", "--views", value, "--likes", "1", "--shares", "1", *reg],
                  ["registry", "perf", "a1", "--views", "1", "--likes", "1", "--shares", "1", "--comments", value,
                   *reg]]
    for story in (CONTROL, "x" * 10_000, ""):
        found += [["registry", "show", story, *reg], ["registry", "perf", story, "--views", "1", "--likes", "1",
                                                      "--shares", "1", *reg],
                  ["registry", "publish", story, "--platform", "youtube", "--status", "published", *reg]]
    found += [["registry", "publish", "a1", "--platform", "youtube", "--status", "published", "--url", url, *reg]
              for url in ("javascript:alert(1)", CONTROL, "https://" + "x" * 5000 + " y")]
    # never a real device as an output: a regression would replace it with a file (the FIFO stands in for one)
    found += [["registry", "export-json", "-o", target, *reg] for target in ("folder", "fifo")]
    found += [["report", "-o", target, *fmt] for target in ("folder", "fifo")
              for fmt in ([], ["--format", "text"], ["--format", "json"])]
    found += [
              ["report", "--top", HUGE], ["report", "--top", "0"], ["report", "--format", "text", "--top", CONTROL],
              ["init", "garbage.bin"], ["init", "folder"], ["build", "-n", "-3"], ["build", "-n", HUGE],
              ["plan", "--format", CONTROL], [CONTROL], ["registry", CONTROL]]
    return found


def prepare(root: Path) -> None:
    for name, data in FILES.items():
        (root / name).write_bytes(data)
    (root / "folder").mkdir()
    os.mkfifo(root / "fifo")
    (root / "folder" / "keep.txt").write_text("not empty")
    from storyexport.registry import ExportRegistry

    registry = ExportRegistry(root / "reg.sqlite")
    registry.register_export("a1", "First", "women", "18-23", "a1.mp4", platforms=["youtube"])
    registry.close()


class Timeout(Exception):
    pass


def run_case(argv: list[str]) -> dict:
    from storyexport.cli import main

    out, err = io.StringIO(), io.StringIO()
    escaped = None
    signal.alarm(CASE_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # what escapes main is the finding
        code, escaped = None, traceback.format_exc()
    finally:
        signal.alarm(0)
    return {"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue(), "escaped": escaped}


def sweep(root: Path) -> list[dict]:
    def on_alarm(*_: object) -> None:
        raise Timeout(f"no answer within {CASE_SECONDS} s")

    signal.signal(signal.SIGALRM, on_alarm)
    prepare(root)
    return [run_case(argv) for argv in cases()]


def problems_of(result: dict) -> list[str]:
    found = []
    if result["escaped"]:
        found.append("escaped main: " + result["escaped"].strip().splitlines()[-1])
    if "Traceback" in result["stderr"]:
        found.append("traceback on stderr")
    if result["code"] not in (1, 2):
        found.append(f"exit code {result['code']!r}")
    raw = RAW_CONTROL.findall(result["stdout"] + result["stderr"])
    if raw:
        found.append(f"raw control characters in the output: {sorted(set(raw))}")
    return found


def test_no_command_prints_a_traceback_or_succeeds_on_hostile_input(tmp_path):
    done = subprocess.run([sys.executable, __file__, str(tmp_path)], capture_output=True, text=True, timeout=900,
                          check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    assert len(results) == len(cases()) > 120
    failures = {" ".join(r["argv"])[:120]: problems_of(r) for r in results if problems_of(r)}
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert (tmp_path / "fifo").is_fifo()  # no output replaced it
    with sqlite3.connect(tmp_path / "reg.sqlite") as conn:  # nothing hostile was recorded
        assert conn.execute("SELECT count(*) FROM performance_snapshots").fetchone() == (0,)
        assert conn.execute("SELECT url FROM platforms").fetchall() == [(None,)]


if __name__ == "__main__":
    # a regression that reads /dev/zero into memory must fail its case, not exhaust a shared machine
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    print(json.dumps(sweep(Path(sys.argv[1]))))
