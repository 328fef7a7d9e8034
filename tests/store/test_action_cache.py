"""The action cache with real actions (ffmpeg on tiny clips) on a real file:// store."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyexport.build import actions
from storyexport.store import action_cache as ac
from storyexport.store.action_cache import ActionCache, ActionSpec, action_key, input_digests
from storyexport.store.cas import ContentStore
from storyexport.store.remote import adopt, run_cached, run_hermetic, spec_of

VIDEO = {"width": 360, "height": 640, "fps": 30}
TOOLS = {"storyexport": "1", "ffmpeg": "ffmpeg version 7", "opencv": "4.10"}


@contextlib.contextmanager
def cwd(path: Path) -> Iterator[Path]:
    previous = Path.cwd()
    path.mkdir(parents=True, exist_ok=True)
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(previous)


def sample_spec(seed: int = 0) -> ActionSpec:
    params = [1.0, 360, 640, 30, seed]
    return ActionSpec.for_action("sample", 1, {"recipe": 1, "params": params}, actions.make_sample,
                                 ["src/clip.mp4", ".storyexport/generated-files.json", *params], [], ["src/clip.mp4"])


def video_spec(config: dict | None = None) -> ActionSpec:
    config = config or {"video": VIDEO, "limits": {}}
    return ActionSpec.for_action("video", 1, {"recipe": 1, **config}, actions.export_video,
                                 ["clip", "src/clip.mp4", "out/clip.mp4", config["video"], config["limits"]],
                                 ["src/clip.mp4"], ["out/clip.mp4"])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_key_changes_with_every_part_and_only_then() -> None:
    spec = video_spec()
    inputs = {"src/clip.mp4": "a" * 64}
    key = action_key(spec, inputs, TOOLS)
    assert action_key(video_spec(), dict(inputs), dict(TOOLS)) == key
    changed = {
        "config slice": action_key(video_spec({"video": {**VIDEO, "crf": 23}, "limits": {}}), inputs, TOOLS),
        "input": action_key(spec, {"src/clip.mp4": "b" * 64}, TOOLS),
        "recipe": action_key(ActionSpec(**{**spec.to_dict(), "recipe": 2}), inputs, TOOLS),
        "ffmpeg": action_key(spec, inputs, {**TOOLS, "ffmpeg": "ffmpeg version 8"}),
        "opencv": action_key(spec, inputs, {**TOOLS, "opencv": "4.11"}),
        "storyexport": action_key(spec, inputs, {**TOOLS, "storyexport": "2"}),
        "targets": action_key(ActionSpec(**{**spec.to_dict(), "targets": ["out/other.mp4"]}), inputs, TOOLS),
    }
    assert all(value != key for value in changed.values())
    assert len(set(changed.values())) == len(changed)


def test_tool_versions_name_the_real_tools() -> None:
    tools = ac.tool_versions()
    assert tools["ffmpeg"].startswith("ffmpeg version") and "opencv" in tools["opencv"]
    assert tools["libav"].startswith("av ") and "libavcodec" in tools["libav"]
    import storyexport

    assert tools["storyexport"] == storyexport.__version__


def test_a_hit_restores_outputs_and_values_without_running(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = ContentStore((tmp_path / "store").as_uri())
    with cwd(tmp_path / "first"):
        first_sample = run_cached(sample_spec(), store)
        first = run_cached(video_spec(), store)
    assert not first_sample.cached and not first.cached and first.result == {"mode": "copy"}

    calls: list[str] = []
    real = actions.export_video
    specs = sample_spec(), video_spec()
    monkeypatch.setattr(actions, "export_video", lambda *a: calls.append("ran") or real(*a))
    with cwd(tmp_path / "second"):
        sample = run_cached(specs[0], store)
        again = run_cached(specs[1], store)
    assert sample.cached and again.cached and calls == []
    assert again.result == first.result and again.entry is not None and again.entry.values == {"mode": "copy"}
    for path in ("src/clip.mp4", "out/clip.mp4"):
        assert sha(tmp_path / "second" / path) == sha(tmp_path / "first" / path)


def test_read_only_miss_runs_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    with cwd(tmp_path / "work"):
        outcome = run_cached(sample_spec(), ContentStore(root.as_uri(), read_only=True))
    assert not outcome.cached and outcome.entry is None
    assert (tmp_path / "work" / "src" / "clip.mp4").stat().st_size > 0
    assert files_under(root) == {}


def test_a_corrupt_object_makes_the_action_run_again(tmp_path: Path) -> None:
    store = ContentStore((tmp_path / "store").as_uri())
    with cwd(tmp_path / "first"):
        first = run_cached(sample_spec(), store)
    assert first.entry is not None
    digest = first.entry.targets["src/clip.mp4"]
    Path(store.object_path(digest)).write_bytes(b"not a video")
    with cwd(tmp_path / "second"):
        second = run_cached(sample_spec(), store)
    assert not second.cached
    assert sha(tmp_path / "second" / "src" / "clip.mp4") == digest
    assert sha(Path(store.object_path(digest))) == digest  # repaired by the re-run's upload


def test_hermetic_run_sees_only_the_store_and_the_coordinator_adopts(tmp_path: Path) -> None:
    """The worker runs in an empty scratch folder elsewhere, fed from the store by digest; the coordinator
    downloads and verifies what it reports."""
    store_url = (tmp_path / "store").as_uri()
    store = ContentStore(store_url)
    with cwd(tmp_path / "coordinator"):
        run_cached(sample_spec(), store)  # the source, as the coordinator's checkout has it
        spec = video_spec()
        inputs = input_digests(spec)
    scratch_parent = tmp_path / "worker-tmp"
    scratch_parent.mkdir()
    with cwd(tmp_path / "worker"):
        answer = run_hermetic(spec.to_dict(), inputs, store_url, scratch_parent=str(scratch_parent))
    assert answer["failure"] is None and answer["cached"] is False and answer["result"] == {"mode": "copy"}
    assert list(scratch_parent.iterdir()) == [] and list((tmp_path / "worker").iterdir()) == []
    assert ActionCache(store).get(action_key(spec, inputs)) is not None

    from doit.task import Task

    task = Task("video:clip", [])
    with cwd(tmp_path / "coordinator"):
        assert adopt(task, answer, store_url) is None
        assert sha(Path("out/clip.mp4")) == answer["targets"]["out/clip.mp4"]
    assert task.values == {"mode": "copy"} and task.result == {"mode": "copy"}
    # a second hermetic run of the same action is a hit
    with cwd(tmp_path / "worker"):
        again = run_hermetic(spec.to_dict(), inputs, store_url, scratch_parent=str(scratch_parent))
    assert again["cached"] is True and again["targets"] == answer["targets"]


def test_hermetic_failure_is_one_line_and_paths_must_be_relative(tmp_path: Path) -> None:
    store_url = (tmp_path / "store").as_uri()
    spec = ActionSpec(**{**video_spec().to_dict(), "inputs": []})  # the source never arrives
    answer = run_hermetic(spec.to_dict(), {}, store_url, scratch_parent=str(tmp_path))
    assert "does not exist" in answer["failure"] and "\n" not in answer["failure"]
    bad = ActionSpec(**{**video_spec().to_dict(), "targets": ["../escape.mp4"]})
    from storyexport.store.cas import StoreError

    with pytest.raises(StoreError, match="project-relative"):
        run_hermetic(bad.to_dict(), {}, store_url)


def test_spec_of_finds_the_cached_action_of_a_doit_task(tmp_path: Path) -> None:
    from doit.task import Task

    from storyexport.store.remote import cached_action

    spec = video_spec()
    task = Task("video:clip", [(cached_action, [spec.to_dict(), "file:///x", True, None])])
    assert spec_of(task) == (spec, "file:///x", True)
    assert spec_of(Task("metadata:clip", [(actions.write_report, [{}])])) is None


def test_a_worker_with_other_tool_versions_refuses_in_one_line(tmp_path: Path) -> None:
    from storyexport.store.remote import VersionMismatch

    coordinator = {**ac.tool_versions(), "ffmpeg": "ffmpeg version 4.4-other"}
    with pytest.raises(VersionMismatch) as info:
        run_hermetic(video_spec().to_dict(), {}, (tmp_path / "store").as_uri(), tools=coordinator)
    message = str(info.value)
    assert "\n" not in message and "ffmpeg version 4.4-other" in message and ac.tool_versions()["ffmpeg"] in message
    assert "storyexport" not in message.split(":", 1)[1]  # only what differs is named
    assert not (tmp_path / "store").exists()
    assert ac.tool_mismatch(ac.tool_versions()) is None
