"""storyexport benchmark: the original guide's performance table, measured side by side with baselines.

    python bench/run.py            # full run (~10 min on 2 cores, less once media is cached); writes RESULTS.md
    python bench/run.py --quick    # smoke run (~1-2 min); writes bench/out/RESULTS-quick.md

Generated media and projects are cached under bench/out/ (git-ignored). Needs only storyexport's dependencies.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import daskbuild
import pervideo
import scale
import warmstore
from settings import BENCH_DIR, OUT_DIR, Settings, settings_for
from table import Row, machine_description, render_rows, summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark storyexport against the original guide and baselines.")
    parser.add_argument("--quick", action="store_true", help="short clips and small projects: a smoke run")
    parser.add_argument("--output", type=Path, default=None,
                        help="markdown file to write (default: bench/RESULTS.md, or bench/out/RESULTS-quick.md)")
    parser.add_argument("--only", choices=("per-video", "batch", "many", "store", "dask"), action="append",
                        help="run only these sections (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_for(args.quick)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    rows: list[Row] = []
    memory: list[Row] = []
    started = time.perf_counter()
    for name, section in _sections(settings, notes):
        if args.only and name not in args.only:
            continue
        print(f"== {name} ...", file=sys.stderr, flush=True)
        notes.append(f"{name}: 1-minute load average at the start {os.getloadavg()[0]:.1f} on {settings.cores} cores")
        section_started = time.perf_counter()
        new_rows, new_memory = section()
        rows += new_rows
        memory += new_memory
        print(render_rows(new_rows + new_memory), file=sys.stderr)
        print(f"   {name} took {time.perf_counter() - section_started:.0f} s", file=sys.stderr, flush=True)
    document = render_document(settings, rows, memory, notes, time.perf_counter() - started)
    print(document)
    output = args.output or (OUT_DIR / "RESULTS-quick.md" if args.quick else BENCH_DIR / "RESULTS.md")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document, encoding="utf-8")
    print(f"written to {output}", file=sys.stderr)
    return 0


def _sections(settings: Settings, notes: list[str]) -> list[tuple[str, Callable[[], tuple[list[Row], list[Row]]]]]:
    def per_video() -> tuple[list[Row], list[Row]]:
        return pervideo.per_video_rows(settings, notes), []

    def batch() -> tuple[list[Row], list[Row]]:
        result = scale.batch_rows(settings, notes)
        return result.rows, result.memory

    def many() -> tuple[list[Row], list[Row]]:
        result = scale.many_rows(settings, notes)
        return result.rows, result.memory

    def store() -> tuple[list[Row], list[Row]]:
        return warmstore.store_rows(settings, notes), []

    def dask() -> tuple[list[Row], list[Row]]:
        return daskbuild.dask_rows(settings, notes), []

    return [("per-video", per_video), ("batch", batch), ("many", many), ("store", store), ("dask", dask)]


def render_document(settings: Settings, rows: list[Row], memory: list[Row], notes: list[str], seconds: float) -> str:
    kind = "quick smoke run (`python bench/run.py --quick`)" if settings.quick else "full run (`python bench/run.py`)"
    parts = [
        "# storyexport benchmark results",
        "",
        f"A {kind}; the whole run took {seconds:.0f} s. What each row measures: [README.md](README.md); why a",
        "target is missed (profiles, causes, proposed fixes): [FINDINGS.md](FINDINGS.md).",
        "Every figure is the median of several runs for the fast cases; the machine is shared and noisy, so the",
        "ratios to the baselines measured in the same run matter more than the seconds.",
        "",
        *machine_description(),
        "",
        "## Time",
        "",
        render_rows(rows),
        "",
        "## Memory",
        "",
        render_rows(memory),
        "",
        f"**{summary(rows + memory)}**",
        "",
        "## Run log",
        "",
        *[f"- {note}" for note in notes],
        "",
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
