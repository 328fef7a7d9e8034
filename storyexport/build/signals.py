"""SIGTERM (what CI cancellation sends after SIGINT) handled like Ctrl-C.

doit saves its dependency database when a run ends, including on KeyboardInterrupt, but not on SIGTERM: finished work
would be forgotten and rebuilt. Turning SIGTERM into KeyboardInterrupt in the main process makes doit stop its
workers and save what finished.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


def _terminate_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def handle_sigterm() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate_as_interrupt)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """For in-process runs (``storyexport build``, ``BatchExporter``): restore the caller's handler afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
