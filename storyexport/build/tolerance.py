"""Let aggregate tasks run after their dependencies even when some of them failed.

doit (with ``--continue``) marks every dependent of a failed task as "UnmetDependency" and never runs it. That is
right for a story's own chain (no thumbnails without a video), but one bad story must not stop the registry and the
report of all the others. Tasks whose ``meta`` has ``AFTER_FAILURES`` treat their ``task_dep`` as order-only: they
wait for those tasks to finish, whatever the outcome. doit 0.37 has no such option, so this wraps
``ExecNode.parent_status`` (doit is pinned to 0.37.x in pyproject.toml).
"""

from __future__ import annotations

from typing import Any

from doit.control import ExecNode

AFTER_FAILURES = "storyexport_after_failures"
_original_parent_status = ExecNode.parent_status


def _parent_status(self: ExecNode, parent_node: Any) -> None:
    if parent_node.run_status == "failure" and (self.task.meta or {}).get(AFTER_FAILURES):
        return
    _original_parent_status(self, parent_node)


def install() -> None:
    """Idempotent: patch once per process (the main process is the one that dispatches tasks)."""
    ExecNode.parent_status = _parent_status
