"""Run one command and write what it cost as JSON: ``python launch.py RESULT -- COMMAND...``.

Why a process of its own: Linux carries a process's peak resident set across ``fork`` and ``exec`` (a child's
``ru_maxrss`` starts at its parent's high-water mark), so a command started straight from the benchmark, which
grows to hundreds of MB while it times thumbnail sets in-process, would report the benchmark's peak instead of its
own. Started from this small process, a command reports its own.

``os.wait4`` gives the rusage of the command and every descendant it reaped. Descendants nobody in the tree reaps
(a ``forkserver`` outliving its parent, and the workers it forked) would escape that count: on Linux this process
becomes their reaper (``PR_SET_CHILD_SUBREAPER``) and adds them.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _adopt_orphans() -> bool:
    """Become the reaper of orphaned descendants (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``); False elsewhere."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_orphans(patience: float = 10.0) -> list[resource.struct_rusage]:
    """The rusage of every orphan of the command, once each has exited (a fork server exits when its parent has
    gone)."""
    found: list[resource.struct_rusage] = []
    deadline = time.perf_counter() + patience
    while time.perf_counter() < deadline:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break  # no child left
        if pid:
            found.append(usage)
        else:
            time.sleep(0.02)
    return found


def measure(argv: list[str]) -> dict[str, float]:
    """Run ``argv`` (output inherited) and return its exit code, wall seconds, CPU seconds and peak RSS in MB."""
    adopting = _adopt_orphans()
    start = time.perf_counter()
    try:
        process = subprocess.Popen(argv)
    except OSError as exc:  # not found, not executable: reported as a shell reports it
        print(f"launch.py: cannot run {argv[0]}: {exc.strerror}", file=sys.stderr)
        return {"returncode": 127, "seconds": 0.0, "cpu_seconds": 0.0, "max_rss_mb": 0.0}
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    everyone = [usage, *(_reap_orphans() if adopting else [])]
    return {"returncode": os.waitstatus_to_exitcode(status), "seconds": seconds,
            "cpu_seconds": sum(u.ru_utime + u.ru_stime for u in everyone),
            "max_rss_mb": max(u.ru_maxrss for u in everyone) / 1024}


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: launch.py RESULT -- COMMAND...", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(json.dumps(measure(argv[2:])), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
