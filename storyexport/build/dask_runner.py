"""``doit -n N -P dask``: the heavy actions run on Dask workers; doit's main process still decides and records.

doit 0.37 checks every task (``Runner.select_task``) and records every result (``process_task_result``) in its main
process; ``MRunner`` only hands ``Task.execute`` to its workers. ``DaskRunner`` keeps that split: it drives
``TaskDispatcher.generator`` through ``MRunner.get_next_job`` as doit's own runner does, sends the media tasks
(``sample``, ``video``, ``thumbnails``: seconds of CPU each) to Dask, and runs the JSON tasks, the registry and the
report in place (a Dask round trip costs more than they do). Up-to-date checks, the stamp, ``plan`` and
``clean orphans`` therefore work exactly as with ``doit -n N``.

doit hard-codes its runner classes in ``Run._execute``, so this module's ``Run`` command (registered as the
project's ``run`` command in ``doit.cfg``, and by ``storyexport build``) adds ``-P dask`` and ``--scheduler`` and
swaps the runner class for the run. This module and ``doit_internals`` are the only code relying on doit's
internals; ``tests/build/test_doit_contract.py`` fails loudly when an upgrade moves them.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from doit.cmd_run import Run as DoitRun
from doit.exceptions import InvalidCommand, TaskError
from doit.runner import JobHold, MRunner

from storyexport.build import doit_internals
from storyexport.build.dask_pool import ClusterSpec, DaskSetupError, RemotePool, one_line, require_dask

DASK = "dask"
PLUGIN = "storyexport.build.dask_runner:Run"  # the value of ``run`` under ``[COMMAND]`` in doit.cfg
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


def runs_remotely(task: Any) -> bool:
    return task.name.partition(":")[0] in REMOTE_KINDS and bool(task.actions)


def tool_versions() -> dict[str, str]:
    """What must match between the coordinator and every worker: outputs depend on both."""
    from storyexport import __version__
    from storyexport.media.ffmpeg import ffmpeg_build

    return {"storyexport": __version__, "ffmpeg": ffmpeg_build()}


def describe(versions: dict[str, str]) -> str:
    return f"storyexport {versions.get('storyexport')} with ffmpeg {versions.get('ffmpeg')}"


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def execute_remotely(task: Any, stream: Any, coordinator: dict[str, str], project_dir: str) -> dict[str, Any]:
    """Runs on a Dask worker: refuse a coordinator of another build of the tools, else run the task's actions in
    the project folder and return what doit's main process records."""
    mine = tool_versions()
    if mine != coordinator:
        return {"refused": f"worker {_worker_name()} runs {describe(mine)}, this build runs {describe(coordinator)}: "
                           "install the same versions everywhere"}
    if os.getcwd() != project_dir:
        if not os.path.isdir(project_dir):
            return {"failure": TaskError(f"worker {_worker_name()} cannot see the project folder {project_dir} "
                                         "(run the workers on a shared file system)")}
        os.chdir(project_dir)  # task paths are relative to the project, as in doit's own workers
    failure = task.execute(stream)
    return {"failure": failure, "values": task.values, "result": task.result,
            "out": [action.out for action in task.actions], "err": [action.err for action in task.actions]}


class DaskRunner(MRunner):
    """``MRunner`` whose jobs go to Dask (media) or run in place (everything else). ``cluster`` is set per run."""

    cluster = ClusterSpec()

    def run_tasks(self, task_dispatcher: Any) -> None:
        self._run_tasks_init(task_dispatcher)
        self._versions: dict[str, str] | None = None
        pool = RemotePool(self.cluster)
        try:
            self._dispatch(pool)
        except DaskSetupError as exc:
            raise InvalidCommand(str(exc)) from None
        finally:
            pool.close()

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
                    if runs_remotely(node.task):
                        self._submit(pool, node)
                    else:
                        self.process_task_result(node, self.execute_task(node.task))
                        completed = node
            if not pool.in_flight():
                return
            node, outcome, error = pool.next_done()
            self._record(pool, node, outcome, error)
            completed = node

    def _submit(self, pool: RemotePool, node: Any) -> None:
        if self._versions is None:
            self._versions = tool_versions()
        task = node.task
        pool.submit(node, execute_remotely, task, self.stream, self._versions, os.getcwd())
        self.reporter.execute_task(task)

    def _record(self, pool: RemotePool, node: Any, outcome: dict[str, Any] | None, error: BaseException | None,
                ) -> None:
        task = node.task
        if error is not None:
            self.process_task_result(node, TaskError(f"Dask: {one_line(error)}"))
            return
        assert outcome is not None
        if "refused" in outcome:
            pool.cancel()  # nothing more may run on a mixed cluster
            self._handle_task_error(node, TaskError(outcome["refused"]))
            self._stop_running = True
            return
        task.executed = True
        if outcome["failure"] is None:
            task.values.update(outcome["values"])
            task.result = outcome["result"]
            for action, out, err in zip(task.actions, outcome["out"], outcome["err"], strict=False):
                action.out, action.err = out, err
        self.process_task_result(node, outcome["failure"])


class Run(DoitRun):
    """doit's ``run`` command plus ``-P dask`` and ``--scheduler`` (also settable in doit's configuration:
    ``[run]`` ``par_type = dask`` / ``scheduler = tcp://HOST:PORT`` in doit.cfg, or ``DOIT_CONFIG``)."""

    cmd_options = (*DoitRun.cmd_options, opt_scheduler)

    def _execute(self, outfile: Any, verbosity: Any = None, always: bool = False, continue_: bool = False,
                 reporter: Any = "console", num_process: int = 0, par_type: str = "process", single: bool = False,
                 auto_delayed_regex: bool = False, force_verbosity: bool = False, failure_verbosity: int = 0,
                 pdb: bool = False, scheduler: str = "") -> Any:
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
        spec = ClusterSpec(scheduler=scheduler or os.environ.get(SCHEDULER_ENV, ""), workers=workers)
        runner = type("DaskRunner", (DaskRunner,), {"cluster": spec})
        with doit_internals.parallel_runner_class(runner):
            return super()._execute(outfile, num_process=workers, par_type="process", **options)
