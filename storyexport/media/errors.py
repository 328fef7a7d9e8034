"""The one error type the media stage raises: its ``str()`` is a single line that names the file."""

from __future__ import annotations


class MediaError(Exception):
    """A media file could not be probed, exported or analysed (the message is one line, naming the file)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
