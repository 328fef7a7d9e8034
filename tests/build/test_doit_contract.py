"""Contract of the doit internals storyexport relies on (``build/doit_internals.py`` and ``build/doit_runner.py``).

Each test states one assumption about doit 0.37 and checks it against the installed doit, by reading its code
objects or by driving the real thing. A doit upgrade that breaks an assumption fails here, by name, instead of
silently changing what a build does.
"""

from __future__ import annotations

import inspect
import json
import re
import tomllib
from pathlib import Path

import doit
import doit.cmd_run
from doit.cmd_base import DoitCmdBase
from doit.cmdparse import DefaultUpdate
from doit.control import ExecNode, TaskControl
from doit.dependency import Dependency, JsonDB
from doit.doit_cmd import DoitMain
from doit.runner import JobHold, JobTask, JobTaskPickle, MRunner, Runner
from doit.task import Stream, Task

from storyexport.build import doit_internals, doit_runner
from storyexport.build.runner import RUN_PLUGIN

REPO = Path(__file__).resolve().parents[2]


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_doit_is_the_pinned_minor_version() -> None:
    pin = next(d for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
               if d.startswith("doit"))
    assert pin == "doit>=0.37,<0.38"
    version = ".".join(str(part) for part in doit.__version__)
    assert re.fullmatch(r"0\.37\.\d+", version), version


def test_the_wrapped_methods_exist_with_the_signatures_the_wrappers_take() -> None:
    assert parameters(ExecNode.parent_status) == ["self", "parent_node"]
    assert parameters(MRunner.run_tasks) == ["self", "task_dispatcher"]
    assert parameters(MRunner._run_start_processes) == ["self", "job_q", "result_q"]
    assert parameters(MRunner.get_next_job) == ["self", "completed"]
    doit_runner.install()
    doit_runner.install()  # idempotent: the originals stay doit's own
    assert doit_runner._originals["get_next_job"].__module__ == "doit.runner"
    assert doit_runner._originals["parent_status"].__module__ == "doit.control"
    assert MRunner.get_next_job is doit_runner._get_next_job


def test_run_picks_its_parallel_runner_through_the_module_global_mrunner() -> None:
    assert "MRunner" in doit.cmd_run.Run._execute.__code__.co_names
    assert doit.cmd_run.MRunner is MRunner
    with doit_runner.parallel_runner_class(doit_runner.DaskRunner):
        assert doit.cmd_run.MRunner is doit_runner.DaskRunner
    assert doit.cmd_run.MRunner is MRunner


def test_the_run_plugin_overrides_every_parameter_of_doits_run() -> None:
    assert parameters(doit_runner.Run._execute) == [*parameters(doit.cmd_run.Run._execute), "scheduler",
                                                    "min_workers"]
    assert [o["name"] for o in doit_runner.Run.cmd_options][:-5] == [o["name"] for o in doit.cmd_run.Run.cmd_options]
    assert parameters(doit_runner.Run.execute) == parameters(DoitCmdBase.execute) == ["self", "params", "args"]
    assert doit_runner.Run.get_name() == "run"


def test_the_project_config_and_storyexport_build_register_the_plugin_as_run() -> None:
    for main in (DoitMain(config_filenames=[str(REPO / "doit.cfg")]), DoitMain(extra_config=RUN_PLUGIN,
                                                                                config_filenames=())):
        assert main.get_cmds().get_plugin("run") is doit_runner.Run
    assert RUN_PLUGIN["COMMAND"]["run"] == doit_runner.PLUGIN


def test_the_invocation_is_read_from_doit_cmd_base_execute_locals() -> None:
    names = DoitCmdBase.execute.__code__.co_varnames
    assert {"self", "params", "args"} <= set(names)
    params = DefaultUpdate()
    params.set_default("num_process", 0)
    params["num_process"] = 4
    assert params._non_default_keys == {"num_process"}


