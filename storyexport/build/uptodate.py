"""``ConfigSlice``: doit's ``config_changed``, keeping the slice itself so ``plan`` can say which key changed.

doit's own ``config_changed`` stores only an md5 of the configuration; we store the JSON slice (small: one story's
options) plus the task's targets, so that ``storyexport plan`` can name the changed keys and ``doit clean orphans``
can find the outputs of stories that were removed from the manifest.
"""

from __future__ import annotations

import json
from typing import Any

CONFIG_KEY = "_storyexport_config"
TARGETS_KEY = "_storyexport_targets"


def canonical(config: dict[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class ConfigSlice:
    """An ``uptodate`` item: true while the stored slice equals the current one."""

    def __init__(self, config: dict[str, Any], targets: list[str]):
        self.config = config
        self.targets = targets

    def configure_task(self, task: Any) -> None:
        task.value_savers.append(self.saved_values)

    def saved_values(self) -> dict[str, Any]:
        return {CONFIG_KEY: canonical(self.config), TARGETS_KEY: self.targets}

    def __call__(self, task: Any, values: dict[str, Any]) -> bool:
        return values.get(CONFIG_KEY) == canonical(self.config)

    def __repr__(self) -> str:
        return f"ConfigSlice({canonical(self.config)})"


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


INPUTS_KEY = "_storyexport_inputs"


class InputsDigest:
    """An ``uptodate`` item over files that may be missing: true while their content digest is unchanged.

    Aggregate tasks (registry, report) read every story's outputs but must still run when one story failed, so they
    cannot name those outputs as ``file_dep`` (doit would stop at the first missing one). Hashing goes through the
    persistent hash cache, so an unchanged file costs one ``stat``.
    """

    def __init__(self, paths: list[str], cache_path: str):
        self.paths = paths
        self.cache_path = cache_path
        self.digest: str | None = None

    def configure_task(self, task: Any) -> None:
        task.value_savers.append(self.saved_values)

    def saved_values(self) -> dict[str, Any]:
        return {INPUTS_KEY: self.digest}

    def compute(self) -> str:
        import hashlib
        import os

        from storyexport.build.checker import shared_cache

        cache = shared_cache(self.cache_path)
        digest = hashlib.md5()
        for path in self.paths:
            try:
                stat = os.stat(path)
            except OSError:
                digest.update(f"{path}\0missing\n".encode())
                continue
            digest.update(f"{path}\0{cache.md5(path, stat)}\n".encode())
        return digest.hexdigest()

    def __call__(self, task: Any, values: dict[str, Any]) -> bool:
        self.digest = self.compute()
        return values.get(INPUTS_KEY) == self.digest

    def __repr__(self) -> str:
        return f"InputsDigest({len(self.paths)} files)"
