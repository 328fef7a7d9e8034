"""After a fresh checkout (every mtime new) a no-op stays a no-op and each source is hashed once, not every run."""

from __future__ import annotations

import os

import pytest

from storyexport.build import checker

from .conftest import Project

pytestmark = pytest.mark.slow  # end-to-end doit builds


def test_new_mtimes_rebuild_nothing_and_hash_each_file_once(project: Project,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_digest = checker.file_digest

    def counting_digest(path: str) -> str:
        calls.append(path)
        return real_digest(path)

    monkeypatch.setattr(checker, "file_digest", counting_digest)
    for path in [*(project.root / "src").iterdir(), *(project.root / "platforms").iterdir()]:
        os.utime(path, (2_000_000_000, 2_000_000_000))  # what a fresh checkout does
    before = project.snapshot()
    assert project.build() == 0
    assert project.rewritten(before) == set()
    first = [p for p in calls if p.startswith("src/") or p.startswith("platforms/")]
    assert sorted(set(first)) == sorted(first)  # each file at most once
    assert {"src/alpha.mp4", "src/beta.mp4", "src/gamma.mp4"} <= set(first)

    calls.clear()
    checker._CACHES.clear()  # a new process: the cache must come from disk
    assert project.build() == 0
    assert project.rewritten(before) == set()
    assert [p for p in calls if p.startswith("src/") or p.startswith("platforms/")] == []
