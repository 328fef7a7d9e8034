"""``storyexport plan``: the dry run doit lacks (doit #48).

For every task, in dependency order, ask doit's own dependency manager whether it would run and why; name the file
or configuration key that changed; propagate to everything downstream of a task that will run. Nothing is executed
and doit's database is only read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from doit.control import TaskControl
from doit.dependency import Dependency, DependencyStatus, JsonDB
from doit.loader import load_tasks

from storyexport.build.doit_types import DodoNamespace, DoitTask, SavedValues
from storyexport.build.uptodate import CONFIG_KEY, ConfigSlice, InputsDigest, StorePresent, changed_keys


@dataclass
class PlanEntry:
    task: str
    reasons: list[str] = field(default_factory=list)


# An ``uptodate`` item that said "not up to date", with the arguments doit called it with.
FailedCheck = tuple[object, tuple[object, ...], dict[str, object]]


def _uptodate_reasons(failed: list[FailedCheck], stored: SavedValues) -> list[str]:
    """Why each failed ``uptodate`` item failed: the changed configuration keys, or changed story outputs."""
    reasons = []
    for item, _args, _kwargs in failed:
        if isinstance(item, ConfigSlice):
            old = stored.get(CONFIG_KEY)
            keys = changed_keys(json.loads(old) if isinstance(old, str) and old else None, json.loads(item.text()))
            reasons.append(f"config changed: {', '.join(keys)}")
        elif isinstance(item, InputsDigest):
            reasons.append("story outputs changed")
        elif isinstance(item, StorePresent):
            reasons.append(repr(item))
        else:
            reasons.append(f"up-to-date check failed: {item!r}")
    return reasons


def _reasons(task: DoitTask, status: DependencyStatus, dep: Dependency, will_run: set[str]) -> list[str]:
    reasons: list[str] = []
    found = status.reasons
    if found.get("uptodate_false"):
        reasons += _uptodate_reasons(found["uptodate_false"], dep.get_values(task.name))
    if found.get("checker_changed"):
        reasons.append("file checker changed")
    if found.get("missing_target"):
        reasons.append(f"missing output: {', '.join(found['missing_target'])}")
    for key, label in (("changed_file_dep", "input changed"), ("added_file_dep", "input added"),
                       ("removed_file_dep", "input removed")):
        if found.get(key):
            reasons.append(f"{label}: {', '.join(found[key])}")
    upstream = sorted(dep_name for dep_name in task.task_dep if dep_name in will_run)
    if upstream:
        reasons.append(f"upstream reruns: {', '.join(upstream)}")
    if found.get("missing_file_dep") and not upstream:
        reasons.append(f"missing input (will fail): {', '.join(found['missing_file_dep'])}")
    return reasons


def make_plan(namespace: DodoNamespace) -> tuple[list[PlanEntry], int]:
    """(tasks that would run with their reasons, number of tasks considered)."""
    config = namespace["DOIT_CONFIG"]
    tasks = load_tasks(namespace, command_names=(), config={})
    control = TaskControl(tasks)
    dep = Dependency(JsonDB, config["dep_file"], checker_cls=config["check_file_uptodate"])
    will_run: set[str] = set()
    entries: list[PlanEntry] = []
    considered = 0
    for task in tasks:  # generation order is already upstream-first
        if not task.actions:
            continue
        considered += 1
        status = dep.get_status(task, control.tasks, get_log=True)
        upstream_runs = any(name in will_run for name in task.task_dep)
        if status.status == "up-to-date" and not upstream_runs:
            continue
        will_run.add(task.name)
        entries.append(PlanEntry(task.name, _reasons(task, status, dep, will_run) or ["never built"]))
    return entries, considered


def format_plan_text(entries: list[PlanEntry], considered: int) -> str:
    width = max((len(e.task) for e in entries), default=0)
    lines = [f"{e.task:<{width}}  {'; '.join(e.reasons)}" for e in entries]
    lines.append(f"{len(entries)} of {considered} tasks would run." if entries else
                 f"Everything is up to date ({considered} tasks).")
    return "\n".join(lines)


def format_plan_json(entries: list[PlanEntry], considered: int) -> str:
    return json.dumps({"considered": considered, "would_run": [asdict(e) for e in entries]}, indent=2)
