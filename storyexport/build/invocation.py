"""Which doit command is loading the dodo file: only a plain run of the default tasks may use the stamp.

doit tells a dodo file nothing about its command line. The command object and its parsed options (command line and
config files together) are the locals of ``DoitCmdBase.execute``, which is on the stack while the dodo module is
imported, so they are read from there. Anything unexpected counts as "not a plain run" (another command, task
names, ``--always-execute``, a database, checker or reporter chosen on the command line, a dodo file imported
outside doit): the stamp is then neither used nor written, and doit checks everything as usual.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any

# Options that cannot change which tasks a run finds up to date, nor what it prints.
HARMLESS_OPTIONS = frozenset({"verbosity", "failure_verbosity", "num_process", "par_type", "continue", "single",
                              "pdb", "auto_delayed_regex", "dodoFile", "cwdPath", "seek_file"})


@dataclass(frozen=True)
class DodoInvocation:
    plain_run: bool
    dodo_file: str | None
    command: str | None = None  # doit's command name ("run", "list", ...), None outside doit


def _doit_execute_frame(frame: FrameType | None) -> FrameType | None:
    from doit.cmd_base import DoitCmdBase

    code = DoitCmdBase.execute.__code__
    while frame is not None and frame.f_code is not code:
        frame = frame.f_back
    return frame


def is_plain_run(command: Any, params: Any, args: Any) -> bool:
    from doit.cmd_run import Run

    explicit = getattr(params, "_non_default_keys", None)
    return (type(command) is Run and not args and isinstance(explicit, set) and explicit <= HARMLESS_OPTIONS
            and not params.get("always") and params.get("outfile") in (None, sys.stdout))


def dodo_invocation(depth: int = 2) -> DodoInvocation:
    """Called from the dodo file's helper: ``depth`` 2 is the dodo module's frame."""
    caller = sys._getframe(depth)
    dodo_file = caller.f_globals.get("__file__")
    frame = _doit_execute_frame(caller)
    if frame is None:
        return DodoInvocation(False, dodo_file)
    local = frame.f_locals
    command = local.get("self")
    return DodoInvocation(is_plain_run(command, local.get("params"), local.get("args")), dodo_file,
                          getattr(command, "name", None))
