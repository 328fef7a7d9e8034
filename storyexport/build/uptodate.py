"""doit ``uptodate`` items that remember what they compared, so ``plan`` can explain and checks stay cheap.

``ConfigSlice`` is doit's ``config_changed`` keeping the slice itself: ``storyexport plan`` names the changed keys,
and ``doit clean orphans`` finds the outputs of removed stories through the stored targets. ``InputsDigest`` lets
the aggregate tasks depend on files that may be missing (a story that failed).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from collections.abc import Mapping

from storyexport.build.doit_types import DoitTask, SavedValues
from storyexport.jsontypes import JSONObject

CONFIG_KEY = "_storyexport_config"
TARGETS_KEY = "_storyexport_targets"
INPUTS_KEY = "_storyexport_inputs"
STORE_KEY = "_storyexport_store"

# doit inspects every uptodate callable for its magic ``task``/``values`` arguments; on thousands of tasks
# ``inspect.signature`` of an instance costs more than the check itself, so the classes state it once.
_SIGNATURE = inspect.Signature([inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                                for name in ("task", "values")])


def canonical(config: Mapping[str, object]) -> str:
    return json.dumps(config, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class ConfigSlice:
    """An ``uptodate`` item: true while the stored slice equals the current one."""

    __signature__ = _SIGNATURE

    def __init__(self, recipe: int, config: Mapping[str, object], targets: list[str]):
        self.recipe = recipe
        self.config: dict[str, object] = {"recipe": recipe, **config}
        self.targets = targets
        self._canonical: str | None = None

    def text(self) -> str:
        if self._canonical is None:
            self._canonical = canonical(self.config)
        return self._canonical

    def configure_task(self, task: DoitTask) -> None:
        task.value_savers.append(self.saved_values)

    def saved_values(self) -> SavedValues:
        return {CONFIG_KEY: self.text(), TARGETS_KEY: self.targets}

    def __call__(self, task: DoitTask, values: SavedValues) -> bool:
        return values.get(CONFIG_KEY) == self.text()

    def __repr__(self) -> str:
        return f"ConfigSlice({self.text()})"


def changed_keys(old: JSONObject | None, new: JSONObject, prefix: str = "") -> list[str]:
    """Dotted names of the keys whose values differ (``plan`` shows them)."""
    if old is None:
        return ["(never built)"]
    keys = sorted(set(old) | set(new))
    out: list[str] = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += changed_keys(a, b, f"{name}.")
        elif a != b:
            out.append(name)
    return out


class InputsDigest:
    """An ``uptodate`` item over files that may be missing: true while their content is unchanged.

    Aggregate tasks (registry, report) read every story's outputs but must still run when one story failed, so they
    cannot name those outputs as ``file_dep`` (doit would stop at the first missing one). The content digest is
    remembered in the persistent hash cache under a digest of the files' stats, so an unchanged set of files costs
    one ``stat`` each, however often it is checked without running.
    """

    __signature__ = _SIGNATURE

    def __init__(self, paths: list[str], cache_path: str):
        self.paths = paths
        self.cache_path = cache_path
        self.digest: str | None = None

    def configure_task(self, task: DoitTask) -> None:
        task.value_savers.append(self.saved_values)

    def saved_values(self) -> SavedValues:
        return {INPUTS_KEY: self.digest or self.compute()}

    def compute(self) -> str:
        from storyexport.build import stamp
        from storyexport.build.checker import shared_cache

        cache = shared_cache(self.cache_path)
        stats: list[os.stat_result | None] = []
        signature = hashlib.md5()
        for path in self.paths:
            stat = _stat_or_none(path)
            if stat is not None:
                stamp.observe(path, stat)
            stats.append(stat)
            signature.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode() if stat else
                             f"{path}\0missing\n".encode())
        key = "inputs:" + hashlib.md5("\0".join(self.paths).encode()).hexdigest()
        remembered = cache.memo(key)
        if isinstance(remembered, list) and len(remembered) == 2 and remembered[0] == signature.hexdigest():
            self.digest = str(remembered[1])
            return self.digest
        content = hashlib.md5()
        for path, stat in zip(self.paths, stats, strict=True):
            content.update(f"{path}\0{cache.digest(path, stat) if stat else 'missing'}\n".encode())
        self.digest = content.hexdigest()
        cache.remember(key, [signature.hexdigest(), self.digest])
        return self.digest

    def __call__(self, task: DoitTask, values: SavedValues) -> bool:
        return values.get(INPUTS_KEY) == self.compute()

    def __repr__(self) -> str:
        return f"InputsDigest({len(self.paths)} files)"


class StorePresent:
    """An ``uptodate`` item of the registry task: true while the registry database it last wrote is still there.

    The database is not a target (publish and performance updates change it all the time), so doit would not see it
    deleted or replaced. Its ``created_at`` identifies it, also in a copy (a restored CI cache). The check reads the
    main file untouched first, so a no-op build leaves SQLite's files alone, and opens it normally only to confirm
    a mismatch. Build events never create a missing store (see ``BuildReporter``): only the registry task does.
    """

    __signature__ = _SIGNATURE

    def __init__(self, path: str):
        self.path = path

    def configure_task(self, task: DoitTask) -> None:
        task.value_savers.append(self.saved_values)

    def created_at(self, untouched: bool = False) -> str | None:
        from pathlib import Path

        from storyexport.registry.sync import store_created_at

        return store_created_at(Path(self.path), untouched=untouched)

    def saved_values(self) -> SavedValues:
        return {STORE_KEY: self.created_at()}

    def __call__(self, task: DoitTask, values: SavedValues) -> bool:
        stored = values.get(STORE_KEY)
        if not isinstance(stored, str) or not os.path.isfile(self.path):
            return False
        return self.created_at(untouched=True) == stored or self.created_at() == stored

    def __repr__(self) -> str:
        return f"registry database {self.path} missing or replaced"


def _stat_or_none(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None
