"""The Dask side of ``-P dask``: a client on an existing scheduler, or an embedded ``LocalCluster``, created on the
first task that runs remotely (a no-op never imports Dask), and the bookkeeping of the futures in flight.

Nothing here knows doit: ``doit_runner`` decides what runs where and records the results. Dask itself reschedules
the task of a worker that died (up to ``distributed.scheduler.allowed-failures`` times), so a killed worker costs
its task a rerun elsewhere, never a second record.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from storyexport.environment import BLAS_ENV, JOBS_ENV

INSTALL_HINT = "pip install 'storyexport[distributed]'"
CONNECT_TIMEOUT_S = 10
# An interrupt (Ctrl-C, SIGTERM) raises KeyboardInterrupt wherever doit's thread is, also inside an import, which
# can leave Python's import lock held by that thread: the thread starting the cluster, importing too, then waits
# forever (seen in tests). doit's thread releases such a lock before it waits for the start, and waits at most this
# long once the build is over (interrupted, or every task done), then leaves the cluster to the process's exit.
STOP_PATIENCE_S = 15.0
START_PATIENCE_S = 120.0
WORKERS_TIMEOUT_S = 600  # ``min_workers`` on a scheduler whose workers are still being started (batch jobs)


# Dask's settings for the embedded cluster (docs/distributed.md recommends them for workers of your own). Its
# defaults suit many small tasks and a dashboard; a worker of storyexport runs one media task at a time, and on a
# small machine the bookkeeping competes with that task for the cores: measured on 2 cores, a thumbnail set's Python
# CPU on a worker was 1.4 × that in doit's own worker with the defaults, and the same with these.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    # Dask's workers free memory back to the system eagerly (MALLOC_TRIM_THRESHOLD_=64 KiB): a media task allocates
    # and frees large frame buffers all the time, and paid for it in system time (about 1.4 × the CPU of a
    # thumbnail set); storyexport's workers keep the C library's default
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # the statistical profiler samples the running task's stack every 10 ms, for a dashboard the cluster has not got
    "distributed.worker.profile.enabled": False,
    # event-loop health checks (every 20 ms), system metrics (psutil, every 0.5 s) and the memory limits (every
    # 0.1 s, in the worker and again in the coordinator's nanny) only need to notice a stuck loop, or a worker
    # outgrowing its memory, within a second or so
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    # the HTTP servers (metrics, health, a dashboard proxy) serve nobody: no routes, nothing imported for them
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
}


# what a worker imports to run a task (``doit_runner.execute_remotely`` and what it imports), besides the actions
WORKER_MODULES = ("storyexport.build.doit_runner", "storyexport.store.action_cache")


class DaskSetupError(RuntimeError):
    """Dask is missing or the scheduler cannot be reached; the message is one line."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: blocked (``sys.modules[name] = None``)
        return False


def require_dask() -> None:
    """Checked before a ``-P dask`` run starts, without importing Dask (the import is left to the first task)."""
    if not (_installed("dask") and _installed("distributed")):
        raise DaskSetupError(f"-P dask needs Dask, which is not installed: {INSTALL_HINT}")


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class ClusterSpec:
    """``scheduler``: ``tcp://HOST:PORT`` of a running ``dask scheduler``, or empty for an embedded LocalCluster of
    ``workers`` processes with one thread each. ``min_workers``: dispatch nothing until that many workers are
    connected (0: at once; an embedded cluster's first tasks then run in doit's process while it starts)."""

    scheduler: str = ""
    workers: int = 1
    min_workers: int = 0

    def problem(self) -> str | None:
        """What is wrong with these settings, in one line, or None."""
        if self.min_workers < 0:
            return f"--min-workers must be 0 or more, not {self.min_workers}"
        if not self.scheduler and self.min_workers > self.workers:
            return (f"--min-workers {self.min_workers} exceeds the {self.workers} worker processes of the local "
                    f"cluster (-n {self.workers})")
        return None


def _fork_server_socket_fits() -> bool:
    """multiprocessing's fork server listens on a Unix socket under the temp folder
    (``$TMPDIR/pymp-XXXXXXXX/listener-XXXXXXXX``), and a socket path holds at most 107 bytes on Linux (103 on
    macOS): with a deep ``TMPDIR`` the workers are spawned instead."""
    return len(os.fsencode(tempfile.gettempdir())) + len("/pymp-XXXXXXXX/listener-XXXXXXXX") <= 103


