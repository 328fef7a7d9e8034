"""``-P dask`` on one machine: an embedded LocalCluster against ``doit -n 2``, and the runner's failure modes.

Marked ``cluster`` (``pytest -m cluster`` selects them): each starts real Dask worker processes. Clips stay tiny and
clusters stay at two workers.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from storyexport.build.reporter import STAMP_NOTE
from storyexport.build.uptodate import INPUTS_KEY, STORE_KEY
from storyexport.cli import main
from storyexport.media.samples import generate_sample

from .conftest import AGGREGATES, Project

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

DASK = ("-n", "2", "-P", "dask", "progress=jsonl")
NO_STAMP = {"STORYEXPORT_STAMP": "off"}  # make doit itself check every task
# doit under a wrapper that reports whether Dask was imported, and can hide it as if the extra were not installed
PROBE = ("import atexit, sys\n"
         "if sys.argv[1] == 'hide': sys.modules['distributed'] = None\n"
         "atexit.register(lambda: print('dask imported:', 'distributed' in sys.modules and sys.modules['distributed']"
         " is not None, file=sys.stderr))\n"
         "from doit.doit_cmd import DoitMain\n"
         "sys.exit(DoitMain().run(sys.argv[2:]))\n")


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def ran(stdout: str) -> set[str]:
    return {e["task"] for e in events(stdout) if e["event"] in ("success", "failure")}


def summary(stdout: str) -> dict:
    return next(e for e in events(stdout) if e["event"] == "summary")


def story_outputs(project: Project) -> dict[str, str]:
    return {name: digest for name, (_, digest) in project.snapshot().items() if Path(name).name not in AGGREGATES}


def database(project: Project) -> dict[str, dict]:
    """doit's records without file times (each tree has its own): content digests, sizes, saved values, and the
    dependencies as a set (doit stores a set as a list, in an order that varies from process to process)."""
    db = json.loads((project.out / ".storyexport" / "doit-db.json").read_text(encoding="utf-8"))

    def comparable(key: str, value: object) -> object:
        if key == "deps:":
            return sorted(value)  # type: ignore[arg-type]
        return value[1:] if isinstance(value, list) else value  # [mtime, size, digest] of a file

    records = {task: {key: comparable(key, value) for key, value in entry.items()} for task, entry in db.items()}
    # the report's inputs include the registry snapshot, which records when each export was registered, and the
    # registry task records when its database was created
    records["report"]["_values_:"].pop(INPUTS_KEY)
    records["registry"]["_values_:"].pop(STORE_KEY)
    return records


def copy_project(project: Project, root: Path) -> Project:
    shutil.copytree(project.root, root, copy_function=shutil.copy2)
    return Project(root)


def test_local_cluster_builds_what_doit_n2_builds_and_each_tree_is_up_to_date_for_the_other(
        fresh_project: Project, tmp_path: Path) -> None:
    local = fresh_project
    remote = copy_project(local, tmp_path / "remote")
    built_local = local.doit("-n", "2", "progress=jsonl")
    with socket.socket() as dashboard:
        with contextlib.suppress(OSError):  # Dask's default port taken, if nothing has taken it already
            dashboard.bind(("127.0.0.1", 8787))
            dashboard.listen()
        built_remote = remote.doit(*DASK, "--min-workers", "2")
    assert built_local.returncode == 0 and built_remote.returncode == 0, built_remote.stderr
    assert built_remote.stderr == ""  # no warning from Dask (a port in use, a dashboard)
    assert ran(built_remote.stdout) == ran(built_local.stdout)
    assert story_outputs(remote) == story_outputs(local)
    assert database(remote) == database(local)
    for project, args in ((local, DASK), (remote, ("-n", "2", "progress=jsonl"))):
        again = project.doit(*args, env=NO_STAMP)
        assert again.returncode == 0, again.stderr
        assert ran(again.stdout) == set() and summary(again.stdout)["total"] > 0


def test_a_noop_with_dask_never_imports_it(project: Project) -> None:
    for env in (NO_STAMP, {}):  # doit checking every task, and the up-to-date stamp answering
        done = subprocess.run([sys.executable, "-c", PROBE, "show", *DASK], cwd=project.root, capture_output=True,
                              text=True, timeout=300, env={**os.environ, **env}, check=False)
        assert done.returncode == 0, done.stderr
        assert ran(done.stdout) == set()
        assert "dask imported: False" in done.stderr


def test_doit_cfg_can_make_dask_the_default_for_plain_doit(project: Project) -> None:
    """``par_type = dask`` under ``[run]`` in the project's doit.cfg: "edit, then ``doit -n 2``" runs on Dask, and a
    plain run still writes and uses the up-to-date stamp."""
    config = project.root / "doit.cfg"
    config.write_text(config.read_text(encoding="utf-8") + "\n[run]\npar_type = dask\n", encoding="utf-8")
    generate_sample(project.root / "src" / "beta.mp4", seed=9, duration=3.5, width=360, height=640, fps=30)
    edited = subprocess.run([sys.executable, "-c", PROBE, "show", "-n", "2", "progress=jsonl"], cwd=project.root,
                            capture_output=True, text=True, timeout=300, check=False)
    assert edited.returncode == 0, edited.stderr
    assert "video:beta" in ran(edited.stdout) and "dask imported: True" in edited.stderr
    again = subprocess.run([sys.executable, "-c", PROBE, "show", "-n", "2", "progress=plain"], cwd=project.root,
                           capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0 and STAMP_NOTE in again.stdout and "dask imported: False" in again.stderr


def test_python_m_storyexport_build_runs_on_dask(project: Project) -> None:
    """The installed command's path: ``storyexport build -P dask`` registers the run plugin itself."""
    generate_sample(project.root / "src" / "gamma.mp4", seed=5, duration=3.5, width=360, height=640, fps=30)
    done = subprocess.run([sys.executable, "-m", "storyexport", "build", "-m", str(project.manifest), "-n", "2",
                           "-P", "dask", "--progress", "jsonl"], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {"video:gamma", "thumbnails:gamma"} <= ran(done.stdout)


def test_a_fresh_clone_with_a_warm_store_starts_no_cluster(fresh_project: Project, tmp_path: Path) -> None:
    """Media tasks whose outputs the store holds are restored by doit's process: no worker, not even Dask."""
    store = ["--store", f"file://{tmp_path / 'store'}"]
    clone = copy_project(fresh_project, tmp_path / "clone")
    first = fresh_project.doit(*DASK, *store)
    assert first.returncode == 0, first.stdout + first.stderr
    done = subprocess.run([sys.executable, "-c", PROBE, "show", *DASK, *store], cwd=clone.root, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    media = {e["task"]: e.get("cached") for e in events(done.stdout)
             if e["event"] == "success" and e["task"].split(":")[0] in ("video", "thumbnails")}
    assert len(media) == 6 and all(media.values())
    assert "dask imported: False" in done.stderr
    assert story_outputs(clone) == story_outputs(fresh_project)


def test_an_edit_runs_exactly_what_plan_lists(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    generate_sample(project.root / "src" / "alpha.mp4", seed=7, duration=3.5, width=360, height=640, fps=30)
    project.edit_story("gamma", title="Gamma, retitled")
    assert main(["plan", "-m", str(project.manifest), "--format", "json"]) == 0
    planned = {entry["task"] for entry in json.loads(capsys.readouterr().out)["would_run"]}
    assert {"video:alpha", "thumbnails:alpha", "metadata:gamma"} <= planned
    done = project.doit(*DASK)
    assert done.returncode == 0, done.stderr
    assert ran(done.stdout) == planned


def test_a_failing_action_reports_and_exits_as_a_local_build(project: Project, tmp_path: Path) -> None:
    (project.root / "src" / "beta.mp4").write_bytes(b"not a video at all" * 100)
    remote = copy_project(project, tmp_path / "remote")
    local = project.doit("-n", "2", "progress=plain")
    dask = remote.doit("-n", "2", "-P", "dask", "progress=plain")
    assert local.returncode == dask.returncode == 2  # doit: its dependents are "UnmetDependency" errors

    def failure_lines(stdout: str) -> list[str]:
        """The summary's failure lines; the blocked tasks as a set (doit reaches them in no fixed order)."""
        lines = [line.strip() for line in stdout.splitlines() if line.strip().startswith(("FAILED", "not run"))]
        return [", ".join(sorted(line.removeprefix("not run: ").split(", "))) if line.startswith("not run") else line
                for line in lines]

    assert failure_lines(local.stdout) and failure_lines(dask.stdout) == failure_lines(local.stdout)
    assert "Traceback" not in dask.stderr


def test_without_the_extra_dask_is_one_line_naming_the_install_command(project: Project) -> None:
    project.edit_story("gamma", title="Something to build")
    done = subprocess.run([sys.executable, "-c", PROBE, "hide", *DASK], cwd=project.root, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 3
    errors = [line for line in done.stderr.splitlines() if not line.startswith("dask imported")]
    assert errors == ["ERROR: -P dask needs Dask, which is not installed: pip install 'storyexport[distributed]'"]


def test_an_unreachable_scheduler_is_one_line(project: Project) -> None:
    project.edit_story("alpha", video={"crf": 30})  # something remote to run
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the build: nothing listens there
    done = project.doit(*DASK, "--scheduler", f"tcp://127.0.0.1:{port}")
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"ERROR: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert main(["build", "-m", str(project.manifest), "-P", "dask", "--scheduler", f"tcp://127.0.0.1:{port}",
                 "--progress", "quiet"]) == 2


def test_a_malformed_scheduler_address_is_one_line(project: Project) -> None:
    project.edit_story("alpha", video={"crf": 30})  # something remote to run
    done = project.doit(*DASK, "--scheduler", "garbage")
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("ERROR: cannot reach the Dask scheduler at garbage")


@pytest.mark.parametrize(("value", "reason"), [
    ("3", "--min-workers 3 exceeds the 2 worker processes of the local cluster (-n 2)"),
    ("-1", "--min-workers must be 0 or more, not -1")])
def test_an_impossible_min_workers_is_one_line(project: Project, value: str, reason: str) -> None:
    project.edit_story("alpha", video={"crf": 30})  # something remote to run
    done = project.doit(*DASK, "--min-workers", value)
    assert (done.returncode, done.stderr) == (3, f"ERROR: {reason}\n")
    assert main(["build", "-m", str(project.manifest), "-n", "2", "-P", "dask", "--min-workers", value,
                 "--progress", "quiet"]) == 2


def _encoding_worker(build: psutil.Process) -> psutil.Process | None:
    """The Dask worker process (a descendant of the build) running an encode right now (the build itself runs
    ``ffmpeg -version`` once)."""
    for child in build.children(recursive=True):
        try:
            if "ffmpeg" in child.name() and "-i" in child.cmdline() and child.ppid() != build.pid:
                return child.parent()
        except psutil.NoSuchProcess:
            continue
    return None


def _encoding_here(build: psutil.Process) -> bool:
    """Whether doit's own process is running an encode (not a worker)."""
    try:
        return any("ffmpeg" in child.name() and "-i" in child.cmdline() for child in build.children())
    except psutil.NoSuchProcess:
        return False


def build_killing_a_worker_mid_encode(project: Project, args: list[str], nannies: list[int]) -> str:
    """Run ``doit ARGS`` with 20 s clips to encode, SIGKILL the first worker (a descendant of one of ``nannies``,
    else of the build) seen encoding, and check that the build still finishes with every task recorded once, and
    that doit's process encoded nothing itself (``--min-workers``: it waits for the workers). Returns its stdout."""
    for seed, name in enumerate(("alpha", "beta", "gamma")):
        generate_sample(project.root / "src" / f"{name}.mp4", seed=seed, duration=20, width=360, height=640, fps=30)
    build = subprocess.Popen([sys.executable, "-m", "doit", *args, "--min-workers", "2"], cwd=project.root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    encoded_here = False
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and build.poll() is None:
        encoded_here = encoded_here or _encoding_here(psutil.Process(build.pid))
        workers = [_encoding_worker(psutil.Process(pid)) for pid in nannies or [build.pid]]
        for worker in filter(None, workers):
            worker.send_signal(signal.SIGKILL)
            killed = worker.pid
            break
        time.sleep(0.05)
    stdout, stderr = build.communicate(timeout=300)
    assert killed is not None, "no worker was seen encoding: " + stdout[-800:] + stderr[-800:]
    assert not encoded_here
    assert build.returncode == 0, stdout + stderr
    successes = [e["task"] for e in events(stdout) if e["event"] == "success"]
    assert len(successes) == len(set(successes)) == summary(stdout)["total"]
    return stdout


def test_a_worker_killed_mid_encode_gets_its_task_rescheduled_and_recorded_once(fresh_project: Project) -> None:
    project = fresh_project
    build_killing_a_worker_mid_encode(project, list(DASK), nannies=[])  # LocalCluster: workers of the build
    assert project.doit("-n", "2", "progress=jsonl", env=NO_STAMP).stdout.count('"event": "success"') == 0


def test_sigterm_saves_finished_tasks_and_leaves_no_scratch(fresh_project: Project, tmp_path: Path) -> None:
    project = fresh_project
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    build = subprocess.Popen([sys.executable, "-m", "doit", *DASK], cwd=project.root, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "TMPDIR": str(scratch), "PYTHONUNBUFFERED": "1"})
    assert build.stdout is not None
    finished = []
    for line in build.stdout:
        if '"event": "success"' in line:
            finished.append(json.loads(line)["task"])
        if len(finished) >= 2:
            break
    build.send_signal(signal.SIGTERM)
    _, stderr = build.communicate(timeout=120)
    assert build.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    rerun = project.doit("-n", "2", "progress=jsonl")
    assert rerun.returncode == 0, rerun.stderr
    assert not set(finished) & ran(rerun.stdout)
    assert list(scratch.iterdir()) == []
    assert not [p for p in project.root.rglob("*") if ".tmp" in p.name]


def test_a_remote_task_is_timed_on_its_worker_not_in_its_queue() -> None:
    """The pool keeps two tasks per worker in flight; the second waits behind the first, and that wait must not
    count as its own time (progress lines, ``duration_s``, the bench's seconds by kind)."""
    from storyexport.build.dask_pool import ClusterSpec, RemotePool

    pool = RemotePool(ClusterSpec(workers=1, min_workers=1))
    try:
        assert pool.ready() and pool.capacity() == 2
        for name in ("first", "second"):
            pool.submit(name, time.sleep, 1.0)
        done = [pool.next_done() for _ in range(2)]
    finally:
        pool.close()
    assert sorted(owner for owner, *_ in done) == ["first", "second"]
    for _, value, error, seconds in done:
        assert value is None and error is None
        assert seconds is not None and 1.0 <= seconds < 2.0  # the second was submitted 1 s before it could start


def test_an_interrupted_build_does_not_wait_forever_for_a_cluster_stuck_starting(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An interrupt inside an import can leave Python's import lock held, and the thread starting the cluster
    (importing Dask) then waits forever (seen: a SIGTERM 0.15 s after the first task hung the build). The
    interrupted build gives up on it after ``STOP_PATIENCE_S`` and still removes its scratch folder."""
    import threading

    from storyexport.build import dask_pool

    monkeypatch.setattr(dask_pool, "STOP_PATIENCE_S", 0.5)
    never = threading.Event()
    pool = dask_pool.RemotePool(dask_pool.ClusterSpec(workers=1))
    pool._starter = threading.Thread(target=never.wait, daemon=True)  # a start that never ends
    pool._starter.start()
    pool._scratch = str(tmp_path / "storyexport-dask-scratch")
    Path(pool._scratch).mkdir()
    closer = threading.Thread(target=pool.close, kwargs={"interrupted": True}, daemon=True)
    closer.start()
    closer.join(10)
    assert not closer.is_alive(), "close() waits for a start that never ends"
    assert not Path(pool._scratch or tmp_path / "storyexport-dask-scratch").exists()
    never.set()


def test_an_import_lock_leaked_by_an_interrupt_does_not_stall_the_cluster_start(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What an interrupt between taking and releasing Python's import lock leaves behind: doit's thread holds it,
    and the thread starting the cluster cannot import anything. Waiting for the start releases it first."""
    import _imp
    import importlib
    import threading

    from storyexport.build import dask_pool

    monkeypatch.setattr(dask_pool, "START_PATIENCE_S", 5.0)
    (tmp_path / "storyexport_import_probe.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    pool = dask_pool.RemotePool(dask_pool.ClusterSpec(workers=1))
    _imp.acquire_lock()  # leaked
    try:
        pool._starter = threading.Thread(target=importlib.import_module, args=("storyexport_import_probe",),
                                         daemon=True)
        pool._starter.start()
        pool.settle()
        assert "storyexport_import_probe" in sys.modules
        assert not _imp.lock_held()
    finally:
        while _imp.lock_held():
            _imp.release_lock()


def test_a_deep_temp_folder_still_starts_the_local_cluster(fresh_project: Project, tmp_path: Path) -> None:
    """The fork server's socket lives in the temp folder, and a Unix socket path is short (107 bytes on Linux):
    under a deep TMPDIR the workers are spawned instead, with no error."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    done = fresh_project.doit(*DASK, "--min-workers", "2", env={"TMPDIR": str(deep)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert not summary(done.stdout)["failed"]
    assert list(deep.iterdir()) == []
