"""Benchmark projects: a folder with exports.yaml and the repository's dodo.py, and doit's bare baseline project.

Story projects are built by the real thing (``python -m doit -n N`` in the folder), so the figures include
process start-up, manifest loading, the task graph, doit's database and the registry and report tasks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from timing import Measured, run_command

from storyexport.build.reporter import STAMP_NOTE
from storyexport.build.stamp import StampScope

REPO = Path(__file__).resolve().parent.parent
SEGMENTS = ("women", "men")
AGE_GROUPS = ("18-23", "24-29", "30-35")

# The 1,000-story project: a tiny conforming clip and the smallest thumbnail set that still has every part
# (a timestamp, one option, candidates to score, a grid), one platform, so the full build fits the time budget.
_SUMMARY = re.compile(r"storyexport: (\d+) task\(s\) run(?: \(\d+ restored from the cache\))?, (\d+) up to date")

_TASK_LINE = re.compile(r"\] (\w+)\S* ok \(([\d.]+) s\)")

TINY_VIDEO = {"width": 360, "height": 640}
TINY_THUMBNAILS = {"timestamps": ["0.5"], "num_options": 1, "num_candidates": 4, "grid": [2, 2]}


@dataclass(frozen=True)
class ProjectSpec:
    """``stories`` stories whose sources are ``sources`` (cycled); ``defaults`` go into the manifest as-is."""

    name: str
    stories: int
    sources: list[Path]
    defaults: dict[str, Any] = field(default_factory=dict)
    copy_sources: bool = True


def write_project(root: Path, spec: ProjectSpec) -> Path:
    """Create or update ``root`` with media/, exports.yaml and dodo.py; return the manifest path.

    Files that are already right are left alone (so a built project stays built and can be reused). With
    ``copy_sources`` every story gets its own copy of its source, as real stories have distinct files; otherwise
    the stories share the listed files."""
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    stories = []
    for index in range(spec.stories):
        original = spec.sources[index % len(spec.sources)]
        name = f"story{index:04d}{original.suffix}" if spec.copy_sources else original.name
        _copy_if_changed(original, media / name)
        stories.append(_story(index, f"media/{name}"))
    manifest = {"version": 1, "output_dir": "out", "defaults": spec.defaults, "stories": stories}
    _write_if_changed(root / "exports.yaml", yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
    _write_if_changed(root / "dodo.py", (REPO / "dodo.py").read_text(encoding="utf-8"))
    return root / "exports.yaml"


def _copy_if_changed(source: Path, target: Path) -> None:
    if not target.is_file() or target.stat().st_size != source.stat().st_size:
        shutil.copyfile(source, target)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _story(index: int, source: str) -> dict[str, Any]:
    return {
        "id": f"story{index:04d}",
        "title": f"Story number {index}: the night the lights went out",
        "segment": SEGMENTS[index % len(SEGMENTS)],
        "age_group": AGE_GROUPS[index % len(AGE_GROUPS)],
        "source": source,
        "description": "A short story told in under a minute, generated for the storyexport benchmark.",
        "theme": "mystery",
        "tone": "dreamy",
        "hashtags": ["storytime", "benchmark", f"part{index % 7}"],
    }


def clean_outputs(root: Path) -> None:
    """Forget every output and doit's database, so the next build starts from nothing."""
    shutil.rmtree(root / "out", ignore_errors=True)
    for leftover in root.glob(".doit*"):
        leftover.unlink()


def doit_command(workers: int) -> list[str]:
    """How a user builds a project (``doit -n N``), with plain progress lines for the log."""
    argv = [sys.executable, "-m", "doit"]
    if workers > 1:
        argv += ["-n", str(workers)]
    return [*argv, "progress=plain"]


def build(root: Path, workers: int, log: Path) -> Measured:
    return run_command(doit_command(workers), cwd=root, log=log)


def _last_summary(log: Path) -> tuple[int, int]:
    """(tasks run, tasks up to date) from the reporter's closing summary line of the last build in ``log``."""
    found = _SUMMARY.findall(log.read_text(encoding="utf-8", errors="replace"))
    if not found:
        raise RuntimeError(f"no build summary in {log}")
    ran, up_to_date = found[-1]
    return int(ran), int(up_to_date)


def tasks_run(log: Path) -> int:
    """How many tasks the last build in ``log`` ran."""
    return _last_summary(log)[0]


def seconds_by_task_kind(log: Path) -> dict[str, float]:
    """Summed task durations per kind (video, thumbnails, ...) of the last build in ``log``: where the time went."""
    text = log.read_text(encoding="utf-8", errors="replace")
    last_build = text.rsplit("task(s) run", 2)[-2] if text.count("task(s) run") >= 2 else text
    sums: dict[str, float] = {}
    for kind, seconds in _TASK_LINE.findall(last_build):
        sums[kind] = round(sums.get(kind, 0.0) + float(seconds), 1)
    return sums


def stamp_file(root: Path) -> Path:
    return StampScope.create(root / "exports.yaml").file()


def noop_build(root: Path, workers: int, log: Path, *, verify: bool = False) -> Measured:
    """A rebuild that must find nothing to do (checked, so a stale project cannot pass for a no-op).

    By default the up-to-date stamp must answer it (a clean run before wrote one); ``verify`` removes the stamp
    first, so doit checks every file (the first no-op after a failed or partial run), and writes the stamp again."""
    return noop_build_argv(root, doit_command(workers), log, verify=verify)


