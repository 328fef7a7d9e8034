"""A tiny real project in a temp folder: generated 3.5 s clips, a manifest, local platform rules, dodo.py."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from storyexport.cli import main
from storyexport.media.samples import generate_sample
from storyexport.resources import builtin_platforms_dir

REPO = Path(__file__).resolve().parents[2]
CLIP = {"duration": 3.5, "width": 360, "height": 640, "fps": 30}

MANIFEST = {
    "version": 1,
    "output_dir": "out",
    "defaults": {
        "platforms": ["youtube", "tiktok", "instagram"],
        "video": {"width": 360, "height": 640},
        "thumbnails": {"timestamps": ["1", "50%"], "num_options": 2, "num_candidates": 8, "grid": [2, 2],
                       "method": "combined"},
    },
    "stories": [
        {"id": "alpha", "title": "Alpha story", "segment": "women", "age_group": "18-23", "source": "src/alpha.mp4",
         "description": "First", "theme": "motivation", "tone": "uplifting", "hashtags": ["one"]},
        {"id": "beta", "title": "Beta story", "segment": "women", "age_group": "18-23", "source": "src/beta.mp4",
         "hashtags": ["two"], "platforms": ["youtube", "tiktok"]},
        {"id": "gamma", "title": "Gamma story", "segment": "men", "age_group": "24-29", "source": "src/gamma.mp4",
         "thumbnails": {"num_candidates": 6}},
    ],
}


@dataclass
class Project:
    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / "exports.yaml"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def data(self) -> dict:
        return yaml.safe_load(self.manifest.read_text(encoding="utf-8"))

    def write(self, data: dict) -> None:
        self.manifest.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")

    def edit_story(self, story_id: str, **changes: object) -> None:
        data = self.data()
        next(s for s in data["stories"] if s["id"] == story_id).update(changes)
        self.write(data)

    def build(self, *extra: str, workers: int = 2) -> int:
        """An in-process ``storyexport build`` (a real doit run)."""
        return main(["build", "-m", str(self.manifest), "-n", str(workers), "--progress", "plain", *extra])

    def doit(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300,
             ) -> subprocess.CompletedProcess[str]:
        """The real ``doit`` command line in the project folder."""
        return subprocess.run([sys.executable, "-m", "doit", *args], cwd=self.root, capture_output=True, text=True,
                              env={**os.environ, **(env or {})}, timeout=timeout, check=False)

    def snapshot(self) -> dict[str, tuple[int, str]]:
        """Every output: relative path -> (mtime_ns, sha256). doit's own state is left out."""
        result = {}
        for path in sorted(self.out.rglob("*")):
            if path.is_file() and ".storyexport" not in path.parts:
                rel = path.relative_to(self.out).as_posix()
                result[rel] = (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
        return result

    def rewritten(self, before: dict[str, tuple[int, str]]) -> set[str]:
        after = self.snapshot()
        return {p for p in after if before.get(p, (None,))[0] != after[p][0]}


AGGREGATES = {"export_registry.json", "export_registry.sqlite", "export_registry.sqlite-wal",
              "export_registry.sqlite-shm", "report.html"}


def story_files(snapshot: dict[str, tuple[int, str]], story_id: str) -> set[str]:
    return {p for p in snapshot if Path(p).name.startswith(f"{story_id}_") or Path(p).name == f"{story_id}.mp4"}


def make_project(root: Path) -> Project:
    (root / "src").mkdir(parents=True)
    for seed, story in enumerate(MANIFEST["stories"]):
        generate_sample(root / story["source"], seed=seed, **CLIP)
    shutil.copytree(builtin_platforms_dir(), root / "platforms")
    shutil.copyfile(REPO / "dodo.py", root / "dodo.py")
    shutil.copyfile(REPO / "doit.cfg", root / "doit.cfg")
    project = Project(root)
    project.write(MANIFEST)
    return project


@pytest.fixture(scope="session")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One fully built project per test session; tests work on copies of it."""
    root = tmp_path_factory.mktemp("template") / "project"
    project = make_project(root)
    cwd = Path.cwd()
    try:
        assert project.build() == 0
    finally:
        os.chdir(cwd)
    return root


@pytest.fixture
def project(built_template: Path, tmp_path: Path) -> Iterator[Project]:
    """A built project (copied with its mtimes, so doit sees it as up to date)."""
    root = tmp_path / "project"
    shutil.copytree(built_template, root, copy_function=shutil.copy2)
    cwd = Path.cwd()
    yield Project(root)
    os.chdir(cwd)


@pytest.fixture
def fresh_project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "project")
