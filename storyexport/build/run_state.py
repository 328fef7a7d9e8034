"""What a build run has done so far: the counts and outcomes the reporter keeps and its renderers and listeners read."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


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
    from_stamp: bool = False  # answered by the up-to-date stamp: doit did not run

    def finished_cleanly(self) -> bool:
        """Every selected task done, none failed, blocked or ignored: the only end an up-to-date stamp records."""
        return (self.done == self.total and not self.blocked and not self.ignored and not self.errors
                and all(outcome.success for outcome in self.outcomes))

    def failures(self) -> list[TaskOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def eta(self) -> float | None:
        """Remaining time from the mean pace of executed tasks (up-to-date ones cost nothing)."""
        if not self.executed:
            return None
        return self.elapsed() / self.executed * (self.total - self.done)
