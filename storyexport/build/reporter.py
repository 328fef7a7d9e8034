"""Progress for long runs, a failure summary, and build events for the registry.

doit calls these hooks in the main process (also under ``-n``). Group tasks (no actions) are not counted.
Modes: ``bar`` (a redrawn status line on a TTY), ``plain`` (one line per finished task, for logs), ``jsonl`` (one
JSON object per event, for machines); ``auto`` picks ``bar`` on a TTY and ``plain`` otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from doit.exceptions import UnmetDependency

from storyexport.build import doit_internals
from storyexport.store.settings import CACHED_ATTR, STORE_ENV
from storyexport.textsafe import for_terminal, json_for_terminal

MODES = ("auto", "bar", "plain", "jsonl", "quiet")
STAMP_NOTE = "(no file changed since the last clean run)"  # ends the summary line of a run the stamp answered


@dataclass
class TaskOutcome:
    task: str
    success: bool
    duration_s: float
    reason: str | None = None


@dataclass
class RunState:
    total: int = 0
    done: int = 0
    executed: int = 0
    cached: int = 0  # of the executed tasks, those restored from the store's action cache
    started_at: float = field(default_factory=time.monotonic)
    running: dict[str, float] = field(default_factory=dict)
    outcomes: list[TaskOutcome] = field(default_factory=list)
    check_failures: list[tuple[str, str]] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    ignored: int = 0
    errors: int = 0

    def finished_cleanly(self) -> bool:
        """Every selected task done, none failed, blocked or ignored: the only end an up-to-date stamp records."""
        return (self.done == self.total and not self.blocked and not self.ignored and not self.errors
                and all(outcome.success for outcome in self.outcomes))

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def eta(self) -> float | None:
        """Remaining time from the mean pace of executed tasks (up-to-date ones cost nothing)."""
        if not self.executed:
            return None
        return self.elapsed() / self.executed * (self.total - self.done)


def split_task_name(name: str) -> tuple[str, str | None, str | None]:
    """``platform:id:youtube`` -> ("platform", "id", "youtube")."""
    parts = name.split(":")
    return parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"


def _first_line(fail: Any) -> str:
    """doit's failure text reduced to its one meaningful line."""
    message = getattr(fail, "message", None) or (fail.get_msg() if hasattr(fail, "get_msg") else str(fail))
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    line = lines[-1] if lines else type(fail).__name__
    if "checking dependencies: " in line:  # doit: "ERROR: Task 'x' checking dependencies: Dependent file ..."
        line = line.split("checking dependencies: ", 1)[1]
    return line


