"""What storyexport hands doit and gets back, as types: task dicts, the dodo namespace, the run's events.

doit ships no type information, so its task objects are described here by the attributes storyexport reads
(``DoitTask``), and the dicts storyexport builds for it (``TaskDict``, ``DoitConfig``) by the keys doit documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, Required, TypedDict

if TYPE_CHECKING:
    from storyexport.build.reporter import BuildReporter

# A doit action or clean step: a module-level function and its positional arguments (JSON-safe values, so the
# task pickles for spawned workers; doit passes them on untouched).
Action = tuple[Callable[..., object], Sequence[object]]
SavedValues = dict[str, object]  # what a value saver gives doit to store with the task (JSON-safe)


class DoitAction(Protocol):
    py_callable: Callable[..., object]
    args: Sequence[object]


class DoitTask(Protocol):
    """The attributes of doit's ``Task`` that storyexport reads or extends."""

    name: str
    actions: list[DoitAction]
    targets: list[str]
    file_dep: set[str]
    task_dep: list[str]
    value_savers: list[Callable[[], SavedValues]]


class UptodateCheck(Protocol):
    """An object in a task's ``uptodate`` list: doit configures it once, then asks it before each run."""

    def configure_task(self, task: DoitTask) -> None: ...

    def __call__(self, task: DoitTask, values: SavedValues) -> bool: ...


class TaskDict(TypedDict, total=False):
    """A task as doit's ``task_*`` creators yield it (doit's documented keys that storyexport uses)."""

    basename: Required[str]
    name: str
    actions: list[Action] | None
    file_dep: list[str]
    targets: list[str]
    uptodate: list[UptodateCheck]
    task_dep: list[str]
    clean: bool | list[Action]
    doc: str
    verbosity: int
    meta: dict[str, bool | str]


DoitConfig = TypedDict("DoitConfig", {
    "dep_file": str,
    "backend": str,
    "check_file_uptodate": type,
    "continue": bool,
    "reporter": "BuildReporter",
    "default_tasks": list[str],
    "minversion": str,
})

# The globals of a dodo module, as ``build_namespace`` makes them: doit's config and the one task creator.
class DodoNamespace(TypedDict):
    DOIT_CONFIG: DoitConfig
    task_storyexport: Callable[[], Iterator[TaskDict]]


class BuildEvent(TypedDict, total=False):
    """One event of a run as the renderers and listeners get it (``--progress jsonl`` prints it)."""

    event: Required[str]  # begin, start, success, failure, blocked, skip
    task: str
    reason: str | None
    duration_s: float
    cached: bool
    done: int
    total: int
    elapsed_s: float


class FailedTask(TypedDict):
    task: str
    reason: str | None


class FailedCheck(TypedDict):
    task: str
    check: str


class BlockedTask(TypedDict):
    task: str
    upstream: str


class RunSummary(TypedDict):
    """The end of a run (the jsonl ``summary`` event)."""

    event: str
    total: int
    executed: int
    cached: int
    failed: list[FailedTask]
    check_failures: list[FailedCheck]
    blocked: list[BlockedTask]
    elapsed_s: float
    from_stamp: bool
