"""An output folder that is a file (or lies under one) is one line naming the manifest's line, in every command,
even when the manifest itself is unchanged since a check that passed (the cached one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storyexport.cli import main

REPO = Path(__file__).resolve().parents[2]
MANIFEST = """\
version: 1
output_dir: out/final
stories:
  - {id: one, title: One, segment: s, age_group: a, source: one.mp4}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copyfile(REPO / "dodo.py", tmp_path / "dodo.py")
    (tmp_path / "exports.yaml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


def test_every_command_names_the_file_in_the_way(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = str(root / "exports.yaml")
    cwd = Path.cwd()
    try:
        assert main(["plan", "-m", manifest]) == 0  # valid, and the check is now cached
        capsys.readouterr()
        shutil.rmtree(root / "out")
        (root / "out").write_text("my notes", encoding="utf-8")
        expected = f"{manifest}:2:13: output_dir 'out/final': {root / 'out'} is a file, not a folder"
        for command in (["plan", "-m", manifest], ["build", "-m", manifest, "--progress", "plain"],
                        ["validate", "-m", manifest]):
            assert main(command) == 1, command
            captured = capsys.readouterr()
            output = captured.out + captured.err
            assert expected in output and "Traceback" not in output, command
    finally:
        os.chdir(cwd)
    doit = subprocess.run([sys.executable, "-m", "doit"], cwd=root, capture_output=True, text=True, check=False,
                          env={**os.environ, "STORYEXPORT_STAMP": "off"}, timeout=120)
    assert doit.returncode == 3 and expected in doit.stderr and "Traceback" not in doit.stderr, doit.stderr
    assert (root / "out").read_text(encoding="utf-8") == "my notes"
