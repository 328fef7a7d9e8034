"""How a build's progress looks: one renderer per ``--progress`` mode.

``bar`` (a redrawn status line on a TTY), ``plain`` (one line per finished task, for logs), ``jsonl`` (one JSON
object per event, for machines), ``quiet`` (only errors); ``auto`` picks ``bar`` on a TTY and ``plain`` otherwise.
A renderer only writes: what happened is in the :class:`RunState` the reporter keeps.
"""

from __future__ import annotations

import json
import os
from typing import TextIO

from storyexport.build.doit_types import BuildEvent, RunSummary
from storyexport.build.run_state import RunState
from storyexport.store.settings import STORE_ENV
from storyexport.textsafe import for_terminal, json_for_terminal

MODES = ("auto", "bar", "plain", "jsonl", "quiet")
STAMP_NOTE = "(no file changed since the last clean run)"  # ends the summary line of a run the stamp answered
BAR_WIDTH = 160  # characters of the status line, padded so a shorter line overwrites a longer one


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"


class Renderer:
    """``quiet``: writes only the lines every mode writes (errors, warnings)."""

    every_skip = False  # whether a run answered by the stamp reports each task as skipped

    def __init__(self, out: TextIO):
        self.out = out

    def line(self, text: str) -> None:
        self.out.write(for_terminal(text) + "\n")  # a failure reason may quote a title
        self.out.flush()

    def event(self, state: RunState, event: BuildEvent) -> None:
        """One event of the run (begin, start, success, failure, blocked, skip) with its counts."""

    def summary(self, state: RunState, summary: RunSummary) -> None:
        """The end of the run; ``summary`` is the jsonl summary event."""

    def clear(self) -> None:
        """Remove what a redrawn line left on the terminal (before the summary)."""


class JsonlRenderer(Renderer):
    """``jsonl``: every event and the summary as one JSON object per line."""

    every_skip = True

    def event(self, state: RunState, event: BuildEvent) -> None:
        self._write_json(event)

    def summary(self, state: RunState, summary: RunSummary) -> None:
        self._write_json(summary)

    def _write_json(self, event: BuildEvent | RunSummary) -> None:
        self.line(json_for_terminal(json.dumps(event, sort_keys=True, ensure_ascii=False)))


class TextRenderer(Renderer):
    """The human summary shared by ``plain`` and ``bar``."""

    def summary(self, state: RunState, summary: RunSummary) -> None:
        failures = state.failures()
        up_to_date = state.done - state.executed - len(state.blocked)
        restored = f" ({state.cached} restored from the cache)" if state.cached or os.environ.get(STORE_ENV) else ""
        self.line(f"storyexport: {state.executed} task(s) run{restored}, {up_to_date} up to date, "
                  f"{len(failures)} failed, "
                  f"{len(state.blocked)} not run because of a failure, in {state.elapsed():.1f} s"
                  + (f" {STAMP_NOTE}" if state.from_stamp else ""))
        for outcome in failures:
            self.line(f"  FAILED {outcome.task}: {outcome.reason}")
        if state.blocked:
            self.line(f"  not run: {', '.join(name for name, _ in state.blocked)}")
        for task, check in state.check_failures:
            self.line(f"  CHECK FAILED {task}: {check}")


class PlainRenderer(TextRenderer):
    """``plain``: one line per finished task with the elapsed time and an estimate of the rest."""

    def event(self, state: RunState, event: BuildEvent) -> None:
        if event["event"] not in ("success", "failure"):
            return
        status = "ok" if event["event"] == "success" else f"FAILED: {event['reason']}"
        status += " (restored from the cache)" if event.get("cached") else ""
        self.line(f"[{state.done:>{len(str(state.total))}}/{state.total}] {event['task']} {status} "
                  f"({event['duration_s']:.1f} s) elapsed {clock(state.elapsed())} eta {clock(state.eta())}")


class BarRenderer(TextRenderer):
    """``bar``: one status line redrawn in place; failures are printed above it as they happen."""

    def event(self, state: RunState, event: BuildEvent) -> None:
        if event["event"] == "failure":
            self.clear()
            self.line(f"FAILED {event['task']}: {event['reason']}")
        self._draw(state)

    def _draw(self, state: RunState) -> None:
        width = 24
        filled = int(width * state.done / state.total) if state.total else width
        running = ", ".join(sorted(state.running)[:3]) + (" …" if len(state.running) > 3 else "")
        text = (f"\r[{'#' * filled}{'-' * (width - filled)}] {state.done}/{state.total} "
                f"elapsed {clock(state.elapsed())} eta {clock(state.eta())}  {running}")
        self.out.write(text[:BAR_WIDTH].ljust(BAR_WIDTH))
        self.out.flush()

    def clear(self) -> None:
        self.out.write("\r" + " " * BAR_WIDTH + "\r")


_RENDERERS: dict[str, type[Renderer]] = {"bar": BarRenderer, "plain": PlainRenderer, "jsonl": JsonlRenderer,
                                         "quiet": Renderer}


def renderer_for(mode: str, out: TextIO) -> Renderer:
    """The renderer of a ``--progress`` mode; ``auto`` is ``bar`` on a terminal and ``plain`` otherwise."""
    if mode == "auto":
        mode = "bar" if getattr(out, "isatty", lambda: False)() else "plain"
    return _RENDERERS[mode](out)
