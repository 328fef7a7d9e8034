"""The action cache: what a task produced, keyed by everything that decides what it produces.

The key is the SHA-256 of a canonical JSON document holding the task kind, its recipe version (``build.recipes``),
the configuration slice the task declares, the action and its arguments, the SHA-256 of every declared input, the
target paths, and the tool versions (storyexport, the ffmpeg build, OpenCV). Change any of them and the key
changes, so a stale entry is never found. The entry holds the digest of every target (the files themselves live in
the content store) and doit's ``values`` and ``result``, which downstream tasks and doit's database need as much
as the files.

Every story task is cached (``CACHED_KINDS``), so a final CI job after sharded runs restores each one instead of
running it: the media tasks cost seconds to minutes of CPU, the base metadata hashes the video and every thumbnail
it describes, and a platform task loads its rules and compiles and renders its templates (tens of milliseconds),
while restoring a small JSON file from a local store costs about a millisecond. The registry and report are never
cached: the SQLite registry holds publish status and performance history and never lives on the store.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from storyexport.build.uptodate import canonical
from storyexport.store.cas import ContentStore, sha256_file

CACHED_KINDS = frozenset({"sample", "video", "thumbnails", "metadata", "platform"})
ENTRIES = "ac/v1"
KEY_FORMAT = 1


@functools.cache
def tool_versions() -> dict[str, str]:
    """What else decides the bytes of a media output; also what coordinator and workers must agree on."""
    from storyexport import __version__
    from storyexport.media.versions import ffmpeg_build, libav_version, opencv_version

    return {"storyexport": __version__, "ffmpeg": ffmpeg_build(), "opencv": opencv_version(),
            "libav": libav_version()}


def tool_mismatch(expected: dict[str, str], here: dict[str, str] | None = None) -> str | None:
    """One line naming each tool whose version differs between ``expected`` (the coordinator's) and this process,
    or None when they agree."""
    here = tool_versions() if here is None else here
    differences = [f"{name} '{here.get(name)}' here, '{expected.get(name)}' on the coordinator"
                   for name in sorted(set(expected) | set(here)) if expected.get(name) != here.get(name)]
    return "refusing to work across versions: " + "; ".join(differences) if differences else None


@dataclass(frozen=True)
class ActionSpec:
    """One cacheable action, JSON-safe (it travels to workers): ``function`` is ``module:name`` of a module-level
    action in ``storyexport.build.actions``; ``inputs`` and ``targets`` are project-relative paths. ``record``:
    for targets that may be the user's own files (sample clips), the record of what storyexport generated
    (``build/generated.py``), which a restore checks and updates as the action does. Not part of the key (the
    action's arguments name it already)."""

    kind: str
    recipe: int
    config: dict[str, Any]
    function: str
    args: list[Any]
    inputs: list[str]
    targets: list[str]
    record: str | None = None

    @classmethod
    def for_action(cls, kind: str, recipe: int, config: dict[str, Any], action: Callable[..., Any],
                   args: list[Any], inputs: list[str], targets: list[str], record: str | None = None,
                   ) -> ActionSpec:
        return cls(kind, recipe, config, f"{action.__module__}:{action.__name__}", list(args), list(inputs),
                   list(targets), record)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionSpec:
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def resolve(self) -> Callable[..., Any]:
        module, _, name = self.function.partition(":")
        if not module.startswith("storyexport."):
            raise ValueError(f"refusing to run {self.function}: not a storyexport action")
        return getattr(importlib.import_module(module), name)


def input_digests(spec: ActionSpec, root: Path | str = ".") -> dict[str, str]:
    """SHA-256 of every declared input, read under ``root``. Raises ``FileNotFoundError`` for a missing one."""
    return {path: sha256_file(Path(root) / path) for path in spec.inputs}


def action_key(spec: ActionSpec, inputs: dict[str, str], tools: dict[str, str] | None = None) -> str:
    document = {"format": KEY_FORMAT, "kind": spec.kind, "recipe": spec.recipe, "config": spec.config,
                "function": spec.function, "args": spec.args, "inputs": inputs, "targets": spec.targets,
                "tools": tool_versions() if tools is None else tools}
    return hashlib.sha256(canonical(document).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """What one run of an action produced: target path -> digest, and doit's values and result."""

    targets: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    result: Any = None

    @classmethod
    def from_record(cls, record: dict[str, Any] | None) -> CacheEntry | None:
        if not record or not isinstance(record.get("targets"), dict) or not isinstance(record.get("values"), dict):
            return None
        return cls(targets=dict(record["targets"]), values=dict(record["values"]), result=record.get("result"))

    def to_record(self) -> dict[str, Any]:
        return {"targets": self.targets, "values": self.values, "result": self.result}


def entry_name(key: str) -> str:
    return f"{ENTRIES}/{key[:2]}/{key}.json"


class ActionCache:
    """Entries by action key, in a content store."""

    def __init__(self, store: ContentStore):
        self.store = store

    def get(self, key: str) -> CacheEntry | None:
        return CacheEntry.from_record(self.store.read_record(entry_name(key)))

    def put(self, key: str, entry: CacheEntry) -> None:
        """Record ``entry`` (after its targets were uploaded: an entry never names an object not yet there)."""
        self.store.write_record(entry_name(key), entry.to_record())

    def forget(self, key: str) -> None:
        self.store.remove_record(entry_name(key))


def upload_targets(store: ContentStore, targets: list[str], root: Path | str = ".") -> dict[str, str]:
    """Upload every target under ``root``; return path -> digest."""
    return {path: store.put_file(Path(root) / path) for path in targets}


def restore_targets(store: ContentStore, entry: CacheEntry, root: Path | str = ".", record: str | None = None,
                    ) -> None:
    """Download and verify every target of ``entry`` under ``root``. Raises ``FileNotFoundError`` (an object
    missing) or ``CorruptObject``; targets already placed stay (they are verified, and the task reruns anyway).
    With ``record`` (``ActionSpec.record``) a file storyexport did not generate is refused (``NotGeneratedError``,
    nothing restored) and what was restored is recorded as generated."""
    if record is None:
        placing: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    else:
        from storyexport.build.generated import placing_generated

        placing = placing_generated([Path(root) / path for path in entry.targets], Path(root) / record)
    with placing:
        for path, digest in entry.targets.items():
            store.fetch(digest, Path(root) / path)
