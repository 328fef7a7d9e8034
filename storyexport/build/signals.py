"""SIGTERM (what CI cancellation sends after SIGINT) handled like Ctrl-C.

doit saves its dependency database when a run ends, including on KeyboardInterrupt, but not on SIGTERM: finished work
would be forgotten and rebuilt. Turning SIGTERM into KeyboardInterrupt in the main process makes doit stop its
workers and save what finished. Worker processes get SIGTERM's default disposition back as soon as they are forked,
since that is how doit's main process stops them; and the interrupt ends with one line instead of a traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType

_fork_hook_installed = False


def _terminate_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _default_sigterm_in_child() -> None:
    """Forked workers must die on SIGTERM at once, as doit expects when it stops them. A Python-level handler
    would not do: the signal may be delivered to the worker's queue feeder thread, and the handler only runs
    when the main thread, blocked reading the job queue, next executes Python code, which is never."""
    if signal.getsignal(signal.SIGTERM) is _terminate_as_interrupt:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


INTERRUPTED_EXIT = 130


def exit_after_interrupt() -> None:
    """End the process at once after an interrupt: doit has already saved its database (in ``finally``).

    A normal interpreter exit would run multiprocessing's finalizers, which join the job queue's feeder thread; an
    interrupt that landed inside ``Queue.put`` can leave that thread waiting forever, so the process would hang.
    """
    print("storyexport: interrupted; finished tasks were saved and will not rerun", file=sys.stderr)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT)


def _quiet_interrupt_hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        exit_after_interrupt()
    sys.__excepthook__(kind, value, tb)


def _install() -> signal.Handlers | Callable[[int, FrameType | None], object] | int | None:
    """Handle SIGTERM as an interrupt; returns the handler it replaced."""
    global _fork_hook_installed
    if not _fork_hook_installed:
        os.register_at_fork(after_in_child=_default_sigterm_in_child)
        _fork_hook_installed = True
    return signal.signal(signal.SIGTERM, _terminate_as_interrupt)


def handle_sigterm() -> None:
    """For ``doit`` itself (dodo.py): SIGTERM saves finished work, and an interrupt ends with one line."""
    if threading.current_thread() is threading.main_thread():
        _install()
        sys.excepthook = _quiet_interrupt_hook


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """For in-process runs (``storyexport build``, ``BatchExporter``): restore the caller's handler afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = _install()
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
