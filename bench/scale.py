"""Whole-build rows, driven through ``python -m doit`` in generated projects.

* batch: N stories with distinct copies of the conforming clip, the example manifest's defaults (3 platforms, the
  default thumbnail set), built from nothing serially and with ``-n 4``, then a no-op rebuild;
* many: the 1,000-story project (a tiny 360x640 clip, one platform, the smallest thumbnail set with every part),
  built once (reused while it stays up to date), then no-op rebuilds (answered from the up-to-date stamp, and
  verifying: stamp removed, every file checked), ``plan`` and ``validate``, and what checkpointing doit's database
  costs (``checkpoint``);
* doit's bare no-op on as many trivial tasks, as the baseline for both no-op rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import projects
from checkpoint import checkpoint_row
from clips import ensure_clip, full_decode
from settings import Settings
from table import Baseline, Row, Target
from timing import Measured, median_of, paired_medians

MEMORY_LIMIT_MB = 500.0


@dataclass
class ScaleResults:
    rows: list[Row]
    memory: list[Row]


def batch_rows(settings: Settings, log: list[str]) -> ScaleResults:
    clip = ensure_clip(settings.media_dir, settings.vertical)
    root = settings.work_dir / f"batch-{settings.batch}"
    projects.write_project(root, projects.ProjectSpec("batch", settings.batch, [clip]))
    logs = root / "logs"
    logs.mkdir(exist_ok=True)

    def fresh_build(workers: int, name: str) -> Measured:
        projects.clean_outputs(root)
        return projects.build(root, workers, logs / f"{name}.log")

    serial = fresh_build(1, "serial")
    # the decode baseline is timed between the parallel builds, so both see the same background load
    parallel, decode = paired_medians(lambda: fresh_build(settings.workers, "parallel"),
                                      lambda: full_decode(clip, settings.media_runs), settings.build_runs)
    tasks = projects.task_total(logs / "parallel.log")
    noop, bare = _noop_and_bare(settings, root, tasks, log)
    n, cores = settings.batch, settings.cores
    floor = n * decode.seconds / cores
    cpu_floor = n * decode.cpu_seconds / cores
    for name in ("serial", "parallel"):
        log.append(f"batch of {n}, {name} build: task seconds by kind "
                   f"{projects.seconds_by_task_kind(logs / f'{name}.log')}")
    log.append(f"batch of {n}: serial {serial.seconds:.1f} s ({serial.cpu_seconds:.1f} s CPU), -n {settings.workers} "
               f"{parallel.seconds:.1f} s ({parallel.cpu_seconds:.1f} s CPU; median of {parallel.runs}); "
               f"{tasks} tasks; one decode {decode.seconds:.2f} s wall / {decode.cpu_seconds:.2f} s CPU")
    seconds = f"{settings.vertical.duration:g} s"
    rows = [
        Row(f"{n} videos, serial (`doit`)", serial.seconds, cpu=serial.cpu_seconds, seed=f"~{10 * n} s",
            note=f"{seconds} conforming clips, 3 platforms, default thumbnail set; {tasks} tasks",
            baselines=[Baseline(f"{n} full decodes", n * decode.seconds),
                       Baseline("seed", 10.0 * n, quoted=True)]),
        Row(f"{n} videos, `doit -n {settings.workers}`", parallel.seconds, cpu=parallel.cpu_seconds,
            seed="60-70 s" if n == 20 else "",
            note=f"{cores} cores; one decode takes {decode.seconds:.2f} s wall but {decode.cpu_seconds:.2f} s CPU "
                 f"(ffmpeg already uses every core), so {n} decodes need ≥ {cpu_floor:.1f} s",
            baselines=[Baseline(f"{n} decodes / {cores} cores", floor),
                       Baseline(f"{n} decodes' CPU / {cores} cores", cpu_floor),
                       Baseline("seed low end", 60.0, quoted=True)],
            target=Target(1.3 * floor, f"1.3 × {n} decodes / {cores} cores")),
        Row(f"No-op rebuild, {n} stories", noop.seconds, cpu=noop.cpu_seconds,
            note=f"`doit -n {settings.workers}`, {tasks} tasks; answered from the up-to-date stamp",
            baselines=[Baseline(f"bare doit no-op, {tasks} tasks", bare.seconds)]),
    ]
    memory = [Row(f"Peak RSS of one process, {n}-video `-n {settings.workers}` build", parallel.max_rss_mb,
                  unit="MB", note="largest of doit, its workers and their ffmpeg processes (wait4 rusage)",
                  target=Target(MEMORY_LIMIT_MB, "issue 7"))]
    return ScaleResults(rows, memory)


def many_rows(settings: Settings, log: list[str]) -> ScaleResults:
    tiny = ensure_clip(settings.media_dir, settings.tiny)
    n = settings.many
    root = settings.work_dir / f"many-{n}"
    defaults = {"platforms": ["youtube"], "video": projects.TINY_VIDEO, "thumbnails": projects.TINY_THUMBNAILS}
    projects.write_project(root, projects.ProjectSpec("many", n, [tiny], defaults, copy_sources=False))
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    prepare = projects.build(root, settings.workers, logs / "prepare.log")
    built = projects.tasks_run(logs / "prepare.log")
    log.append(f"{n}-story project: the preparing build ran {built} task(s) in {prepare.seconds:.1f} s"
               + (f"; task seconds by kind: {projects.seconds_by_task_kind(logs / 'prepare.log')}" if built else ""))
    tasks = projects.task_total(logs / "prepare.log")
    noop, bare = _noop_and_bare(settings, root, tasks, log)
    shape, unchecked = _same_graph_noop(settings, root, log)
    verifying = median_of(lambda: projects.noop_build(root, settings.workers, logs / "verify.log", verify=True),
                          settings.fast_runs)
    log.append(f"verifying no-op (stamp removed first): {verifying.seconds:.3f} s wall / "
               f"{verifying.cpu_seconds:.3f} s CPU")
    plan = median_of(lambda: projects.storyexport_command(root, "plan", logs / "plan.log"), settings.fast_runs)
    validate = median_of(lambda: projects.storyexport_command(root, "validate", logs / "validate.log"),
                         settings.fast_runs)
    note = f"{tasks} tasks; 3.5 s 360x640 clip, 1 platform, 1 option of 4 candidates, 1 timestamp, 2x2 grid"
    rows = [
        Row(f"No-op rebuild, {n:,} stories", noop.seconds, cpu=noop.cpu_seconds,
            note=f"`doit -n {settings.workers}`; {note}; answered from the up-to-date stamp (one stat per file)",
            baselines=[Baseline(f"bare doit no-op, {tasks} tasks", bare.seconds),
                       Baseline("doit no-op on the same graph", shape.seconds)],
            target=Target(1.5 * bare.seconds, "1.5 × bare doit no-op")),
        Row(f"No-op rebuild, {n:,} stories, verifying", verifying.seconds, cpu=verifying.cpu_seconds,
            note="no stamp (as after a failed or partial run): doit checks every file, then the stamp is written",
            baselines=[Baseline(f"bare doit no-op, {tasks} tasks", bare.seconds),
                       Baseline("doit no-op on the same graph", shape.seconds),
                       Baseline("doit on the same graph, no dependency checks at all", unchecked.seconds)]),
        Row(f"`storyexport plan`, {n:,} stories", plan.seconds, cpu=plan.cpu_seconds,
            note="nothing stale: every task checked",
            baselines=[Baseline("bare doit no-op", bare.seconds)], target=Target(2.0, "issue 7")),
        Row(f"`storyexport validate`, {n:,}-story manifest", validate.seconds, cpu=validate.cpu_seconds,
            note="schema, semantic checks, sources exist", baselines=[Baseline("bare doit no-op", bare.seconds)],
            target=Target(1.0, "issue 7")),
    ]
    rows.append(checkpoint_row(root, settings.fast_runs, n))
    memory = [Row(f"Peak RSS of one process, verifying no-op of {n:,} stories", verifying.max_rss_mb, unit="MB",
                  note="the doit process holding the whole task graph", target=Target(MEMORY_LIMIT_MB, "issue 7"))]
    if built:
        memory.append(Row(f"Peak RSS of one process, {n:,}-story `-n {settings.workers}` build", prepare.max_rss_mb,
                          unit="MB", note=f"this run built {built} task(s)",
                          target=Target(MEMORY_LIMIT_MB, "issue 7")))
    return ScaleResults(rows, memory)


def _same_graph_noop(settings: Settings, root: Path, log: list[str]) -> tuple[Measured, Measured]:
    """doit's own no-op on storyexport's graph (same tasks and files, trivial actions): what doit itself costs for
    the files a real project declares, as opposed to one file_dep and one target per trivial task. Then the same
    with every dependency check skipped: the floor for any up-to-date shortcut that still runs doit on this graph."""
    folder = settings.work_dir / "shape"
    projects.write_shape_project(root, folder)
    projects.shape_doit(root, folder, settings.workers, folder / "build.log")
    shape, unchecked = paired_medians(
        lambda: projects.shape_doit(root, folder, settings.workers, folder / "noop.log"),
        lambda: projects.shape_doit(root, folder, settings.workers, folder / "unchecked.log", checks=False),
        settings.fast_runs)
    log.append(f"doit on the same graph: no-op {shape.seconds:.3f} s wall / {shape.cpu_seconds:.3f} s CPU; with no "
               f"dependency checks {unchecked.seconds:.3f} s wall / {unchecked.cpu_seconds:.3f} s CPU")
    return shape, unchecked


def _noop_and_bare(settings: Settings, root: Path, tasks: int, log: list[str]) -> tuple[Measured, Measured]:
    """The project's no-op rebuild and doit's bare no-op on ``tasks`` trivial tasks (python action, file_dep, target,
    json backend; built once first), measured alternately so both see the same background load."""
    bare_root = settings.work_dir / f"bare-{tasks}"
    projects.write_bare_project(bare_root, tasks)
    first = projects.bare_doit(bare_root, settings.workers, bare_root / "build.log")
    projects.build(root, settings.workers, root / "logs" / "warm.log")  # a clean run: the stamp exists after it
    os.sync()  # let the builds' writeback finish before timing sub-second runs
    noop, bare = paired_medians(lambda: projects.noop_build(root, settings.workers, root / "logs" / "noop.log"),
                                lambda: projects.bare_doit(bare_root, settings.workers, bare_root / "noop.log"),
                                settings.fast_runs)
    log.append(f"bare doit, {tasks} tasks: build {first.seconds:.2f} s, no-op {bare.seconds:.3f} s wall / "
               f"{bare.cpu_seconds:.3f} s CPU; storyexport no-op {noop.seconds:.3f} s wall / "
               f"{noop.cpu_seconds:.3f} s CPU")
    return noop, bare
