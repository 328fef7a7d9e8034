"""``-P dask --scheduler`` with a store: a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 that
cannot see the project (each in its own mount namespace, with a tmpfs over the projects' folder), working from the
store alone: ``file://`` and ``s3://`` (moto's S3 server).

Marked ``cluster``. Needs root and ``unshare`` (util-linux) for the namespaces; skipped, saying why, without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import Project, make_project
from .test_dask import build_killing_a_worker_mid_encode, events, story_outputs
from .test_store_s3 import bucket, free_port, s3_endpoint, wait_for  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

DASK_BIN = str(Path(sys.executable).with_name("dask"))
HIDE = 'mount -t tmpfs tmpfs "$1" && shift && exec "$@"'  # run "$@" with an empty folder over "$1"
MEDIA = ("video", "thumbnails")


def _can_hide_folders() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False).returncode == 0


requires_namespaces = pytest.mark.skipif(not _can_hide_folders(),
                                         reason="needs root and unshare -m to hide the project from the workers")


@dataclass
class Cluster:
    address: str
    projects: Path
    workers: list[subprocess.Popen[bytes]]


def start_cluster(root: Path, projects: Path, count: int = 2, env: dict[str, str] | None = None,
                  ) -> tuple[subprocess.Popen[bytes], list[subprocess.Popen[bytes]], str]:
    port = free_port()
    scheduler = subprocess.Popen([DASK_BIN, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, scheduler)
    address = f"tcp://127.0.0.1:{port}"
    workers = []
    for index in range(count):
        folder = root / f"worker{index}"
        folder.mkdir()
        workers.append(subprocess.Popen(
            ["unshare", "-m", "sh", "-c", HIDE, "sh", str(projects), DASK_BIN, "worker", address, "--nthreads", "1",
             "--no-dashboard", "--local-directory", str(folder), "--name", f"w{index}"],
            cwd=folder, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(count, timeout=60)
    return scheduler, workers, address


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[Cluster]:  # noqa: F811
    """Two workers that see the store (a folder beside the projects, and moto's S3 server) but no project."""
    if not _can_hide_folders():
        pytest.skip("needs root and unshare -m to hide the project from the workers")
    root = tmp_path_factory.mktemp("cluster")
    projects = root / "projects"
    projects.mkdir()
    aws = {"AWS_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    scheduler, workers, address = start_cluster(root, projects, env=aws)
    try:
        yield Cluster(address, projects, workers)
    finally:
        stop(*workers, scheduler)


def clone(project: Project, root: Path) -> Project:
    """What a fresh checkout has: the manifest, dodo.py, doit.cfg, the rules and the sources; no outputs."""
    shutil.copytree(project.root, root, ignore=shutil.ignore_patterns("out", ".storyexport"))
    return Project(root)


def media_events(stdout: str) -> dict[str, bool]:
    return {e["task"]: bool(e.get("cached")) for e in events(stdout)
            if e["event"] == "success" and e["task"].split(":")[0] in MEDIA}


@requires_namespaces
@pytest.mark.parametrize("kind", ["file", "s3"])
def test_workers_that_cannot_see_the_project_build_it_from_the_store(
        cluster: Cluster, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    store = f"s3://{request.getfixturevalue('bucket')}/shared" if kind == "s3" else f"file://{tmp_path / 'store'}"
    project = make_project(cluster.projects / f"{kind}-first")
    reference = clone(project, tmp_path / "reference")  # built here by doit -n 2, without Dask or a store
    built = project.doit("-n", "2", "-P", "dask", "--scheduler", cluster.address, "--store", store,
                         "progress=jsonl")
    assert built.returncode == 0, built.stdout + built.stderr
    first = media_events(built.stdout)
    assert len(first) == 6 and not any(first.values())  # every media task ran, on the workers
    assert reference.doit("-n", "2", "progress=jsonl").returncode == 0
    assert story_outputs(project) == story_outputs(reference)
    # a fresh clone with the same store runs no heavy action: every media output is restored from the cache
    fresh = clone(reference, cluster.projects / f"{kind}-clone")
    again = fresh.doit("-n", "2", "-P", "dask", "--scheduler", cluster.address, "--store", store, "progress=jsonl")
    assert again.returncode == 0, again.stdout + again.stderr
    assert media_events(again.stdout) == dict.fromkeys(first, True)
    assert story_outputs(fresh) == story_outputs(reference)


@requires_namespaces
def test_a_worker_killed_mid_encode_on_a_remote_cluster_is_rescheduled(cluster: Cluster, tmp_path: Path) -> None:
    project = make_project(cluster.projects / "killed")
    build_killing_a_worker_mid_encode(project, ["-n", "2", "-P", "dask", "--scheduler", cluster.address, "--store",
                                                f"file://{tmp_path / 'store'}", "progress=jsonl"],
                                      nannies=[worker.pid for worker in cluster.workers])


@requires_namespaces
@pytest.mark.parametrize("with_store", [True, False], ids=["hermetic", "shared-folder"])
def test_a_worker_with_another_ffmpeg_is_refused_in_one_line(tmp_path: Path, with_store: bool) -> None:
    projects = tmp_path / "projects"
    project = make_project(projects / "mismatch")
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho 'ffmpeg version 0.0-elsewhere Copyright (c) nobody'\n", encoding="utf-8")
    fake.chmod(0o755)
    scheduler, workers, address = start_cluster(tmp_path, projects, count=1, env={"STORYEXPORT_FFMPEG": str(fake)})
    try:
        store = ["--store", f"file://{tmp_path / 'store'}"] if with_store else []
        done = project.doit("-n", "2", "-P", "dask", "--scheduler", address, *store, "progress=plain")
    finally:
        stop(*workers, scheduler)
    assert done.returncode == 2, done.stdout + done.stderr
    summary_lines = [line.strip() for line in done.stdout.splitlines() if line.startswith("  FAILED")]
    assert len(summary_lines) == 1 and summary_lines[0].startswith("FAILED video:")
    assert "Dask worker" in summary_lines[0] and "on the coordinator" in summary_lines[0]
    assert "refusing to work across versions: ffmpeg 'ffmpeg version 0.0-elsewhere' here" in summary_lines[0]
    assert "Traceback" not in done.stderr
    assert not list((project.out).rglob("*.mp4"))


@requires_namespaces
def test_too_few_workers_for_min_workers_is_one_line_and_runs_nothing(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from storyexport.build import dask_pool
    from storyexport.cli import main

    monkeypatch.setattr(dask_pool, "WORKERS_TIMEOUT_S", 2)  # rather than the ten minutes a batch queue may need
    project = make_project(cluster.projects / "too-few")
    code = main(["build", "-m", str(project.manifest), "-P", "dask", "--scheduler", cluster.address,
                 "--min-workers", "3", "--progress", "quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"only 2 of the 3 Dask workers asked for (--min-workers) connected to {cluster.address} within 2 s" in err
    assert not list(project.out.rglob("*.mp4"))
