"""doit's runners, fenced: every use of doit's runner internals, checked by ``tests/build/test_doit_contract.py``.

* Tolerant aggregates: ``ExecNode.parent_status`` is wrapped so that the registry and the report run after a failed
  story (doit has no "order-only" dependency).
* Parallel runs (``doit -n N``): ``MRunner.run_tasks``, ``_run_start_processes`` and ``get_next_job`` are wrapped
  (the jobs count for the media code, BLAS threads, one preload of OpenCV before forking).
* ``doit -n N -P dask``: the heavy actions run on Dask workers; doit's main process still decides and records.
  doit 0.37 checks every task (``Runner.select_task``) and records every result (``process_task_result``) in its
  main process; ``MRunner`` only hands ``Task.execute`` to its workers. ``DaskRunner`` keeps that split: it drives
  ``TaskDispatcher.generator`` through ``MRunner.get_next_job`` as doit's own runner does, sends the media tasks
  (``sample``, ``video``, ``thumbnails``: seconds of CPU each) to Dask, and runs the JSON tasks, the registry and
  the report in place (a Dask round trip costs more than they do). Up-to-date checks, the stamp, ``plan`` and
  ``clean orphans`` therefore work exactly as with ``doit -n N``. doit hard-codes its runner classes in
  ``Run._execute`` (through the module global ``doit.cmd_run.MRunner``), so this module's ``Run`` command
  (registered as the project's ``run`` command in ``doit.cfg``, and by ``storyexport build``) adds ``-P dask``,
  ``--scheduler`` and the store's options, and swaps the runner class for the run.

doit's database and how doit was invoked are the other fenced module, ``doit_internals``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket
from collections.abc import Iterator
from typing import Any

import doit.cmd_run
from doit.cmd_run import Run as DoitRun
from doit.control import ExecNode
from doit.exceptions import InvalidCommand, TaskError, TaskFailed
from doit.runner import JobHold, JobTask, JobTaskPickle, MRunner

from storyexport.build.dask_pool import ClusterSpec, DaskSetupError, RemotePool, one_line, require_dask
from storyexport.environment import BLAS_ENV, JOBS_ENV
from storyexport.store.settings import CACHED_ATTR, STORE_ENV

_originals: dict[str, Any] = {}  # the doit methods ``install`` wrapped, as doit defined them

# -- tolerant aggregates -------------------------------------------------------------------------------------------
AFTER_FAILURES = "storyexport_after_failures"  # in a task's ``meta``: its task_dep are order-only


def _parent_status(self: Any, parent_node: Any) -> None:
    """doit (with ``--continue``) marks every dependent of a failed task "UnmetDependency"; right for a story's
    chain, wrong for the aggregates: one bad story must not stop the registry and report of all the others."""
    if parent_node.run_status == "failure" and (self.task.meta or {}).get(AFTER_FAILURES):
        return
    _originals["parent_status"](self, parent_node)


# -- parallel runs ---------------------------------------------------------------------------------------------------


def _run_tasks(self: Any, task_dispatcher: Any) -> Any:
    """Tell tasks how many jobs run at once (``STORYEXPORT_JOBS``: a thumbnail set splits its frame extraction
    only over its share of the cores) and keep numpy's OpenBLAS from spinning a thread per core; restore both after
    (a build may run inside a longer-lived program, see ``BatchExporter``)."""
    saved = {name: os.environ.get(name) for name in (JOBS_ENV, BLAS_ENV)}
    os.environ[JOBS_ENV] = str(max(1, int(self.num_process)))
    os.environ.setdefault(BLAS_ENV, "1")
    try:
        return _originals["run_tasks"](self, task_dispatcher)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_start_processes(self: Any, job_q: Any, result_q: Any) -> Any:
    """doit takes one job per worker, then starts that worker: the jobs taken here decide whether to preload."""
    self._storyexport_preload = multiprocessing.get_start_method() == "fork"
    try:
        return _originals["_run_start_processes"](self, job_q, result_q)
    finally:
        self._storyexport_preload = False


def _get_next_job(self: Any, completed: Any) -> Any:
    """Only a task with actions makes forked workers worth preparing (numpy and OpenCV imported once, before the
    fork, instead of once per worker), so a no-op never imports OpenCV."""
    job = _originals["get_next_job"](self, completed)
    if getattr(self, "_storyexport_preload", False) and isinstance(job, JobTask | JobTaskPickle) \
            and self.tasks[job.name].actions:
        from storyexport.build import actions

        actions.preload()
        self._storyexport_preload = False
    return job


def install() -> None:
    """Idempotent. Only methods are wrapped, never ``MRunner.Child``: doit's workers compare it with ``Process``
    to decide how to report. The serial runner is left alone (one job: the media layer's default)."""
    for owner, name, wrapper in ((ExecNode, "parent_status", _parent_status), (MRunner, "run_tasks", _run_tasks),
                                 (MRunner, "_run_start_processes", _run_start_processes),
                                 (MRunner, "get_next_job", _get_next_job)):
        _originals.setdefault(name, getattr(owner, name))
        setattr(owner, name, wrapper)


@contextlib.contextmanager
def parallel_runner_class(runner: type) -> Iterator[None]:
    """``Run._execute`` instantiates ``doit.cmd_run.MRunner`` for ``-P process``: the Dask runner takes its place
    for one run."""
    original = doit.cmd_run.MRunner
    doit.cmd_run.MRunner = runner
    try:
        yield
    finally:
        doit.cmd_run.MRunner = original


# -- -P dask ---------------------------------------------------------------------------------------------------------
DASK = "dask"
PLUGIN = "storyexport.build.doit_runner:Run"  # the value of ``run`` under ``[COMMAND]`` in doit.cfg
REMOTE_KINDS = frozenset({"sample", "video", "thumbnails"})
SCHEDULER_ENV = "STORYEXPORT_SCHEDULER"

opt_scheduler = {
    "name": "scheduler",
    "short": "",
    "long": "scheduler",
    "type": str,
    "default": "",
    "help": "with -P dask: the address (tcp://HOST:PORT) of a running 'dask scheduler'; without it an embedded "
            "LocalCluster of -n worker processes runs the tasks [default: $STORYEXPORT_SCHEDULER or none]",
}

opt_min_workers = {
    "name": "min_workers",
    "short": "",
    "long": "min-workers",
    "type": int,
    "default": 0,
    "help": "with -P dask: send no task before this many Dask workers are connected (waits up to 10 minutes for "
            "a scheduler's workers); with the local cluster, doit's process then runs no media task itself while "
            "the cluster starts [default: 0, dispatch at once]",
}


opt_store = {
    "name": "store",
    "short": "",
    "long": "store",
    "type": str,
    "default": "",
    "help": "shared store and action cache (file:///path, s3://bucket/prefix) [default: $STORYEXPORT_STORE]; "
            "with -P dask, workers then need no shared file system (docs/store.md)",
}
opt_store_read_only = {
    "name": "store_read_only",
    "short": "",
    "long": "store-read-only",
    "type": bool,
    "default": False,
    "help": "read the store, never write it (untrusted builds such as pull requests)",
}
opt_shard = {
    "name": "shard",
    "short": "",
    "long": "shard",
    "type": str,
    "default": "",
    "help": "build only the story tasks of shard i of N (e.g. 2/4; stable by story id; needs --store)",
}


def runs_remotely(task: Any) -> bool:
    return task.name.partition(":")[0] in REMOTE_KINDS and bool(task.actions)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def execute_remotely(task: Any, stream: Any, coordinator: dict[str, str], project_dir: str) -> dict[str, Any]:
    """Runs on a Dask worker: refuse a coordinator of another build of the tools, else run the task's actions in
    the project folder and return what doit's main process records."""
    from storyexport.store.action_cache import tool_mismatch

    mismatch = tool_mismatch(coordinator)
    if mismatch:
        return {"refused": f"Dask worker {_worker_name()}: {mismatch}"}
    if os.getcwd() != project_dir:
        if not os.path.isdir(project_dir):
            return {"failure": TaskError(f"worker {_worker_name()} cannot see the project folder {project_dir} "
                                         "(run the workers on a shared file system)")}
        os.chdir(project_dir)  # task paths are relative to the project, as in doit's own workers
    failure = task.execute(stream)
    # what doit's own workers send back (``MRunner.execute_task_subprocess``): the task's state carries its values,
    # its result, and what the store's action wrapper noted on it (restored from the cache or not)
    return {"failure": failure, "task": task.pickle_safe_dict(),
            "out": [action.out for action in task.actions], "err": [action.err for action in task.actions]}


def hermetic_spec(task: Any) -> tuple[Any, str] | None:
    """(action spec, store URL) when ``task`` goes through a writable store: a worker then runs it in a scratch
    folder of its own, from inputs fetched by digest, and needs no access to the project. A read-only store
    (untrusted builds) cannot take a worker's outputs: such tasks run in the shared project folder."""
    if not os.environ.get(STORE_ENV):
        return None  # no store: the store stack is not even imported
    from storyexport.store.remote import spec_of

    found = spec_of(task)
    return (found[0], found[1]) if found is not None and not found[2] else None


class DaskRunner(MRunner):
    """``MRunner`` whose jobs go to Dask (media) or run in place (everything else). ``cluster`` is set per run."""

    cluster = ClusterSpec()

    def run_tasks(self, task_dispatcher: Any) -> None:
        self._run_tasks_init(task_dispatcher)
        self._versions: dict[str, str] | None = None
        self._hermetic: dict[str, str] = {}  # task name -> store URL, for the tasks running hermetically
        pool = RemotePool(self.cluster)
        interrupted = False
        try:
            self._dispatch(pool)
            pool.settle()
        except DaskSetupError as exc:
            raise InvalidCommand(str(exc)) from None
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            pool.close(interrupted)

    def _dispatch(self, pool: RemotePool) -> None:
        completed = None
        exhausted = False
        while True:
            while not exhausted and pool.in_flight() < pool.capacity():
                job = self.get_next_job(completed)
                completed = None
                if job is None:
                    exhausted = True
                elif isinstance(job, JobHold):
                    self.free_proc = 0  # nothing runnable until a task in flight finishes
                    break
                else:
                    node = self.task_dispatcher.nodes[job.name]
                    if not runs_remotely(node.task):
                        self.process_task_result(node, self.execute_task(node.task))
                    elif self._start_remotely(pool, node):
                        continue
                    completed = node  # it finished here: doit may release its dependents at once
            if not pool.in_flight():
                return
            node, outcome, error, seconds = pool.next_done()
            ran_for = getattr(self.reporter, "ran_for", None)  # storyexport's reporter: the worker's own time
            if seconds is not None and ran_for is not None:
                ran_for(node.task, seconds)
            self._record(pool, node, outcome, error)
            completed = node

    def _tools(self) -> dict[str, str]:
        if self._versions is None:
            from storyexport.store.action_cache import tool_versions

            self._versions = tool_versions()
        return self._versions

    def _start_remotely(self, pool: RemotePool, node: Any) -> bool:
        """A media task: sent to Dask (True); or finished here (False): restored from the store (a hit, which needs
        no cluster), or run here while the local cluster is still starting (in the background)."""
        task = node.task
        hermetic = hermetic_spec(task)
        self.reporter.execute_task(task)
        staged = None
        if hermetic is not None:
            staged = self._restore_or_stage(node, *hermetic)
            if staged is None:
                return False
        if not pool.ready():
            self.process_task_result(node, task.execute(self.stream))
            return False
        if hermetic is None:
            pool.submit(node, execute_remotely, task, self.stream, self._tools(), os.getcwd())
        else:
            from storyexport.store.remote import run_hermetic

            spec, url = hermetic
            pool.submit(node, run_hermetic, spec.to_dict(), staged, url, None, self._tools())
            self._hermetic[task.name] = url
        return True

    def _restore_or_stage(self, node: Any, spec: Any, url: str) -> dict[str, str] | None:
        """The digests of the task's inputs, uploaded for a worker to fetch (a cache miss); or None when the task
        finished here: its outputs and values restored from the cache, or the store failed (one line)."""
        from storyexport.build.generated import NotGeneratedError
        from storyexport.store.cas import StoreError
        from storyexport.store.remote import restore_or_stage

        try:
            entry, inputs = restore_or_stage(spec, url)
        except NotGeneratedError as exc:  # the user's own file where a sample clip would be restored
            self.process_task_result(node, TaskFailed(str(exc)))
            return None
        except (StoreError, OSError) as exc:
            self.process_task_result(node, TaskFailed(f"store {url}: {one_line(exc)}"))
            return None
        if entry is not None:
            self._adopt_entry(node.task, entry)
            self.process_task_result(node, None)
            return None
        return inputs

    @staticmethod
    def _adopt_entry(task: Any, entry: Any) -> None:
        task.executed = True
        task.values.update(entry.values)
        task.result = entry.result
        setattr(task, CACHED_ATTR, True)

    def _record(self, pool: RemotePool, node: Any, outcome: dict[str, Any] | None, error: BaseException | None,
                ) -> None:
        task = node.task
        refused = outcome.get("refused") if outcome else None
        if error is not None and type(error).__name__ == "VersionMismatch":  # from the store's run_hermetic
            refused = "a Dask worker: " + " ".join(str(error).split())
        if refused:
            pool.cancel()  # nothing more may run on a mixed cluster
            self._handle_task_error(node, TaskError(refused))
            self._stop_running = True
        elif error is not None:
            self.process_task_result(node, TaskError(f"Dask: {one_line(error)}"))
        elif task.name in self._hermetic:
            from storyexport.store.remote import adopt

            assert outcome is not None  # the pool reports an outcome or an error, never neither
            task.executed = True
            self.process_task_result(node, adopt(task, outcome, self._hermetic.pop(task.name)))
        else:
            self._process_result(node, task, outcome)  # doit's own: the worker's task state, out, err, record


class Run(DoitRun):
    """doit's ``run`` command plus ``-P dask``, ``--scheduler`` and the store's ``--store``, ``--store-read-only``
    and ``--shard`` (each also settable in doit's configuration: ``[run]`` ``par_type = dask`` / ``scheduler =
    tcp://HOST:PORT`` in doit.cfg, or ``DOIT_CONFIG``)."""

    cmd_options = (*DoitRun.cmd_options, opt_scheduler, opt_min_workers, opt_store, opt_store_read_only, opt_shard)

    def execute(self, params: Any, args: Any) -> Any:
        """The store options reach the task graph (built when doit loads the dodo file, next) and every worker
        process through the environment, as ``storyexport build --store`` passes them."""
        from storyexport.store import settings

        try:
            chosen = settings.overridden(params.get("store"), params.get("store_read_only") or None,
                                         params.get("shard"))
        except settings.StoreSettingsError as exc:
            raise InvalidCommand(str(exc)) from None
        settings.apply(chosen)
        return super().execute(params, args)

    def _execute(self, outfile: Any, verbosity: Any = None, always: bool = False, continue_: bool = False,
                 reporter: Any = "console", num_process: int = 0, par_type: str = "process", single: bool = False,
                 auto_delayed_regex: bool = False, force_verbosity: bool = False, failure_verbosity: int = 0,
                 pdb: bool = False, scheduler: str = "", min_workers: int = 0) -> Any:
        options = {"verbosity": verbosity, "always": always, "continue_": continue_, "reporter": reporter,
                   "single": single, "auto_delayed_regex": auto_delayed_regex, "force_verbosity": force_verbosity,
                   "failure_verbosity": failure_verbosity, "pdb": pdb}
        if par_type != DASK:
            return super()._execute(outfile, num_process=num_process, par_type=par_type, **options)
        try:
            require_dask()
        except DaskSetupError as exc:
            raise InvalidCommand(str(exc)) from None
        workers = int(num_process) or os.cpu_count() or 1
        spec = ClusterSpec(scheduler=scheduler or os.environ.get(SCHEDULER_ENV, ""), workers=workers,
                           min_workers=int(min_workers))
        problem = spec.problem()
        if problem:
            raise InvalidCommand(problem)
        runner = type("DaskRunner", (DaskRunner,), {"cluster": spec})
        with parallel_runner_class(runner):
            return super()._execute(outfile, num_process=workers, par_type="process", **options)
