"""Reading the files a user imports (analytics CSV, the guide's registry JSON) and the counts in them, within bounds.

An import names any path: a folder, ``/dev/zero``, a FIFO or a multi-gigabyte file must end in a one-line
``RegistryError``, never a traceback or a hang; a count must fit the store's signed 64-bit INTEGER.
"""

from __future__ import annotations

import math
import stat
from pathlib import Path

from storyexport.registry.errors import RegistryError

MAX_COUNT = 2**63 - 1  # SQLite's largest INTEGER
MAX_IMPORT_BYTES = 256 * 1024 * 1024  # far above any analytics export or registry


def read_import_text(path: Path, encoding: str = "utf-8") -> str:
    """The text of a regular file of at most ``MAX_IMPORT_BYTES``; anything else is a one-line error."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise RegistryError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise RegistryError(f"{path}: not a regular file (a device, FIFO or socket cannot be imported)")
        if info.st_size > MAX_IMPORT_BYTES:
            raise RegistryError(f"{path}: {info.st_size:,} bytes is too large to import "
                                f"(at most {MAX_IMPORT_BYTES:,})")
        with path.open("rb") as handle:
            data = handle.read(MAX_IMPORT_BYTES + 1)  # the file may grow between stat and read
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: file not found") from exc
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_IMPORT_BYTES:
        raise RegistryError(f"{path}: too large to import (at most {MAX_IMPORT_BYTES:,} bytes)")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not {encoding.upper().removesuffix('-SIG')} text: {exc.reason} "
                            f"at byte {exc.start}") from exc


def check_count(value: float | int, what: str = "count") -> int:
    """``value`` as a whole count the store can hold; ValueError (with the reason) otherwise."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} is not a finite number")
    if value < 0:
        raise ValueError(f"{what} must not be negative")
    if value > MAX_COUNT:
        raise ValueError(f"{what} is larger than the registry can store (at most {MAX_COUNT:,})")
    return round(value)
