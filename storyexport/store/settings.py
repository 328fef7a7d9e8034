"""The store's configuration, carried by environment variables so every process of a build sees the same one.

``storyexport build --store URL [--store-read-only] [--shard i/N]`` sets them; so does the ``run`` plugin of
``doit -P dask --store URL``; plain ``doit`` reads them as the user exported them. Importing this module costs
nothing (no fsspec): a build without a store never loads the store stack.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

STORE_ENV = "STORYEXPORT_STORE"
READ_ONLY_ENV = "STORYEXPORT_STORE_READ_ONLY"
SHARD_ENV = "STORYEXPORT_SHARD"
CACHED_ATTR = "storyexport_cached"  # set on a doit Task whose outputs were restored from the cache (remote.py)

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class StoreSettingsError(ValueError):
    """A malformed store setting; the message is one line naming the option or variable."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based, as a CI matrix counts): a story belongs to exactly one shard, chosen
    from a hash of its id alone, so adding, removing or reordering other stories never moves it."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str, source: str = "--shard") -> Shard:
        index, sep, count = text.strip().partition("/")
        if not sep or not index.isdigit() or not count.isdigit() or not 1 <= int(index) <= int(count):
            raise StoreSettingsError(f"{source}: expected i/N with 1 <= i <= N (e.g. 2/4), got {text!r}")
        return cls(int(index), int(count))

    def includes(self, story_id: str) -> bool:
        return shard_of(story_id, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(story_id: str, count: int) -> int:
    """The 1-based shard of a story among ``count``: stable across runs, machines and Python versions."""
    return int.from_bytes(hashlib.sha256(story_id.encode("utf-8")).digest()[:8], "big") % count + 1


@dataclass(frozen=True)
class StoreSettings:
    url: str | None = None
    read_only: bool = False
    shard: Shard | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def to_env(self) -> dict[str, str]:
        """The variables that carry these settings to every process of the build (empty ones unset a variable)."""
        return {STORE_ENV: self.url or "", READ_ONLY_ENV: "1" if self.read_only else "",
                SHARD_ENV: str(self.shard) if self.shard else ""}


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise StoreSettingsError(f"{name}: expected 1 or 0, got {value!r}")


def from_env(env: Mapping[str, str] | None = None) -> StoreSettings:
    """The settings in ``env`` (default: this process's environment). Raises ``StoreSettingsError``."""
    env = os.environ if env is None else env
    url = env.get(STORE_ENV, "").strip() or None
    shard_text = env.get(SHARD_ENV, "").strip()
    return StoreSettings(url=url, read_only=_flag(env.get(READ_ONLY_ENV, ""), READ_ONLY_ENV),
                         shard=Shard.parse(shard_text, SHARD_ENV) if shard_text else None)


def overridden(url: str | None, read_only: bool | None, shard: str | None,
               env: Mapping[str, str] | None = None) -> StoreSettings:
    """Command-line options (None or empty: not given) over the environment's variables. Raises
    ``StoreSettingsError``, also for a shard without a store."""
    current = from_env(env)
    settings = StoreSettings(url=url or current.url, read_only=current.read_only if read_only is None else read_only,
                             shard=Shard.parse(shard) if shard else current.shard)
    problem = usage_problem(settings)
    if problem:
        raise StoreSettingsError(problem)
    return settings


def usage_problem(settings: StoreSettings) -> str | None:
    """An option that needs a store, given without one (checked before anything runs, even a stamped no-op)."""
    if settings.shard and not settings.url:
        return "--shard needs --store URL (the final run restores every shard's outputs from it)"
    if settings.read_only and not settings.url:
        return "--store-read-only needs --store URL (or STORYEXPORT_STORE)"
    return None


def apply(settings: StoreSettings, env: dict[str, str] | None = None) -> None:
    """Export ``settings`` to ``env`` (default: ``os.environ``), removing the variables of unset ones."""
    target = os.environ if env is None else env
    for name, value in settings.to_env().items():
        if value:
            target[name] = value
        else:
            target.pop(name, None)
