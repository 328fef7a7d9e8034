"""Atomic, deterministic file writes: a temp file in the target's folder, then ``os.replace``.

An interrupted build therefore never leaves a truncated file at a target path, and readers see either the old or
the new content.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success it replaces ``target``, on failure it is removed.

    ``suffix`` defaults to the target's own, so tools that pick a format by extension (ffmpeg) still work.
    """
    target = Path(target)
    _refuse_special(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix or target.suffix}",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _refuse_special(target: Path) -> None:
    """Never replace a folder, device, FIFO or socket with a file (``report -o /dev/null`` as root would replace
    the device node): only a regular file (or a link to one, or nothing) is ever replaced."""
    if target.is_dir():
        raise OSError(errno.EISDIR, "is a folder, not a file", str(target))
    if target.exists() and not target.is_file():
        raise OSError(errno.EEXIST, "exists and is not a regular file, so it is not replaced", str(target))


def _remove_stale_temps(target: Path) -> None:
    """Temp files a killed writer of ``target`` left behind (only one task ever writes a given target)."""
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp*"):
        with contextlib.suppress(OSError):
            stale.unlink()


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: Path, text: str) -> None:
    write_bytes_atomic(target, text.encode("utf-8"))


def dumps_json(data: object) -> str:  # any JSON document (json.dumps names what it cannot write)
    """Canonical JSON for output files: sorted keys, 2-space indent, real UTF-8, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json_atomic(target: Path, data: object) -> None:
    write_text_atomic(target, dumps_json(data))
