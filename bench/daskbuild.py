"""``-P dask`` against ``doit -n 2`` on the batch project, in the same run.

* build: the batch project (N stories, 30 s conforming clips) built from nothing with ``doit -n 2`` and with
  ``doit -n 2 -P dask`` (an embedded LocalCluster of 2 worker processes with one thread each, started by the build),
  alternately so both see the same background load; medians. The Dask figure includes starting and stopping the
  cluster and importing Dask.
* no-op: the same project rebuilt with nothing to do, plain and with ``-P dask``: answered from the up-to-date stamp
  (checked), and verifying (stamp removed: doit checks every file and the Dask runner dispatches nothing, so no
  cluster starts).
"""

from __future__ import annotations

import shutil

import projects
from clips import ensure_clip
from settings import Settings
from table import Baseline, Row, Target
from timing import Measured, median_of, paired_medians, run_command

from storyexport.build.doit_runner import DASK

WORKERS = 2


def dask_rows(settings: Settings, log: list[str]) -> list[Row]:
    clip = ensure_clip(settings.media_dir, settings.vertical)
    n = settings.batch
    root = settings.work_dir / f"dask-{n}"
    projects.write_project(root, projects.ProjectSpec("batch", n, [clip]))
    shutil.copyfile(projects.REPO / "doit.cfg", root / "doit.cfg")  # the project's run command (-P dask)
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    local_argv = projects.doit_command(WORKERS)
    dask_argv = [*local_argv[:-1], "-P", DASK, local_argv[-1]]

    def fresh(argv: list[str], name: str) -> Measured:
        projects.clean_outputs(root)
        return run_command(argv, cwd=root, log=logs / f"{name}.log")

    local, remote = paired_medians(lambda: fresh(local_argv, "local"), lambda: fresh(dask_argv, "dask"),
                                   settings.build_runs)
    log.append(f"dask section, {n} videos: doit -n {WORKERS} {local.seconds:.1f} s ({local.cpu_seconds:.1f} s CPU), "
               f"-P dask {remote.seconds:.1f} s ({remote.cpu_seconds:.1f} s CPU; medians of {remote.runs})")
    for name in ("local", "dask"):
        log.append(f"dask section, {name} build of {n}: task seconds by kind "
                   f"{projects.seconds_by_task_kind(logs / f'{name}.log')}")
    rows = [Row(f"{n} videos, `doit -n {WORKERS} -P dask`", remote.seconds, cpu=remote.cpu_seconds,
                note=f"embedded LocalCluster, {WORKERS} worker processes with one thread each, started and stopped "
                     "by the build; videos and thumbnail sets on the workers, JSON tasks, registry and report in "
                     "doit's process",
                baselines=[Baseline(f"`doit -n {WORKERS}`", local.seconds)],
                target=Target(1.1 * local.seconds, f"1.1 × `doit -n {WORKERS}`"))]
    for verify in (False, True):
        def noop(argv: list[str], name: str, check: bool = verify) -> Measured:
            log_name = f"noop-{'verifying' if check else 'stamped'}-{name}.log"  # a log per mode: they are checked
            return projects.noop_build_argv(root, argv, logs / log_name, verify=check)

        plain = median_of(lambda: noop(local_argv, "plain"), settings.fast_runs)
        dask = median_of(lambda: noop(dask_argv, "dask"), settings.fast_runs)
        how = "doit checks every file (stamp removed)" if verify else "answered from the up-to-date stamp (checked)"
        rows.append(Row(f"No-op rebuild, {n} videos, `-P dask`" + (" (verifying)" if verify else ""), dask.seconds,
                        cpu=dask.cpu_seconds, note=f"{how}; no cluster is started",
                        baselines=[Baseline(f"the same no-op with `doit -n {WORKERS}`", plain.seconds)],
                        target=Target(1.1 * plain.seconds, "1.1 × the plain no-op")))
    return rows