def noop_build_argv(root: Path, argv: list[str], log: Path, *, verify: bool = False) -> Measured:
    """:func:`noop_build` with any build command line."""
    if verify:
        stamp_file(root).unlink(missing_ok=True)
    measured = run_command(argv, cwd=root, log=log)
    ran = tasks_run(log)
    if ran:
        raise RuntimeError(f"the no-op rebuild of {root.name} ran {ran} task(s); see {log}")
    answered = STAMP_NOTE in log.read_text(encoding="utf-8", errors="replace")
    if answered == verify:
        raise RuntimeError(f"the no-op rebuild of {root.name} was {'' if answered else 'not '}answered from the "
                           f"up-to-date stamp; see {log}")
    return measured


def storyexport_command(root: Path, command: str, log: Path) -> Measured:
    """``python -m storyexport plan|validate -m exports.yaml`` in the project folder."""
    return run_command([sys.executable, "-m", "storyexport", command, "-m", "exports.yaml"], cwd=root, log=log)


def task_total(log: Path) -> int:
    """How many tasks the last build in ``log`` considered (run + up to date, from the reporter's summary line): the
    bare-doit baseline gets as many. ``doit list`` would also show group names and the ``orphans`` task."""
    return sum(_last_summary(log))


BARE_DODO = '''"""doit's own cost: {count} trivial python-action tasks, each with one file_dep and one target."""

from pathlib import Path

DOIT_CONFIG = {{"backend": "json", "dep_file": ".doit-bare.json", "verbosity": 0}}


def copy(source, target):
    Path(target).write_bytes(Path(source).read_bytes())


def task_bare():
    for index in range({count}):
        source, target = f"inputs/{{index}}.txt", f"outputs/{{index}}.txt"
        yield {{"name": str(index), "actions": [(copy, [source, target])], "file_dep": [source],
               "targets": [target]}}
'''


def write_bare_project(root: Path, count: int) -> None:
    """A dodo with ``count`` trivial tasks (same backend as storyexport: json), inputs created."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "inputs").mkdir(parents=True)
    (root / "outputs").mkdir()
    for index in range(count):
        (root / "inputs" / f"{index}.txt").write_text(f"input {index}\n")
    (root / "dodo.py").write_text(BARE_DODO.format(count=count))


def bare_doit(root: Path, workers: int, log: Path) -> Measured:
    argv = [sys.executable, "-m", "doit"]
    if workers > 1:
        argv += ["-n", str(workers)]
    return run_command(argv, cwd=root, log=log)


SHAPE_DODO = '''"""doit's own cost on storyexport's graph: the same tasks, file_dep, targets and task_dep,
trivial actions, doit's own config_changed per task. Run: doit -f shape/shape_dodo.py -d PROJECT (not named
dodo.py: doit imports the file as a module by name, and the project's own dodo.py would shadow it).

With SHAPE_NO_CHECKS=1 doit skips every dependency check (each task is declared up to date at once): what
loading, dispatching and saving this graph costs doit, the floor for any up-to-date shortcut inside doit."""

import json
import os
from pathlib import Path

from doit.dependency import Dependency, DependencyStatus
from doit.tools import config_changed

if os.environ.get("SHAPE_NO_CHECKS"):
    def _up_to_date(self, task, tasks_dict, get_log=False):
        task.dep_changed = []
        return DependencyStatus(get_log)

    Dependency.get_status = _up_to_date

HERE = Path(__file__).resolve().parent
DOIT_CONFIG = {"backend": "json", "dep_file": str(HERE / "doit-shape.json"), "verbosity": 0}


def nothing():
    pass


def task_shape():
    for task in json.loads((HERE / "graph.json").read_text()):
        basename, _, name = task["name"].partition(":")
        spec = {"basename": basename, "actions": [nothing], "file_dep": task["file_dep"], "targets": task["targets"],
                "task_dep": task["task_dep"], "uptodate": [config_changed({"task": task["name"]})]}
        if name:
            spec["name"] = name
        yield spec
'''


SHAPE_FILE = "shape_dodo.py"


def write_shape_project(project: Path, folder: Path) -> None:
    """Dump the project's task graph (relative to the project folder) for the same-graph doit baseline."""
    script = (
        "import json, sys\n"
        "from storyexport.build.loader import build_namespace\n"
        "tasks = []\n"
        "for t in build_namespace('exports.yaml', progress='quiet')['task_storyexport']():\n"
        "    if t.get('actions'):\n"
        "        name = t['basename'] + (':' + t['name'] if 'name' in t else '')\n"
        "        tasks.append({'name': name, 'file_dep': t['file_dep'], 'targets': t['targets'],\n"
        "                      'task_dep': t.get('task_dep', [])})\n"
        "json.dump(tasks, sys.stdout)\n"
    )
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    graph = subprocess.run([sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True)
    (folder / "graph.json").write_text(graph.stdout)
    (folder / SHAPE_FILE).write_text(SHAPE_DODO)


def shape_doit(project: Path, folder: Path, workers: int, log: Path, checks: bool = True) -> Measured:
    argv = [sys.executable, "-m", "doit", "-f", str(folder / SHAPE_FILE), "-d", str(project)]
    if workers > 1:
        argv += ["-n", str(workers)]
    env = None if checks else {**os.environ, "SHAPE_NO_CHECKS": "1"}
    return run_command(argv, cwd=project, log=log, env=env)
