"""Many processes writing at once lose nothing: 8 processes x 100 updates, plus build events."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from storyexport.registry import ExportRegistry
from storyexport.registry.snapshot import validation_errors

pytestmark = pytest.mark.slow  # many processes writing one database

PROCESSES, UPDATES = 8, 100


def _worker(path: str, worker: int) -> None:
    registry = ExportRegistry(path)
    title_id = f"s{worker % 4}"
    for i in range(1, UPDATES + 1):
        if i % 10 == 0:
            registry.record_event("video", title_id, None, float(worker * 1000 + i), 0.5, True)
        elif i % 10 == 5:
            registry.update_publish_status(title_id, f"p{worker}", "published", f"https://x/{worker}/{i}")
        else:
            registry.update_performance(title_id, views=i, likes=worker, shares=0, platform=f"p{worker}")
    registry.close()


def test_concurrent_processes_lose_no_update(tmp_path):
    path = tmp_path / "export_registry.sqlite"
    setup = ExportRegistry(path)
    for n in range(4):
        setup.register_export(f"s{n}", f"Story {n}", "women", "18-23", f"s{n}.mp4")
    setup.close()

    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, as separate CLI and build processes are
    processes = [ctx.Process(target=_worker, args=(str(path), w)) for w in range(PROCESSES)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0] * PROCESSES

    registry = ExportRegistry(path)
    snapshots = registry.snapshots()
    per_worker = {w: sorted(s.counts.views for s in snapshots if s.platform == f"p{w}") for w in range(PROCESSES)}
    expected = [i for i in range(1, UPDATES + 1) if i % 10 not in (0, 5)]
    assert per_worker == {w: expected for w in range(PROCESSES)}
    assert len(registry.events()) == PROCESSES * UPDATES // 10
    doc = json.loads(registry.json_path.read_text())
    assert validation_errors(doc) == []
    for w in range(PROCESSES):  # the snapshot on disk shows every process's last write
        video = doc["videos"][f"s{w % 4}"]
        assert video["platforms"][f"p{w}"]["url"] == f"https://x/{w}/95"
    assert doc["videos"]["s0"]["performance"]["views"] == 2 * 99
