"""The benchmark's command measurement (``bench/timing.py`` through ``bench/launch.py``): the peak RSS it reports
is the command's own, however large the benchmark process has grown, and counts orphans the command left."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from timing import CommandFailed, run_command  # noqa: E402

MB = 1024 * 1024


def allocating(megabytes: int) -> str:
    """Python source that touches ``megabytes`` MB, so they are resident."""
    return f"b = bytearray({megabytes * MB}); b[::4096] = b'x' * len(b[::4096])"


def test_peak_rss_is_the_commands_not_the_benchmarks() -> None:
    ballast = bytearray(300 * MB)
    ballast[::4096] = b"x" * len(ballast[::4096])  # this process now holds 300 MB more
    small = run_command([sys.executable, "-c", "pass"])
    large = run_command([sys.executable, "-c", allocating(150)])
    assert small.max_rss_mb < 100
    assert 150 <= large.max_rss_mb < 250
    assert small.seconds > 0 and large.cpu_seconds > 0
    del ballast


def test_orphans_the_command_leaves_are_counted() -> None:
    orphan = f"{sys.executable} -c \"{allocating(150)}; import time; time.sleep(0.3)\" &"
    measured = run_command(["sh", "-c", orphan])
    assert measured.max_rss_mb >= 150


def test_a_failing_command_names_itself_and_its_log(tmp_path: Path) -> None:
    log = tmp_path / "cmd.log"
    with pytest.raises(CommandFailed, match=r"exited 3 \(see .*cmd.log\)"):
        run_command([sys.executable, "-c", "print('oops'); raise SystemExit(3)"], log=log)
    assert "oops" in log.read_text()


def test_a_command_that_cannot_start_is_a_failure_not_a_traceback(tmp_path: Path) -> None:
    log = tmp_path / "cmd.log"
    with pytest.raises(CommandFailed, match="exited 127"):
        run_command([str(tmp_path / "no-such-tool")], log=log, cwd=tmp_path)
    assert "cannot run" in log.read_text()
