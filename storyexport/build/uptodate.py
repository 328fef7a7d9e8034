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
from typing import Any

CONFIG_KEY = "_storyexport_config"
TARGETS_KEY = "_storyexport_targets"
INPUTS_KEY = "_storyexport_inputs"
INPUTS_STAT_KEY = "_storyexport_inputs_stat"

# doit inspects every uptodate callable for its magic ``task``/``values`` arguments; on thousands of tasks
# ``inspect.signature`` of an instance costs more than the check itself, so the classes state it once.
_SIGNATURE = inspect.Signature([inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                                for name in ("task", "values")])


def canonical(config: dict[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class ConfigSlice:
    """An ``uptodate`` item: true while the stored slice equals the current one."""

    __signature__ = _SIGNATURE

    def __init__(self, config: dict[str, Any], targets: list[str]):
        self.config = config
        self.targets = targets
        self._canonical: str | None = None

    def text(self) -> str:
        if self._canonical is None:
            self._canonical = canonical(self.config)
        return self._canonical

    def configure_task(self, task: Any) -> None:
        task.value_savers.append(self.saved_values)

    def saved_values(self) -> dict[str, Any]:
        return {CONFIG_KEY: self.text(), TARGETS_KEY: self.targets}

    def __call__(self, task: Any, values: dict[str, Any]) -> bool:
        return values.get(CONFIG_KEY) == self.text()

    def __repr__(self) -> str:
        return f"ConfigSlice({self.text()})"


def changed_keys(old: dict[str, Any] | None, new: dict[str, Any], prefix: str = "") -> list[str]:
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
    cannot name those outputs as ``file_dep`` (doit would stop at the first missing one). A digest of the files'
    stats settles the common no-op case; only when a stat changed are contents compared, through the persistent
    hash cache.
    """

    __signature__ = _SIGNATURE

    def __init__(self, paths: list[str], cache_path: str):
        self.paths = paths
        self.cache_path = cache_path
        self.stat_digest: str | None = None
        self.digest: str | None = None

    def configure_task(self, task: Any) -> None:
        task.value_savers.append(self.saved_values)

    def saved_values(self) -> dict[str, Any]:
        if self.digest is None:
            self.digest = self._content_digest(self._stats())
        return {INPUTS_KEY: self.digest, INPUTS_STAT_KEY: self.stat_digest}

    def _stats(self) -> list[os.stat_result | None]:
        stats: list[os.stat_result | None] = []
        for path in self.paths:
            try:
                stats.append(os.stat(path))
            except OSError:
                stats.append(None)
        return stats

    def _content_digest(self, stats: list[os.stat_result | None]) -> str:
        from storyexport.build.checker import shared_cache

        cache = shared_cache(self.cache_path)
        digest = hashlib.md5()
        for path, stat in zip(self.paths, stats, strict=True):
            content = cache.md5(path, stat) if stat is not None else "missing"
            digest.update(f"{path}\0{content}\n".encode())
        return digest.hexdigest()

    def __call__(self, task: Any, values: dict[str, Any]) -> bool:
        stats = self._stats()
        signature = hashlib.md5()
        for path, stat in zip(self.paths, stats, strict=True):
            size, mtime = (stat.st_size, stat.st_mtime_ns) if stat is not None else (-1, -1)
            signature.update(f"{path}\0{size}\0{mtime}\n".encode())
        self.stat_digest = signature.hexdigest()
        if values.get(INPUTS_STAT_KEY) == self.stat_digest:
            self.digest = values.get(INPUTS_KEY)
            return True
        self.digest = self._content_digest(stats)
        return values.get(INPUTS_KEY) == self.digest

    def __repr__(self) -> str:
        return f"InputsDigest({len(self.paths)} files)"