def _preloaded_start_method() -> str:
    """Worker processes forked from one server that imported Dask and the media stack once (multiprocessing's
    ``forkserver``: a fresh, single-threaded process, so forking it is safe), instead of each spawned worker
    importing them: about 0.8 s of CPU per worker saved. Where there is no fork server (Windows): spawn."""
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods() or not _fork_server_socket_fits():
        return "spawn"
    import dask
    from distributed.utils import get_mp_context

    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        context = get_mp_context()  # Dask names its preloads on the first call: extended here, after it
    from storyexport.build.actions import STORY_ACTION_MODULES

    context.set_forkserver_preload(["distributed", *WORKER_MODULES, *STORY_ACTION_MODULES])
    return "forkserver"


def timed(function: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Runs on a worker: (the seconds ``function`` took there, its value). A task also waits in its worker's queue
    behind the one running (``capacity``); that wait is not the task's own time."""
    started = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - started, value


def _release_leaked_import_lock() -> None:
    """Called where this thread imports nothing, so any hold it has on Python's global import lock was leaked by an
    interrupt inside an import (see ``STOP_PATIENCE_S``); another thread's hold is left alone."""
    import _imp

    while _imp.lock_held():
        try:
            _imp.release_lock()
        except RuntimeError:  # another thread holds it, for a moment
            return


@dataclass
class RemotePool:
    """Futures in flight, keyed back to whatever the caller submitted them for."""

    spec: ClusterSpec
    _client: Any = None
    _cluster: Any = None
    _completed: Any = None
    _owners: dict[Any, Any] = field(default_factory=dict)
    _threads: int = 0
    _scratch: str | None = None
    _config: Any = None
    _starter: threading.Thread | None = None
    _start_error: BaseException | None = None
    _forked: bool = False  # workers come from multiprocessing's fork server

    def start_soon(self) -> None:
        """Start the local cluster in the background: it takes a second or two (importing Dask, starting worker
        processes), which the caller spends running tasks itself. (An existing scheduler is connected to at once,
        by ``ready``: an unreachable one must stop the build before anything runs.)"""
        if self._starter is None and not self.started and not self.spec.scheduler:
            self._starter = threading.Thread(target=self._start_in_background, name="storyexport-dask-start",
                                             daemon=True)
            self._starter.start()

    def _start_in_background(self) -> None:
        try:
            self._start()
        except DaskSetupError as exc:  # handed to the caller by ``ready``
            self._start_error = exc
        except Exception as exc:  # a cluster that failed to start: one line too
            where = self.spec.scheduler or "a local Dask cluster"
            self._start_error = DaskSetupError(f"cannot start {where} ({one_line(exc)})")

    def ready(self) -> bool:
        """True once the cluster takes tasks. False while the local cluster is still starting in the background
        (started here if need be): the caller may run the task itself meanwhile; with ``min_workers`` this waits
        instead. Raises what kept the cluster from starting (``DaskSetupError``)."""
        if self.spec.scheduler and not self.started:
            self._start()
        self.start_soon()
        if self._starter is not None and (self.spec.min_workers or not self._starter.is_alive()):
            self._join_starter(None)
            self._starter = None
            if self._start_error is not None:
                raise self._start_error
        return self._starter is None and self.started

    def settle(self) -> None:
        """Wait for a start still under way (all tasks ran meanwhile); raise what kept it from starting."""
        if self._starter is not None and self._join_starter(START_PATIENCE_S):
            self.ready()

    def _join_starter(self, timeout: float | None) -> bool:
        """Wait for the start under way (at most ``timeout``); True once it has ended."""
        assert self._starter is not None
        _release_leaked_import_lock()
        self._starter.join(timeout)
        return not self._starter.is_alive()

    def _start(self) -> None:
        from distributed import Client, as_completed

        try:
            if self.spec.scheduler:
                self._client = Client(self.spec.scheduler, timeout=CONNECT_TIMEOUT_S)
            else:
                self._cluster = self._local_cluster()
                self._client = Client(self._cluster)
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: a malformed address ("missing port")
            where = self.spec.scheduler or "a local cluster"
            self.close()
            raise DaskSetupError(f"cannot reach the Dask scheduler at {where} ({one_line(exc)})") from None
        if self.spec.min_workers:
            self._wait_for_workers()
        self._threads = sum(w.get("nthreads", 1) for w in self._client.scheduler_info()["workers"].values())
        self._completed = as_completed()

    def _wait_for_workers(self) -> None:
        try:
            self._client.wait_for_workers(self.spec.min_workers, timeout=WORKERS_TIMEOUT_S)
        except TimeoutError:
            connected = len(self._client.scheduler_info()["workers"])
            self.close()
            raise DaskSetupError(f"only {connected} of the {self.spec.min_workers} Dask workers asked for "
                                 f"(--min-workers) connected to {self.spec.scheduler} within "
                                 f"{WORKERS_TIMEOUT_S} s") from None

    def _local_cluster(self) -> Any:
        import dask
        from distributed import LocalCluster

        # each worker is one job: media code splits its side work by STORYEXPORT_JOBS, as under doit -n N
        env = {JOBS_ENV: str(self.spec.workers), BLAS_ENV: os.environ.get(BLAS_ENV, "1")}
        # the scheduler's and workers' scratch space (also of a worker restarted later) is ours to remove, whatever
        # way the run ends: Dask itself leaves its folder and lock files behind
        self._scratch = tempfile.mkdtemp(prefix="storyexport-dask-")
        method = _preloaded_start_method()
        self._forked = method == "forkserver"
        self._config = dask.config.set({"temporary-directory": self._scratch, **LOCAL_CLUSTER_CONFIG,
                                        "distributed.worker.multiprocessing-method": method})
        # no dashboard; the scheduler's HTTP server, which Dask starts anyway, on a free local port: on 8787, taken by
        # any other Dask cluster or build running on the machine, Dask would print a warning and pick another
        return LocalCluster(n_workers=self.spec.workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                            silence_logs=logging.ERROR, env=env)

    @property
    def started(self) -> bool:
        return self._client is not None

    def capacity(self) -> int:
        """Tasks worth keeping in flight: every worker thread busy plus one queued each, so no worker waits for
        the coordinator between two tasks."""
        if not self.started:
            return 1  # the first submission starts the cluster; then the real figure is known
        return 2 * max(self._threads, self.spec.workers if not self.spec.scheduler else 1)

    def in_flight(self) -> int:
        return len(self._owners)

    def submit(self, owner: Any, function: Callable[..., Any], *args: Any) -> None:
        while not self.ready():
            self._join_starter(None)
        future = self._client.submit(timed, function, *args, pure=False)
        self._owners[future] = owner
        self._completed.add(future)

    def next_done(self) -> tuple[Any, Any, BaseException | None, float | None]:
        """Block until a task finishes: (owner, its return value, or the exception that ended it, and the seconds
        it ran on its worker if it returned)."""
        future = next(self._completed)
        owner = self._owners.pop(future)
        try:
            seconds, value = future.result()
        except Exception as exc:  # KilledWorker, a lost scheduler, an error outside the action
            return owner, None, exc, None
        return owner, value, None, seconds

    def cancel(self) -> None:
        if self._owners and self._client is not None:
            self._client.cancel(list(self._owners), force=True)
        self._owners.clear()

    def close(self, interrupted: bool = False) -> None:
        """Stop what this pool started (never an external scheduler or its workers). ``interrupted``: the process
        ends next without Python's exit handlers (``signals.exit_after_interrupt``), so the fork server's socket
        folder, which multiprocessing removes only in those handlers, is removed here; and a cluster still starting
        is waited for only so long (see ``STOP_PATIENCE_S``)."""
        if self._starter is not None:  # once up, a starting cluster is stopped
            if not self._join_starter(STOP_PATIENCE_S if interrupted else START_PATIENCE_S):
                self._remove_scratch(interrupted)  # stuck: it is left to the process's exit
                return
            self._starter = None
        self.cancel()
        for closable in (self._client, self._cluster):
            if closable is not None:
                try:
                    closable.close()
                except Exception as exc:  # closing must not hide the run's own outcome
                    logging.getLogger(__name__).debug("closing %s: %s", closable, exc)
        self._client = self._cluster = None
        if self._config is not None:
            self._config.__exit__(None, None, None)
            self._config = None
        self._remove_scratch(interrupted)

    def _remove_scratch(self, interrupted: bool) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        if interrupted and self._forked:
            from multiprocessing.util import get_temp_dir

            shutil.rmtree(get_temp_dir(), ignore_errors=True)
