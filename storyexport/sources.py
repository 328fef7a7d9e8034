"""What a story's source may be: a regular local file. Anything else is named for what it is.

A folder, a named pipe or a device used to be reported as "does not exist" (or, for a FIFO, could hang the probe
waiting for a writer), and a URL was mangled into a path (``https:/example.com/…``).
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
MISSING = "does not exist"
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def is_url(text: str) -> bool:
    """``scheme://…``: a remote or ``file://`` address rather than a path."""
    return bool(_URL.match(text.strip()))


def url_problem(text: str) -> str:
    return f"source '{text}' is a URL; URLs are not supported: download the video and give its path"


def source_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a video file (``MISSING``, or what it is instead); None for a regular file."""
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return MISSING
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"is {kind}, not a video file"
