"""Locate the schemas and built-in platform rules, both in a source checkout and in an installed wheel.

The top-level ``schemas/`` and ``platforms/`` folders are the single source; the wheel carries a copy of them under
``storyexport/_data`` (see pyproject.toml), so an installed package never reaches outside itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    bundled = _PACKAGE_DIR / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / name


def schemas_dir() -> Path:
    return _data_dir("schemas")


def builtin_platforms_dir() -> Path:
    return _data_dir("platforms")


def example_file(name: str) -> Path:
    """The example project's files (``exports.yaml``, ``dodo.py``): bundled in a wheel, at the top of a checkout."""
    bundled = _PACKAGE_DIR / "_data" / "example" / name
    return bundled if bundled.is_file() else _PACKAGE_DIR.parent / name


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load ``schemas/{name}.schema.json`` (cached: schemas never change during a run)."""
    return json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
