"""Fixtures for the CLI tests: the report commands run on the report tests' generated project."""

from __future__ import annotations

from ..report.conftest import project

__all__ = ["project"]
