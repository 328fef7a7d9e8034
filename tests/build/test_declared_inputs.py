"""A task reads only the files it declares (``file_dep``): what a remote worker or a cache key relies on.

Each metadata and platform action of a built project is run again under a Python audit hook that records every
file opened for reading and every folder listed inside the project; anything outside the task's declared inputs
(its own targets, and their folders, which an atomic write opens to sync) is an undeclared read.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import Project

PROBE = r"""
import json, os, sys
from doit.exceptions import BaseFail
from storyexport.build.loader import build_namespace

tasks = [t for t in build_namespace("exports.yaml", progress="quiet")["task_storyexport"]()
         if t["basename"] in ("metadata", "platform")]
root = os.path.realpath(".")
reads, active = [], [False]


def is_read(event, args):
    if event in ("os.listdir", "os.scandir"):
        return True
    mode, flags = args[1], args[2]
    if mode is None:
        return flags is not None and flags & os.O_ACCMODE == os.O_RDONLY
    return "r" in mode and "+" not in mode


def hook(event, args):
    if active[0] and event in ("open", "os.listdir", "os.scandir") and isinstance(args[0], (str, bytes, os.PathLike)):
        if is_read(event, args):
            reads.append(os.path.realpath(os.fsdecode(args[0])))


sys.addaudithook(hook)
report = {}
for task in tasks:
    function, arguments = task["actions"][0]
    reads.clear()
    active[0] = True
    outcome = function(*arguments)
    active[0] = False
    inside = {os.path.relpath(p, root) for p in reads if p.startswith(root + os.sep)}
    own_folders = {os.path.dirname(t) for t in task["targets"]}  # opened to fsync an atomic write
    report[f"{task['basename']}:{task['name']}"] = {
        "failed": isinstance(outcome, BaseFail),
        "undeclared": sorted(inside - set(task["file_dep"]) - set(task["targets"]) - own_folders),
    }
print(json.dumps(report))
"""


def test_metadata_and_platform_tasks_read_only_their_declared_inputs(project: Project) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=project.root, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert any(name.startswith("platform:") for name in report) and any(n.startswith("metadata:") for n in report)
    assert not [name for name, entry in report.items() if entry["failed"]]
    undeclared = {name: entry["undeclared"] for name, entry in report.items() if entry["undeclared"]}
    assert undeclared == {}
