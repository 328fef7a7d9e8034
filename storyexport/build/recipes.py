"""Recipe versions: the code behind each task kind, as data doit can compare.

doit does not track actions, so a changed algorithm would otherwise leave stale outputs. Every task's
``config_changed`` slice includes its kind's recipe version: bump one number here when the code that produces that
kind of output changes, and exactly those outputs are rebuilt.
"""

from __future__ import annotations

RECIPES: dict[str, int] = {
    "sample": 1,
    "video": 1,
    "thumbnails": 3,  # 2: the scores record the probe; 3: picture area, fit, shot-aware options (issue 12)
    "metadata": 1,
    "platform": 1,
    "registry": 1,
    "report": 1,
}


def recipe(kind: str) -> int:
    return RECIPES[kind]
