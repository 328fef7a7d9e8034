"""The shared store: a fresh checkout (as a CI runner has) rebuilding the batch project against a warm store.

Each measured build runs in a new copy of the batch project (sources, manifest and dodo.py with new mtimes; no
outputs, no doit database, no stamp), with ``STORYEXPORT_STORE`` pointing at a local ``file://`` store:

* cold: an empty store, so every task runs and the media outputs are uploaded;
* warm: the store a cold build filled, so every story task must be restored (checked from the summary);
* baseline: the same cold build without a store (what the upload costs).

Cold and warm builds alternate so both see the same background load. The run log records the bytes the store holds
and each warm build moves, for the cost model in docs/store.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import projects
from clips import ensure_clip
from settings import Settings
from table import Baseline, Row, Target
from timing import Measured, median_of, paired_medians, run_command, time_call

from storyexport.store.cas import sha256_file
from storyexport.store.settings import STORE_ENV

_RESTORED = re.compile(r"task\(s\) run \((\d+) restored from the cache\)")


def checkout(project: Path, folder: Path) -> Path:
    """A fresh checkout of ``project``: its inputs copied with new mtimes, none of its outputs or state."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(project, folder, copy_function=shutil.copy,
                    ignore=shutil.ignore_patterns("out", ".storyexport", "logs", ".doit*"))
    return folder


def store_bytes(store: Path) -> tuple[int, int, int]:
    """(objects, bytes held, bytes a fresh checkout restores): identical outputs of two stories are one object."""
    sizes = [p.stat().st_size for p in (store / "cas").rglob("*") if p.is_file()]
    placed = 0
    for entry in (store / "ac").rglob("*.json"):
        for digest in json.loads(entry.read_text(encoding="utf-8"))["targets"].values():
            placed += (store / "cas" / "sha256" / digest[:2] / digest).stat().st_size
    return len(sizes), sum(sizes), placed


def restored(log: Path) -> int:
    found = _RESTORED.findall(log.read_text(encoding="utf-8", errors="replace"))
    return int(found[-1]) if found else 0


def store_rows(settings: Settings, log: list[str]) -> list[Row]:
    clip = ensure_clip(settings.media_dir, settings.vertical)
    n = settings.batch
    project = settings.work_dir / f"batch-{n}"
    projects.write_project(project, projects.ProjectSpec("batch", n, [clip]))
    work = settings.work_dir / "store"
    store = work / "store"
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1000))

    def build(name: str, *, with_store: bool) -> Measured:
        folder = checkout(project, work / f"checkout-{next(counter)}")
        env = {**os.environ, STORE_ENV: store.as_uri()} if with_store else None
        try:
            return run_command(projects.doit_command(settings.workers), cwd=folder, log=logs / f"{name}.log",
                               env=env)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def cold() -> Measured:
        shutil.rmtree(store, ignore_errors=True)
        return build("cold", with_store=True)

    def warm() -> Measured:
        if not store.is_dir():
            cold()
        measured = build("warm", with_store=True)
        story_tasks = projects.task_total(logs / "warm.log") - 2  # all but the registry and the report
        media = restored(logs / "warm.log")
        if media != story_tasks:
            raise RuntimeError(f"the warm build restored {media} task(s), not {story_tasks}; see {logs / 'warm.log'}")
        return measured

    hashing = median_of(lambda: time_call(lambda: sha256_file(clip)), settings.fast_runs)
    hash_rate = clip.stat().st_size / max(hashing.cpu_seconds, 1e-6) / 1e6
    plain = build("plain", with_store=False)
    cold_run, warm_run = paired_medians(cold, warm, settings.build_runs)
    objects, size, moved = store_bytes(store)
    sources = sum(p.stat().st_size for p in (project / "media").iterdir())
    log.append(f"store: {objects} objects, {size / 1e6:.1f} MB after a cold build of {n} stories (identical "
               f"outputs stored once); a fresh checkout restores {moved / n / 1e6:.2f} MB a story and hashes its "
               f"source ({sources / n / 1e6:.2f} MB a story); cold with store {cold_run.seconds:.1f} s "
               f"({cold_run.cpu_seconds:.1f} s CPU), without {plain.seconds:.1f} s ({plain.cpu_seconds:.1f} s CPU), "
               f"warm {warm_run.seconds:.2f} s ({warm_run.cpu_seconds:.2f} s CPU); SHA-256 of one source "
               f"{hashing.cpu_seconds * 1000:.0f} ms of CPU ({hash_rate:.0f} MB/s a core), "
               f"{hashing.seconds * 1000:.0f} ms wall")
    return [Row(f"{n} videos, fresh checkout, warm store (`doit -n {settings.workers}`)", warm_run.seconds,
                cpu=warm_run.cpu_seconds,
                note=f"file:// store; every story task restored (checked), registry and report run; "
                     f"{moved / 1e6:.0f} MB restored; CPU {warm_run.cpu_seconds / cold_run.cpu_seconds:.2f} × the "
                     f"cold build's",
                baselines=[Baseline("cold build, fresh checkout, empty store", cold_run.seconds),
                           Baseline("cold build, fresh checkout, no store", plain.seconds)],
                target=Target(0.1 * cold_run.seconds, "0.1 × the cold build"))]
