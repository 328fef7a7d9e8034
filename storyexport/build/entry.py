"""What ``dodo.py`` calls: answer a no-op from the up-to-date stamp, or load the manifest and its task graph.

Kept apart from ``loader`` so that a stamped no-op imports nothing heavy: no YAML, no JSON Schema, no task graph.
"""

from __future__ import annotations

import sys
from typing import Any

from storyexport.build import stamp
from storyexport.build.invocation import dodo_invocation
from storyexport.build.reporter import BuildReporter
from storyexport.build.signals import handle_sigterm


def answer_from_stamp(scope: stamp.StampScope, progress: str) -> bool:
    """Print what a no-op prints and return True when the stamp shows that nothing changed."""
    names = stamp.fresh_tasks(scope)
    if names is None:
        return False
    BuildReporter(sys.stdout, mode=progress).report_up_to_date(names)
    return True


def dodo_namespace(manifest_path: str, progress: str = "auto") -> dict[str, Any]:
    """For ``dodo.py``: the namespace doit loads tasks from. A plain run that the stamp answers ends here (exit 0);
    on a bad manifest print one line per problem and exit 3 (doit's load-error code)."""
    handle_sigterm()
    invocation = dodo_invocation()
    scope = stamp.StampScope.create(manifest_path, invocation.dodo_file)
    if invocation.plain_run and answer_from_stamp(scope, progress):
        raise SystemExit(0)
    start = stamp.start(scope) if invocation.plain_run else None

    from storyexport.build.loader import build_namespace
    from storyexport.config.problems import ConfigError

    try:
        return build_namespace(manifest_path, progress=progress, stamp_start=start)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        raise SystemExit(3) from None
    except FileNotFoundError as exc:
        print(f"storyexport: {exc}", file=sys.stderr)
        raise SystemExit(3) from None
