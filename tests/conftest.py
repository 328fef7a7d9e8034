"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Callable

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
