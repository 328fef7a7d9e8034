"""Timing helpers: wall time, CPU time and the peak RSS of a command's whole process tree.

A command runs under :mod:`launch`, which measures it from a small process of its own: ``max_rss_mb`` is the
largest resident set of any single process in the tree (doit, a worker, or an ffmpeg), never the benchmark's.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(__file__).resolve().with_name("launch.py")


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
    with tempfile.TemporaryDirectory(prefix="bench-launch-") as folder:
        result = Path(folder) / "result.json"
        try:
            subprocess.run([sys.executable, str(LAUNCHER), str(result), "--", *map(str, argv)], cwd=cwd, stdout=out,
                           stderr=subprocess.STDOUT, env=env, check=True)
        finally:
            if log:
                out.close()
        cost = json.loads(result.read_text(encoding="utf-8"))
    if cost["returncode"] != 0:
        where = f" (see {log})" if log else ""
        raise CommandFailed(f"{' '.join(map(str, argv[:4]))} ... exited {cost['returncode']}{where}")
    return Measured(cost["seconds"], cost["cpu_seconds"], cost["max_rss_mb"])


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
