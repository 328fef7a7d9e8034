"""Parallel builds: process and thread workers and the spawn start method give byte-identical outputs."""

from __future__ import annotations

import pytest

from .conftest import Project

# Registry and report carry export dates; every other output must not depend on how it was built.
DETERMINISTIC = ("mp4", "jpg", "json")


def hashes(project: Project) -> dict[str, str]:
    return {p: digest for p, (_, digest) in project.snapshot().items()
            if p.rsplit(".", 1)[-1] in DETERMINISTIC and not p.startswith("export_registry")}


@pytest.mark.parametrize(("args", "env"), [
    (["-n", "4"], {}),
    (["-n", "4", "-P", "thread"], {}),
    (["-n", "2"], {"STORYEXPORT_MP_START": "spawn"}),
], ids=["process", "thread", "spawn"])
def test_outputs_identical_whatever_the_worker_count(fresh_project: Project, built_template, args: list[str],
                                                     env: dict[str, str]) -> None:
    result = fresh_project.doit(*args, "progress=plain", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    reference = Project(built_template)  # built in-process with 2 workers
    assert hashes(fresh_project) == hashes(reference)
