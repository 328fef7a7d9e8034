"""``doit clean orphans``: remove the outputs of stories that are no longer in the manifest.

doit only knows the tasks of the current manifest, so a removed story's files would stay forever. Each task stores
its targets in doit's database (see ``uptodate.ConfigSlice``); entries whose story id is gone name the files to
delete. Only files a task of ours recorded as its target are ever removed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from storyexport.build.doit_internals import recorded_values
from storyexport.build.uptodate import TARGETS_KEY

STORY_KINDS = ("video", "thumbnails", "metadata", "platform")


def orphan_targets(dep_file: Path, current_ids: set[str]) -> list[Path]:
    found: set[Path] = set()
    for name, values in recorded_values(dep_file).items():
        kind, _, rest = name.partition(":")
        story_id = rest.split(":")[0]
        if kind in STORY_KINDS and story_id and story_id not in current_ids:
            found.update(Path(p) for p in values.get(TARGETS_KEY, []))
    return sorted(found)


def remove_orphans(dep_file: str, current_ids: list[str]) -> None:
    for path in orphan_targets(Path(dep_file), set(current_ids)):
        if path.is_file():
            path.unlink()
            print(f"removed {path}")
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when the folder is now empty
