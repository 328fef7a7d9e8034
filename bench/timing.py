"""Timing helpers: wall time, CPU time and the peak RSS of a command's whole process tree.

A command is waited for with ``os.wait4``, whose rusage covers the child and every descendant it reaped, so
``max_rss_mb`` is the largest resident set of any single process in the tree (doit, a worker, or an ffmpeg).
Descendants nobody in the tree reaps (a ``forkserver`` outliving its parent, and the workers it forked) would escape
that count: on Linux the benchmark makes itself their reaper (``PR_SET_CHILD_SUBREAPER``) and adds them.
"""

from __future__ import annotations

import ctypes
import os
import resource
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """One command run (or the median of several): seconds of wall time, of CPU (user + sys), peak RSS."""

    seconds: float
    cpu_seconds: float = 0.0
    max_rss_mb: float = 0.0
    runs: int = 1


class CommandFailed(RuntimeError):
    """A benchmarked command exited non-zero; the message names it and the log holding its output."""


def run_command(argv: Sequence[str], cwd: Path | None = None, log: Path | None = None,
                env: dict[str, str] | None = None) -> Measured:
    """Run ``argv`` once (output to ``log`` or discarded) and measure it; raise :class:`CommandFailed` on failure."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            out.close()
    if process.returncode != 0:
        where = f" (see {log})" if log else ""
        raise CommandFailed(f"{' '.join(map(str, argv[:4]))} ... exited {process.returncode}{where}")
    orphans = _reap_orphans()
    return Measured(seconds, usage.ru_utime + usage.ru_stime + sum(o.ru_utime + o.ru_stime for o in orphans),
                    max([usage.ru_maxrss, *(o.ru_maxrss for o in orphans)]) / 1024)


def _adopt_orphans() -> bool:
    """Become the reaper of orphaned descendants (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``); False elsewhere."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


_ADOPTING = _adopt_orphans()


def _reap_orphans(patience: float = 10.0) -> list[resource.struct_rusage]:
    """The rusage of every orphan of the command just measured, once each has exited (a fork server exits when
    its parent has gone). The benchmark runs commands one at a time, so any child left is such an orphan."""
    found: list[resource.struct_rusage] = []
    deadline = time.perf_counter() + patience
    while _ADOPTING and time.perf_counter() < deadline:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break  # no child left
        if pid:
            found.append(usage)
        else:
            time.sleep(0.02)
    return found


def median_of(measure: Callable[[], Measured], runs: int) -> Measured:
    """The median wall time (and median CPU, max RSS) of ``runs`` calls; the machine is noisy."""
    return _median([measure() for _ in range(max(1, runs))])


def time_call(function: Callable[[], object]) -> Measured:
    """Wall and CPU time of an in-process call; CPU includes the ffmpeg processes it ran and reaped."""
    start, cpu = time.perf_counter(), _cpu_so_far()
    function()
    return Measured(time.perf_counter() - start, _cpu_so_far() - cpu)


def _cpu_so_far() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def paired_medians(first: Callable[[], Measured], second: Callable[[], Measured],
                   runs: int) -> tuple[Measured, Measured]:
    """Run two measurements alternately (A B, B A, A B ...) so both see the same background load; medians of each."""
    firsts: list[Measured] = []
    seconds: list[Measured] = []
    for index in range(max(1, runs)):
        order = [(first, firsts), (second, seconds)]
        for measure, results in order if index % 2 == 0 else reversed(order):
            results.append(measure())
    return _median(firsts), _median(seconds)


def _median(results: list[Measured]) -> Measured:
    return Measured(
        seconds=statistics.median(r.seconds for r in results),
        cpu_seconds=statistics.median(r.cpu_seconds for r in results),
        max_rss_mb=max(r.max_rss_mb for r in results),
        runs=len(results),
    )
