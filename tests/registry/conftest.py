"""Fixtures for registry tests: a registry in tmp_path with a deterministic clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storyexport.registry import ExportRegistry


class StepClock:
    """Each call returns the next minute from a fixed start, so timestamps are predictable and ordered."""

    def __init__(self, start: datetime = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)):
        self.moment = start - timedelta(minutes=1)

    def __call__(self) -> datetime:
        self.moment += timedelta(minutes=1)
        return self.moment


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "final" / "export_registry.sqlite"


@pytest.fixture
def registry(db_path: Path, clock: StepClock) -> ExportRegistry:
    reg = ExportRegistry(db_path, clock=clock)
    yield reg
    reg.close()


@pytest.fixture
def make_clock() -> type[StepClock]:
    return StepClock


@pytest.fixture
def register():
    """``register(registry, id, segment, age_group, platforms)``: register a story with predictable paths."""
    return register_sample


def register_sample(registry: ExportRegistry, title_id: str = "abc12345", segment: str = "women",
                    age_group: str = "18-23", platforms: tuple[str, ...] = ("youtube", "tiktok")) -> None:
    registry.register_export(title_id, f"Story {title_id}", segment, age_group, f"/v/{title_id}.mp4",
                             f"/v/{title_id}_thumbnail.jpg", f"/v/{title_id}_metadata.json", platforms=platforms)
