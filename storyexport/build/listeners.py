"""Run listeners: what a build does besides showing progress, each told about the run by the reporter.

The reporter (:mod:`storyexport.build.reporter`) keeps the run's state and calls, in the order given, every
listener's hooks; the renderers only write. Listeners run in doit's main process (also under ``-n``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from storyexport.build import doit_internals
from storyexport.build.doit_types import BuildEvent, DoitTask
from storyexport.build.run_state import RunState

if TYPE_CHECKING:
    from storyexport.registry import ExportRegistry

# A finished task as a registry build event: kind, story, platform, start (epoch s), duration, success, reason.
TaskEvent = tuple[str, str | None, str | None, float, float, bool, str | None]


def split_task_name(name: str) -> tuple[str, str | None, str | None]:
    """``platform:id:youtube`` -> ("platform", "id", "youtube")."""
    parts = name.split(":")
    return parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None


class RunListener:
    """No-op hooks; a listener overrides those it needs."""

    def event(self, event: BuildEvent) -> None:
        """Every event the renderers get (with done, total and elapsed_s)."""

    def task_finished(self, task: DoitTask, state: RunState, started_at: float, duration: float, success: bool,
                      reason: str | None) -> None:
        """A task with actions ran (or was restored from the store's cache), successfully or not."""

    def run_complete(self, state: RunState) -> None:
        """The run ended; its summary has been written."""


class EventCallback(RunListener):
    """Hands every event to a callable (``BatchExporter``'s progress callback)."""

    def __init__(self, callback: Callable[[BuildEvent], object]):
        self.callback = callback

    def event(self, event: BuildEvent) -> None:
        self.callback(event)


class CheckFailures(RunListener):
    """Reads each platform JSON a task wrote and adds its failed checks to the run's state (for the summary)."""

    def task_finished(self, task: DoitTask, state: RunState, started_at: float, duration: float, success: bool,
                      reason: str | None) -> None:
        if not success or not task.name.startswith("platform:"):
            return
        from storyexport.metadata.checks import failed_checks  # only once a platform task ran: keeps no-ops light

        for target in task.targets:
            try:
                checks = json.loads(Path(target).read_text(encoding="utf-8")).get("checks", {})
            except (OSError, ValueError):
                continue
            state.check_failures.extend((task.name, message) for message in failed_checks(checks))


class CacheFlusher(RunListener):
    """Writes the hash caches that learned something (see :mod:`storyexport.build.checker`) when the run ends."""

    def run_complete(self, state: RunState) -> None:
        from storyexport.build.checker import save_caches

        save_caches()


class BuildEvents(RunListener):
    """Records each finished task as a build event in the registry database.

    Events never create a missing database: only the registry task creates (or restores) it, so the events of a
    run that started without one are held until the run ends and written only if the registry task made it.
    Events are a side record: a failure to write them is one warning, never a failed build."""

    def __init__(self, database: Path, warn: Callable[[str], None]):
        self.database = database
        self.warn = warn
        self._registry: ExportRegistry | None = None
        self._broken = False
        self._held: list[TaskEvent] = []

    def task_finished(self, task: DoitTask, state: RunState, started_at: float, duration: float, success: bool,
                      reason: str | None) -> None:
        if self._broken:
            return
        event = (*split_task_name(task.name), started_at, duration, success, reason)
        if self._registry is None and not self.database.is_file():
            self._held.append(event)
            return
        self._write([event])

    def run_complete(self, state: RunState) -> None:
        if self._held and self.database.is_file():
            self._write(self._held)
        self._held = []
        if self._registry is not None:
            self._registry.close()  # now, not at exit: the up-to-date stamp records the store's final state
            self._registry = None

    def _write(self, events: list[TaskEvent]) -> None:
        try:
            if self._registry is None:
                from storyexport.registry import ExportRegistry

                self._registry = ExportRegistry(self.database)
            for event in events:
                self._registry.record_event(*event)
        except Exception as exc:  # events are a side record: never fail the build for them
            self._broken = True
            self.warn(f"warning: build events not recorded ({exc})")


class StampSettler(RunListener):
    """Tells the up-to-date stamp whether the run finished cleanly (every task done, none failed, doit's database
    saved); only then does the stamp record the run. Listed last: it must see the other listeners' files."""

    def __init__(self, settle: Callable[[bool], object]):
        self.settle = settle

    def run_complete(self, state: RunState) -> None:
        self.settle(state.finished_cleanly() and not doit_internals.last_save_failed())
