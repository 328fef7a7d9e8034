"""Checks on the names that become files and folders, and on where the outputs go.

A manifest that passes here builds the same way on Linux, macOS and Windows: no story id, segment or age group is
a Windows device name (``CON``, ``NUL``, ``COM1``…) or ends in a dot or space (Windows drops those), and no two ids
differ only in case (case-insensitive file systems would give both stories one set of files). The output folder
is a folder (not a file), and not one whose contents a build must never mix with: the file-system root, the
home folder, or the project folder itself or one above it (outputs would land among the sources).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from storyexport.config.problems import Problem

if TYPE_CHECKING:
    from storyexport.config.yamlpos import LoadedYaml

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PATH_KEYS = ("output_dir", "platforms_dir")
_DEVICE_NAMES = re.compile(r"CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³]", re.IGNORECASE)
STATE_DIR = ".storyexport"  # a BatchExporter's own manifest lives here, inside its output folder
STORY_NAME_KEYS = {"id": "story id", "segment": "segment", "age_group": "age group"}


def control_character_problems(loaded: LoadedYaml) -> list[Problem]:
    """Paths with a control character: a NUL is in no file name (the OS refuses it), and a newline, tab or ESC in
    a path is an accident. Checked first, so later checks never hand such a path to the file system."""
    data = loaded.data
    places: list[tuple[tuple[str | int, ...], object]] = [((key,), data.get(key)) for key in PATH_KEYS]
    places += [(("stories", i, "source"), s.get("source")) for i, s in enumerate(_items(data.get("stories")))]
    places += [(("samples", i, "path"), s.get("path")) for i, s in enumerate(_items(data.get("samples")))]
    return [loaded.problem(where, f"{where[-1]} {value!r} contains a control character")
            for where, value in places if isinstance(value, str) and _CONTROL.search(value)]


def _items(value: object) -> list[dict[str, object]]:
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


def windows_name_problem(name: str) -> str | None:
    """Why Windows cannot create a file or folder called ``name`` (None when it can)."""
    if name in ("", ".", ".."):
        return None
    if name[-1] in ". ":
        return "it ends with a dot or a space, which Windows drops"
    stem = name.split(".", 1)[0].rstrip(" ")
    if len(stem) in (3, 4) and _DEVICE_NAMES.fullmatch(stem):
        return f"{stem.upper()} is a reserved device name on Windows (with any extension)"
    return None


def story_name_problems(loaded: LoadedYaml, stories: list[tuple[int, dict[str, object]]]) -> list[Problem]:
    """Story ids, segments and age groups that Windows cannot use as file or folder names."""
    problems = []
    for index, story in stories:
        for key, label in STORY_NAME_KEYS.items():
            value = story.get(key)
            reason = windows_name_problem(value) if isinstance(value, str) else None
            if reason:
                problems.append(loaded.problem(("stories", index, key),
                                               f"{label} {value!r} cannot be a file name: {reason}"))
    return problems


def case_collision_problems(loaded: LoadedYaml, stories: list[tuple[int, dict[str, object]]]) -> list[Problem]:
    """Ids equal up to case: distinct on Linux, one set of files on macOS and Windows."""
    problems = []
    first_seen: dict[str, tuple[int, str]] = {}
    for index, story in stories:
        sid = story.get("id")
        if not isinstance(sid, str):
            continue
        earlier = first_seen.setdefault(sid.casefold(), (index, sid))
        if earlier[1] != sid:  # exact repeats are reported as duplicate ids
            line = loaded.where(("stories", earlier[0], "id")).line
            problems.append(loaded.problem(("stories", index, "id"),
                                           f"story id '{sid}' differs from '{earlier[1]}' (line {line}) only in "
                                           "case: their files would overwrite each other on macOS and Windows"))
    return problems


def output_dir_problems(loaded: LoadedYaml, default: str) -> list[Problem]:
    """``output_dir`` (``default`` when unset) names a usable folder that only the build writes into."""
    value = loaded.data.get("output_dir", default)
    if not isinstance(value, str) or not value.strip():
        return []  # the schema reports it
    messages = [*_output_name_problems(value), *_output_place_problems(value, loaded.path.parent)]
    return [loaded.problem(("output_dir",), message) for message in messages]


def _output_name_problems(value: str) -> Iterator[str]:
    for part in PurePath(value).parts:
        reason = windows_name_problem(part)
        if reason:
            yield f"output_dir '{value}': folder name '{part}' cannot be used: {reason}"


def resolved(path: Path) -> Path | None:
    """``path.resolve()``, or None when it cannot be resolved (a symbolic link loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def _output_place_problems(value: str, project: Path) -> Iterator[str]:
    target = resolved(project / value)
    if target is None:
        yield f"output_dir '{value}' cannot be resolved (a symbolic link loop?)"
        return
    blocker = output_dir_blocker(target)
    if blocker is not None:
        yield f"output_dir '{value}': {blocker} is a file, not a folder"
    elif target == Path(target.anchor):
        yield f"output_dir '{value}' is the root of the file system; use a folder of its own such as data/final"
    elif target == Path.home().resolve():
        yield f"output_dir '{value}' is your home folder; use a folder of its own such as data/final"
    elif (target == project or target in project.parents) and project != target / STATE_DIR:
        yield (f"output_dir '{value}' is the manifest's own folder or one above it, so outputs would mix with "
               "your sources; use a folder of its own such as data/final")


def output_dir_blocker(target: Path) -> Path | None:
    """The existing non-folder at ``target`` or on the way to it (None when the folder can exist)."""
    for path in (target, *target.parents):
        if path.exists() or path.is_symlink():
            return None if path.is_dir() else path
    return None
