"""The stages import one way (docs/architecture.md, "Who may import whom"): checked on the source, not trusted."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "storyexport"
# shared helpers of every stage
BASE = {"environment", "fsutil", "jsontypes", "layout", "resources", "sources", "textsafe"}

# stage -> the stages it must never import (also not lazily inside a function)
FORBIDDEN = {
    "config": {"media", "build", "registry", "report", "store", "cli"},
    "metadata": {"media", "build", "registry", "report", "store", "cli"},
    "media": {"metadata", "build", "registry", "report", "store", "cli"},
    "registry": {"media", "metadata", "build", "report", "store", "cli"},
    "report": {"media", "build", "store", "cli"},
    "store": {"metadata", "registry", "report", "cli"},
    "build": {"cli"},
    "cli": set(),  # the command line may use every stage
    **{module: {"media", "metadata", "build", "registry", "report", "store", "cli"} for module in BASE},
}
MEDIA_LIBRARIES = {"av", "cv2", "ffmpeg", "imageio_ffmpeg"}  # ffmpeg and OpenCV only inside storyexport/media


def _stage(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in the file, top-level or inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            if node.module == "storyexport":  # from storyexport import layout
                yield from ((node.lineno, f"storyexport.{alias.name}") for alias in node.names)


def _stage_of_import(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "storyexport" and len(parts) > 1 else None


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_stage_is_known() -> None:
    stages = {_stage(path) for path in SOURCES} - {"__init__", "__main__"}
    assert stages == set(FORBIDDEN), "add the new stage to FORBIDDEN and to docs/architecture.md"


def _wrong_imports(path: Path) -> Iterator[str]:
    stage = _stage(path)
    forbidden = FORBIDDEN.get(stage, set())
    for line, module in _imports(path):
        if _stage_of_import(module) in forbidden or (stage != "media" and module.split(".")[0] in MEDIA_LIBRARIES):
            yield f"{path.relative_to(PACKAGE)}:{line} ({stage}) imports {module}"


def test_no_stage_imports_one_it_must_not() -> None:
    wrong = [problem for path in SOURCES for problem in _wrong_imports(path)]
    assert not wrong, "\n".join(wrong)