class BuildReporter:
    """A doit reporter (pass an instance in DOIT_CONFIG['reporter'])."""

    desc = "storyexport progress"

    def __init__(self, outstream: TextIO | None = None, options: dict[str, Any] | None = None, *,
                 mode: str = "auto", events_db: Path | None = None, listener: Any = None):
        self.out = outstream or sys.stdout
        self.mode = ("bar" if getattr(self.out, "isatty", lambda: False)() else "plain") if mode == "auto" else mode
        self.events_db = events_db
        self.listener = listener
        self.state = RunState()
        self._registry: Any = None
        self._events_broken = False
        self._held_events: list[tuple[Any, ...]] = []  # events of a run that started without a registry store
        self._tasks: dict[str, Any] = {}
        self.on_complete: Callable[[bool], Any] | None = None  # told whether the run finished cleanly
        self.from_stamp = False

    # doit hooks -----------------------------------------------------------------------------------------------
    def initialize(self, tasks: dict[str, Any], selected_tasks: list[str]) -> None:
        self._tasks = tasks
        self.state = RunState(total=len(self._closure(tasks, selected_tasks)))
        self._emit({"event": "begin", "total": self.state.total})

    def get_status(self, task: Any) -> None:
        doit_internals.before_task(task)

    def execute_task(self, task: Any) -> None:
        if task.actions:
            self.state.running[task.name] = time.monotonic()
            self._emit({"event": "start", "task": task.name})

    def add_success(self, task: Any) -> None:
        doit_internals.checkpoint(task.name)
        if task.actions:
            self._finish(task, True, None, cached=bool(getattr(task, CACHED_ATTR, False)))
            if task.name.startswith("platform:"):
                self._collect_check_failures(task)

    def add_failure(self, task: Any, fail: Any) -> None:
        if isinstance(fail, UnmetDependency):
            if task.actions:
                self.state.done += 1
                self.state.blocked.append((task.name, str(fail.message or "")))
                self._emit({"event": "blocked", "task": task.name, "reason": f"upstream failed: {fail.message}"})
        elif task.actions or task.name in self.state.running:
            self._finish(task, False, doit_internals.failure_reason(fail) or _first_line(fail))
        doit_internals.checkpoint(task.name)

    def skip_uptodate(self, task: Any) -> None:
        if task.actions:
            self.state.done += 1
            self._emit({"event": "skip", "task": task.name})

    def skip_ignore(self, task: Any) -> None:
        self.state.ignored += 1
        self.skip_uptodate(task)

    def cleanup_error(self, exception: Any) -> None:
        self._line(f"cleanup error: {_first_line(exception)}")

    def runtime_error(self, msg: str) -> None:
        self.state.errors += 1
        self._line(f"error: {msg}")

    def teardown_task(self, task: Any) -> None:
        pass

    def complete_run(self) -> None:
        from storyexport.build.checker import save_caches

        save_caches()
        self._clear_bar()
        failures = [o for o in self.state.outcomes if not o.success]
        summary = {"event": "summary", "total": self.state.total, "executed": self.state.executed,
                   "cached": self.state.cached,
                   "failed": [{"task": o.task, "reason": o.reason} for o in failures],
                   "check_failures": [{"task": t, "check": c} for t, c in self.state.check_failures],
                   "blocked": [{"task": t, "upstream": u} for t, u in self.state.blocked],
                   "elapsed_s": round(self.state.elapsed(), 3), "from_stamp": self.from_stamp}
        if self.mode == "jsonl":
            self._write_json(summary)
        elif self.mode != "quiet":
            self._write_summary(failures)
        if self._held_events and self.events_db is not None and self.events_db.is_file():
            self._write_events(self._held_events)
        self._held_events = []
        if self._registry is not None:
            self._registry.close()  # now, not at exit: the up-to-date stamp records the store's final state
            self._registry = None
        if self.on_complete is not None:
            self.on_complete(self.state.finished_cleanly() and not doit_internals.last_save_failed())

    def report_up_to_date(self, names: list[str]) -> None:
        """What a run that finds every task up to date reports, for an answer from the stamp (doit did not run)."""
        self.from_stamp = True
        self.state = RunState(total=len(names))
        self._emit({"event": "begin", "total": self.state.total})
        if self.mode == "jsonl" or self.listener is not None:
            for name in names:
                self.state.done += 1
                self._emit({"event": "skip", "task": name})
        else:
            self.state.done = self.state.total
        self.complete_run()

    # internals ------------------------------------------------------------------------------------------------
    def _closure(self, tasks: dict[str, Any], selected: list[str]) -> set[str]:
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

    def _finish(self, task: Any, success: bool, reason: str | None, cached: bool = False) -> None:
        started = self.state.running.pop(task.name, None)
        now = time.monotonic()
        duration = now - started if started is not None else 0.0
        self.state.done += 1
        self.state.executed += 1
        self.state.cached += cached
        self.state.outcomes.append(TaskOutcome(task.name, success, duration, reason))
        event = {"event": "success" if success else "failure", "task": task.name, "duration_s": round(duration, 3),
                 "reason": reason}
        self._emit({**event, "cached": True} if cached else event)
        self._record_event(task.name, time.time() - duration, duration, success, reason)

    def _collect_check_failures(self, task: Any) -> None:
        from storyexport.metadata.checks import failed_checks  # only once a platform task ran: keeps no-ops light

        for target in task.targets:
            try:
                checks = json.loads(Path(target).read_text(encoding="utf-8")).get("checks", {})
            except (OSError, ValueError):
                continue
            self.state.check_failures.extend((task.name, message) for message in failed_checks(checks))

    def _record_event(self, name: str, started_at: float, duration: float, success: bool,
                      reason: str | None) -> None:
        if self.events_db is None or self._events_broken:
            return
        event = (*split_task_name(name), started_at, duration, success, reason)
        if self._registry is None and not self.events_db.is_file():
            self._held_events.append(event)  # only the registry task creates (or restores) a missing store
            return
        self._write_events([event])

    def _write_events(self, events: list[tuple[Any, ...]]) -> None:
        try:
            if self._registry is None:
                from storyexport.registry import ExportRegistry

                self._registry = ExportRegistry(self.events_db)
            for event in events:
                self._registry.record_event(*event)
        except Exception as exc:  # events are a side record: never fail the build for them
            self._events_broken = True
            self._line(f"warning: build events not recorded ({exc})")

    def _emit(self, event: dict[str, Any]) -> None:
        state = self.state
        event = {**event, "done": state.done, "total": state.total, "elapsed_s": round(state.elapsed(), 3)}
        if self.listener is not None:
            self.listener(event)
        if self.mode == "jsonl":
            self._write_json(event)
        elif self.mode == "plain" and event["event"] in ("success", "failure"):
            status = "ok" if event["event"] == "success" else f"FAILED: {event['reason']}"
            status += " (restored from the cache)" if event.get("cached") else ""
            self._line(f"[{state.done:>{len(str(state.total))}}/{state.total}] {event['task']} {status} "
                       f"({event['duration_s']:.1f} s) elapsed {_clock(state.elapsed())} eta {_clock(state.eta())}")
        elif self.mode == "bar":
            if event["event"] == "failure":
                self._clear_bar()
                self._line(f"FAILED {event['task']}: {event['reason']}")
            self._draw_bar()

    def _draw_bar(self) -> None:
        state = self.state
        width = 24
        filled = int(width * state.done / state.total) if state.total else width
        running = ", ".join(sorted(state.running)[:3]) + (" …" if len(state.running) > 3 else "")
        text = (f"\r[{'#' * filled}{'-' * (width - filled)}] {state.done}/{state.total} "
                f"elapsed {_clock(state.elapsed())} eta {_clock(state.eta())}  {running}")
        self.out.write(text[:160].ljust(160))
        self.out.flush()

    def _clear_bar(self) -> None:
        if self.mode == "bar":
            self.out.write("\r" + " " * 160 + "\r")

    def _line(self, text: str) -> None:
        self.out.write(for_terminal(text) + "\n")  # a failure reason may quote a title
        self.out.flush()

    def _write_json(self, event: dict[str, Any]) -> None:
        self._line(json_for_terminal(json.dumps(event, sort_keys=True, ensure_ascii=False)))

    def _write_summary(self, failures: list[TaskOutcome]) -> None:
        state = self.state
        up_to_date = state.done - state.executed - len(state.blocked)
        restored = f" ({state.cached} restored from the cache)" if state.cached or os.environ.get(STORE_ENV) else ""
        self._line(f"storyexport: {state.executed} task(s) run{restored}, {up_to_date} up to date, "
                   f"{len(failures)} failed, "
                   f"{len(state.blocked)} not run because of a failure, in {state.elapsed():.1f} s"
                   + (f" {STAMP_NOTE}" if self.from_stamp else ""))
        for outcome in failures:
            self._line(f"  FAILED {outcome.task}: {outcome.reason}")
        if state.blocked:
            self._line(f"  not run: {', '.join(name for name, _ in state.blocked)}")
        for task, check in state.check_failures:
            self._line(f"  CHECK FAILED {task}: {check}")
