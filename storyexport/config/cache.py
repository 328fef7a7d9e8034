"""Skip re-validating a manifest that has not changed since the last build.

Every doit invocation re-reads the manifest; for 1,000 stories YAML parsing, JSON Schema validation and the rules
checks cost more than doit's whole no-op. The result of a successful check is kept in
``{manifest folder}/.storyexport/config-cache.json``, keyed by the manifest's sha256, the tool version and the
stat signature of the platform rules it used. Any change to any of them validates from scratch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from storyexport import __version__
from storyexport.config.model import ManifestData
from storyexport.config.rules_model import RulesByPlatform
from storyexport.fsutil import write_text_atomic
from storyexport.resources import rules_candidates

CACHE_NAME = "config-cache.json"


def cache_file(manifest_path: Path) -> Path:
    return manifest_path.parent / ".storyexport" / CACHE_NAME


def rules_signature(rules_dir: Path) -> list[list[str | int]]:
    try:
        entries = rules_candidates(rules_dir)
    except OSError:
        return []
    return [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in entries]


def cache_key(manifest_bytes: bytes, manifest_path: Path, platforms_override: Path | None) -> str:
    local_rules = (manifest_path.parent / "platforms").is_dir()
    parts = [hashlib.sha256(manifest_bytes).hexdigest(), __version__, str(manifest_path), str(platforms_override),
             str(local_rules)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def load_cached(manifest_path: Path, key: str) -> tuple[ManifestData, Path, RulesByPlatform] | None:
    """(manifest data, rules folder, rules) when the cache matches; None otherwise."""
    try:
        entry = json.loads(cache_file(manifest_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if entry.get("key") != key:
        return None
    rules_dir = Path(entry["rules_dir"])
    if entry.get("rules_signature") != rules_signature(rules_dir):
        return None
    return entry["data"], rules_dir, entry["rules"]


def store(manifest_path: Path, key: str, data: ManifestData, rules_dir: Path,
          rules: RulesByPlatform) -> None:
    entry = {"key": key, "rules_dir": str(rules_dir), "rules_signature": rules_signature(rules_dir), "data": data,
             "rules": rules}
    with contextlib.suppress(OSError, TypeError, ValueError):  # a cache that cannot be written is only slower
        write_text_atomic(cache_file(manifest_path), json.dumps(entry, ensure_ascii=False))
