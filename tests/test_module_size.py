"""No module over 400 lines (the project's style rule): a module that grows past it is split, not excused."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIMIT = 400


def test_no_module_is_over_the_limit() -> None:
    sources = [*REPO.joinpath("storyexport").rglob("*.py"), *REPO.joinpath("bench").rglob("*.py"), REPO / "dodo.py"]
    assert len(sources) > 50  # the walk found the package
    too_long = {str(path.relative_to(REPO)): count for path in sources
                if (count := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert not too_long, f"split these modules (over {LIMIT} lines): {too_long}"