def test_the_runner_protocol_used_by_the_dask_runner() -> None:
    """MRunner's helpers keep their names and signatures, and doit's jobs and tasks carry what is sent to workers."""
    assert parameters(MRunner._process_result) == ["self", "node", "task", "result"]
    assert {"update_from_pickle", "pickle_safe_dict"} <= set(vars(Task))
    for name, expected in (("_run_tasks_init", ["self", "task_dispatcher"]), ("select_task", ["self", "node",
                           "tasks_dict"]), ("execute_task", ["self", "task"]), ("process_task_result",
                           ["self", "node", "base_fail"]), ("_handle_task_error", ["self", "node", "base_fail"])):
        assert parameters(getattr(MRunner, name)) == expected, name
    assert issubclass(MRunner, Runner) and {"_stop_running", "final_result"} <= set(vars(Runner(None, None)))
    assert all(hasattr(job, "type") for job in (JobHold, JobTask, JobTaskPickle))
    assert parameters(Task.execute) == ["self", "stream"]
    task = Task("t", [(_action, [])])
    assert {"uptodate", "value_savers"} <= set(task.__getstate__()) and task.__getstate__()["uptodate"] is None
    assert task.execute(Stream(0)) is None and task.values == {"mode": "copy"} and task.result == {"mode": "copy"}


def test_the_dispatcher_generator_protocol(tmp_path: Path) -> None:
    """``send(None)`` yields a runnable node; a dependent yields "hold on" while its dependency is out; sending
    the finished node releases the dependent; ``StopIteration`` once all are done."""
    tasks = [Task("first", [(_action, [])]), Task("second", [(_action, [])], task_dep=["first"])]
    control = TaskControl(tasks)
    control.process(["second"])
    dispatcher = control.task_dispatcher()
    runner = MRunner(Dependency(JsonDB, str(tmp_path / "db.json")), _Silent(), continue_=True)
    runner._run_tasks_init(dispatcher)
    first = dispatcher.generator.send(None)
    assert first.task.name == "first" and runner.select_task(first, dispatcher.tasks)
    assert dispatcher.generator.send(None) == "hold on"
    runner.process_task_result(first, runner.execute_task(first.task))  # records it; run_status "successful"
    second = dispatcher.generator.send(first)
    assert second.task.name == "second"
    try:
        dispatcher.generator.send(second)
        raise AssertionError("the generator should be exhausted")
    except StopIteration:
        pass


def test_the_json_database_keeps_values_under_the_values_key(tmp_path: Path) -> None:
    dep_file = tmp_path / "db.json"
    dependency = Dependency(JsonDB, str(dep_file))
    task = Task("video:x", [(_action, [])])
    task.values = {"mode": "copy"}
    dependency.save_success(task)
    dependency.close()
    assert json.loads(dep_file.read_text())["video:x"][doit_internals.VALUES_KEY] == {"mode": "copy"}
    assert doit_internals.recorded_values(dep_file) == {"video:x": {"mode": "copy"}}


def _action() -> dict[str, str]:
    return {"mode": "copy"}


class _Silent:
    """A reporter that reports nothing (doit calls these hooks)."""

    def __getattr__(self, name: str) -> object:
        return lambda *args, **kwargs: None


def test_the_task_and_checker_api_used_outside_the_fence() -> None:
    """Documented extension points the rest of storyexport uses: a checker class (``checker.py``), ``uptodate``
    objects that add value savers (``uptodate.py``, ``caching.py``), a task's python action and its arguments
    (``store/remote.py``)."""
    from doit.action import PythonAction
    from doit.dependency import MD5Checker

    assert parameters(MD5Checker.check_modified) == ["self", "file_path", "file_stat", "state"]
    assert parameters(MD5Checker.get_state) == ["self", "dep", "current_state"]
    task = Task("t", [(_action, ["a"], {"b": 1})])
    assert isinstance(task.value_savers, list)
    action = task.actions[0]
    assert isinstance(action, PythonAction) and action.py_callable is _action and action.args == ["a"]
