"""Result rows, targets and the markdown the benchmark prints and writes to bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from storyexport.media.ffmpeg import ffmpeg_exe


@dataclass(frozen=True)
class Baseline:
    """A reference figure measured in the same run (or quoted from the original guide when ``quoted``)."""

    name: str
    seconds: float
    quoted: bool = False


@dataclass(frozen=True)
class Target:
    """Pass when the measured value is at most ``limit`` (same unit as the row); ``text`` says how it was set."""

    limit: float
    text: str


@dataclass(frozen=True)
class Row:
    label: str
    value: float | None
    unit: str = "s"
    cpu: float | None = None
    seed: str = ""
    baselines: list[Baseline] = field(default_factory=list)
    target: Target | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.value is None:
            return "not run"
        return "PASS" if self.value <= self.target.limit else "MISS"


def fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "–"
    if unit == "MB":
        return f"{value:.0f} MB"
    if value >= 100:
        return f"{value:.0f} s"
    return f"{value:.2f} s" if value >= 0.1 else f"{value:.3f} s"


def _ratio(value: float | None, baseline: Baseline) -> str:
    if value is None or baseline.seconds <= 0:
        return "–"
    ratio = value / baseline.seconds
    text = f"{ratio:.2f}" if ratio >= 0.01 else f"{ratio:.4f}"
    return f"{text} × {baseline.name}"


def render_rows(rows: list[Row]) -> str:
    lines = [
        "| measurement | storyexport | seed guide | baselines (same run) | ratio | target | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        baselines = "<br>".join(f"{b.name}: {fmt(b.seconds)}" for b in row.baselines if not b.quoted)
        ratios = "<br>".join(_ratio(row.value, b) for b in row.baselines)
        target = f"≤ {fmt(row.target.limit, row.unit)} ({row.target.text})" if row.target else ""
        label = f"{row.label}<br><sub>{row.note}</sub>" if row.note else row.label
        value = fmt(row.value, row.unit) + (f"<br><sub>CPU {fmt(row.cpu)}</sub>" if row.cpu is not None else "")
        lines.append(f"| {label} | {value} | {row.seed} | {baselines} | {ratios} | {target} "
                     f"| {_verdict_cell(row.verdict)}{_load_hint(row)} |")
    return "\n".join(lines)


def _load_hint(row: Row) -> str:
    """Work that keeps a core busy has wall <= CPU; much more wall than CPU means it waited for other jobs' cores."""
    if row.cpu is None or row.value is None or row.unit != "s" or row.value <= 1.3 * row.cpu + 0.02:
        return ""
    return f"<br><sub>wall {row.value / max(row.cpu, 1e-9):.1f} × CPU: waited for other jobs</sub>"


def _verdict_cell(verdict: str) -> str:
    return f"**{verdict}**" if verdict else ""


def summary(rows: list[Row]) -> str:
    judged = [row for row in rows if row.target is not None]
    missed = [row.label for row in judged if row.verdict != "PASS"]
    passed = len(judged) - len(missed)
    text = f"{passed} of {len(judged)} targets met."
    return text + (" Missed: " + "; ".join(missed) + "." if missed else "")


def machine_description() -> list[str]:
    """nproc, CPU model, RAM, Python and ffmpeg versions, date — what a reader needs to compare figures."""
    return [
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores (nproc {len(os.sched_getaffinity(0))})",
        f"- RAM: {_ram_gib():.1f} GiB",
        f"- Python {platform.python_version()} on {platform.system()} {platform.release()}",
        f"- ffmpeg: {_ffmpeg_version()} ({ffmpeg_exe()})",
        "- Load average (1, 5, 15 min) when the table was written: " + ", ".join(f"{v:.1f}" for v in os.getloadavg()),
    ]


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown CPU"


def _ram_gib() -> float:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) / 1024 / 1024 if match else 0.0


def _ffmpeg_version() -> str:
    try:
        first = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return first.splitlines()[0].removeprefix("ffmpeg version ").split(" Copyright")[0]
