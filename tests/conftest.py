"""Fixtures shared by every test folder."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from storyexport.cli import main


@pytest.fixture
def cli(capsys) -> Callable[..., tuple[int, str, str]]:
    """``cli(*argv)`` runs ``storyexport ARGV`` in this process: (exit code, stdout, stderr); argparse exits too."""

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
        return (code, *capsys.readouterr())

    return run


# Runs one command from a small wrapper process and reports the command's peak memory. Not straight from the test
# process: Linux carries a process's peak RSS over fork and exec, so a child of a large pytest worker would report
# the worker's size. The command gets at most 2 GB of address space: a regression must not take a shared machine
# down with it.
_MEASURE = """import json, resource, subprocess, sys
cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], capture_output=True, text=True, timeout=300, preexec_fn=cap)
print(json.dumps({"code": done.returncode, "stderr": done.stderr, "stdout": done.stdout,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@pytest.fixture
def peak_memory() -> Callable[..., dict]:
    """``peak_memory(cwd, *command)``: {code, stdout, stderr, maxrss_kb} of the command run in ``cwd``."""

    def measure(cwd: Path, *command: str) -> dict:
        done = subprocess.run([sys.executable, "-c", _MEASURE, str(cwd), *command], capture_output=True, text=True,
                              timeout=400, check=True)
        return json.loads(done.stdout)

    return measure
