"""The doit reporter: keeps the run's state, shows it through a renderer and tells the run listeners.

doit calls these hooks in the main process (also under ``-n``). Group tasks (no actions) are not counted. How the
progress looks is a renderer's job (:mod:`storyexport.build.renderers`: bar, plain, jsonl, quiet); what else a run
does when a task finishes or the run ends is the listeners' (:mod:`storyexport.build.listeners`: build events in
the registry, failed checks for the summary, the hash caches, the up-to-date stamp).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from doit.exceptions import CatchedException, UnmetDependency

from storyexport.build import doit_internals
from storyexport.build.doit_types import BuildEvent, DoitTask, RunSummary
from storyexport.build.listeners import (
    BuildEvents,
    CacheFlusher,
    CheckFailures,
    EventCallback,
    RunListener,
    split_task_name,
)
from storyexport.build.renderers import MODES, STAMP_NOTE, Renderer, renderer_for
from storyexport.build.run_state import RunState, TaskOutcome
from storyexport.store.settings import CACHED_ATTR

__all__ = ["MODES", "STAMP_NOTE", "BuildReporter", "RunState", "TaskOutcome", "split_task_name"]


def _first_line(fail: CatchedException) -> str:
    """doit's failure text reduced to its one meaningful line."""
    message = getattr(fail, "message", None) or (fail.get_msg() if hasattr(fail, "get_msg") else str(fail))
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    line = lines[-1] if lines else type(fail).__name__
    if "checking dependencies: " in line:  # doit: "ERROR: Task 'x' checking dependencies: Dependent file ..."
        line = line.split("checking dependencies: ", 1)[1]
    return line


class BuildReporter:
    """A doit reporter (pass an instance in DOIT_CONFIG['reporter']).

    ``mode`` picks the renderer; ``events_db`` adds the build-events listener, ``listener`` a callback for every
    event; the hash caches are always saved at the end. More listeners (the stamp's) go in :attr:`listeners`,
    which are told in their order."""

    desc = "storyexport progress"

    def __init__(self, outstream: TextIO | None = None, options: Mapping[str, object] | None = None, *,
                 mode: str = "auto", events_db: Path | None = None,
                 listener: Callable[[BuildEvent], object] | None = None):
        self.renderer: Renderer = renderer_for(mode, outstream or sys.stdout)
        self.state = RunState()
        self._tasks: Mapping[str, DoitTask] = {}
        self.listeners: list[RunListener] = [CheckFailures(), CacheFlusher()]
        if events_db is not None:
            self.listeners.append(BuildEvents(events_db, self.renderer.line))
        if listener is not None:
            self.listeners.append(EventCallback(listener))

    # doit hooks -----------------------------------------------------------------------------------------------
    def initialize(self, tasks: Mapping[str, DoitTask], selected_tasks: list[str]) -> None:
        self._tasks = tasks
        self.state = RunState(total=len(self._closure(tasks, selected_tasks)))
        self._emit({"event": "begin", "total": self.state.total})

    def get_status(self, task: DoitTask) -> None:
        doit_internals.before_task(task)

    def execute_task(self, task: DoitTask) -> None:
        if task.actions:
            self.state.running[task.name] = time.monotonic()
            self._emit({"event": "start", "task": task.name})

    def ran_for(self, task: DoitTask, seconds: float) -> None:
        """A task that ran elsewhere (``-P dask``) took ``seconds`` there: its wait in a queue is not its own time."""
        if task.name in self.state.running:
            self.state.running[task.name] = time.monotonic() - seconds

    def add_success(self, task: DoitTask) -> None:
        doit_internals.checkpoint(task.name)
        if task.actions:
            self._finish(task, True, None, cached=bool(getattr(task, CACHED_ATTR, False)))

    def add_failure(self, task: DoitTask, fail: CatchedException) -> None:
        if isinstance(fail, UnmetDependency):
            if task.actions:
                self.state.done += 1
                self.state.blocked.append((task.name, str(fail.message or "")))
                self._emit({"event": "blocked", "task": task.name, "reason": f"upstream failed: {fail.message}"})
        elif task.actions or task.name in self.state.running:
            self._finish(task, False, doit_internals.failure_reason(fail) or _first_line(fail))
        doit_internals.checkpoint(task.name)

    def skip_uptodate(self, task: DoitTask) -> None:
        if task.actions:
            self.state.done += 1
            self._emit({"event": "skip", "task": task.name})

    def skip_ignore(self, task: DoitTask) -> None:
        self.state.ignored += 1
        self.skip_uptodate(task)

    def cleanup_error(self, exception: CatchedException) -> None:
        self.renderer.line(f"cleanup error: {_first_line(exception)}")

    def runtime_error(self, msg: str) -> None:
        self.state.errors += 1
        self.renderer.line(f"error: {msg}")

    def teardown_task(self, task: DoitTask) -> None:
        pass

    def complete_run(self) -> None:
        state = self.state
        self.renderer.clear()
        summary: RunSummary = {
            "event": "summary", "total": state.total, "executed": state.executed, "cached": state.cached,
            "failed": [{"task": o.task, "reason": o.reason} for o in state.failures()],
            "check_failures": [{"task": t, "check": c} for t, c in state.check_failures],
            "blocked": [{"task": t, "upstream": u} for t, u in state.blocked],
            "elapsed_s": round(state.elapsed(), 3), "from_stamp": state.from_stamp}
        self.renderer.summary(state, summary)
        for listener in self.listeners:
            listener.run_complete(state)

    def report_up_to_date(self, names: list[str]) -> None:
        """What a run that finds every task up to date reports, for an answer from the stamp (doit did not run)."""
        self.state = RunState(total=len(names), from_stamp=True)
        self._emit({"event": "begin", "total": self.state.total})
        if self.renderer.every_skip or any(isinstance(listener, EventCallback) for listener in self.listeners):
            for name in names:
                self.state.done += 1
                self._emit({"event": "skip", "task": name})
        else:
            self.state.done = self.state.total
        self.complete_run()

    # internals ------------------------------------------------------------------------------------------------
    def _closure(self, tasks: Mapping[str, DoitTask], selected: list[str]) -> set[str]:
        """Tasks with actions reachable from the selection (doit turns file_dep on a target into task_dep)."""
        seen: set[str] = set()
        stack = list(selected)
        while stack:
            name = stack.pop()
            if name in seen or name not in tasks:
                continue
            seen.add(name)
            stack.extend(tasks[name].task_dep)
        return {name for name in seen if tasks[name].actions}

    def _finish(self, task: DoitTask, success: bool, reason: str | None, cached: bool = False) -> None:
        started = self.state.running.pop(task.name, None)
        now = time.monotonic()
        duration = now - started if started is not None else 0.0
        self.state.done += 1
        self.state.executed += 1
        self.state.cached += cached
        self.state.outcomes.append(TaskOutcome(task.name, success, duration, reason))
        event: BuildEvent = {"event": "success" if success else "failure", "task": task.name,
                             "duration_s": round(duration, 3), "reason": reason}
        self._emit({**event, "cached": True} if cached else event)
        for listener in self.listeners:
            listener.task_finished(task, self.state, time.time() - duration, duration, success, reason)

    def _emit(self, event: BuildEvent) -> None:
        state = self.state
        event = {**event, "done": state.done, "total": state.total, "elapsed_s": round(state.elapsed(), 3)}
        for listener in self.listeners:
            listener.event(event)
        self.renderer.event(state, event)
