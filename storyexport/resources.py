"""Locate the schemas and platform rules: built-in ones in a source checkout or an installed wheel, a project's own.

The top-level ``schemas/`` and ``platforms/`` folders are the single source; the wheel carries a copy of them under
``storyexport/_data`` (see pyproject.toml), so an installed package never reaches outside itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from storyexport.jsontypes import JSONObject

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


RULES_SUFFIXES = (".yaml", ".yml")


def rules_candidates(rules_dir: Path | str) -> list[Path]:
    """Every ``*.yaml`` / ``*.yml`` file in the folder, sorted, hidden files skipped: ``x.yaml`` and ``x.yml`` both,
    which validation reports as a clash (the validated-manifest cache signs them all, so adding one is seen)."""
    return sorted(path for path in Path(rules_dir).iterdir()
                  if path.suffix in RULES_SUFFIXES and not path.name.startswith(".") and path.is_file())


def rules_files(rules_dir: Path | str) -> dict[str, Path]:
    """Platform name -> rules file (``x.yaml`` wins over ``x.yml``). The one lookup the loader, the task graph and
    the up-to-date stamp share; the stamp calls it on every no-op run, so this module stays light."""
    found: dict[str, Path] = {}
    for path in rules_candidates(rules_dir):
        found.setdefault(path.stem, path)
    return found


def rules_file(rules_dir: Path, platform: str) -> Path:
    """The rules file of ``platform`` (``<platform>.yaml`` when there is none yet, to name in errors)."""
    found = rules_files(rules_dir) if rules_dir.is_dir() else {}
    return found.get(platform, rules_dir / f"{platform}.yaml")


def example_file(name: str) -> Path:
    """The example project's files (``exports.yaml``, ``dodo.py``): bundled in a wheel, at the top of a checkout."""
    bundled = _PACKAGE_DIR / "_data" / "example" / name
    return bundled if bundled.is_file() else _PACKAGE_DIR.parent / name


@cache
def load_schema(name: str) -> JSONObject:
    """Load ``schemas/{name}.schema.json`` (cached: schemas never change during a run)."""
    return json.loads((schemas_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
