"""Builds sharing a file:// store: fresh checkouts restore media outputs instead of running them, CI shards, a
read-only mode that never writes, corrupt objects re-made. Real doit runs, real ffmpeg, real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from storyexport.build.uptodate import STORE_KEY
from storyexport.cli import main
from storyexport.store.action_cache import CACHED_KINDS
from storyexport.store.settings import SHARD_ENV, STORE_ENV, shard_of

from .conftest import MANIFEST, Project

pytestmark = pytest.mark.slow  # end-to-end doit builds against a store

IGNORED = {"export_registry.json", "export_registry.sqlite", "export_registry.sqlite-wal",
           "export_registry.sqlite-shm", "report.html"}  # they record times, not content of the build


def checkout(template: Path, root: Path) -> Project:
    """What a CI runner has after a fresh checkout: sources, rules, manifest and dodo.py, new mtimes, no outputs."""
    shutil.copytree(template, root, copy_function=shutil.copy, ignore=shutil.ignore_patterns("out", ".storyexport"))
    return Project(root)


def contents(project: Project) -> dict[str, str]:
    return {path: digest for path, (_, digest) in project.snapshot().items() if Path(path).name not in IGNORED}


def build_events(project: Project, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict]]:
    capsys.readouterr()
    code = main(["build", "-m", str(project.manifest), "-n", "2", "--progress", "jsonl", *args])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def successes(events: list[dict]) -> dict[str, bool]:
    """task -> restored from the cache, for every task that ran."""
    return {e["task"]: e.get("cached", False) for e in events if e["event"] == "success"}


def recorded(project: Project) -> dict[str, tuple[object, object]]:
    """What doit's database recorded for each task: its values and result (not file states, which hold mtimes).
    The report is left out: it reads the registry's JSON snapshot, which records when each story was registered;
    and so is when the registry's database was created (``STORE_KEY``)."""
    db = json.loads((project.out / ".storyexport" / "doit-db.json").read_text(encoding="utf-8"))
    return {task: ({k: v for k, v in (entry.get("_values_:") or {}).items() if k != STORE_KEY}, entry.get("result:"))
            for task, entry in db.items() if task != "report"}


def test_shards_then_a_final_run_restores_every_media_task(built_template: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    store = (tmp_path / "store").as_uri()
    ids = [story["id"] for story in MANIFEST["stories"]]
    runner = checkout(built_template, tmp_path / "shard1")  # through storyexport build --shard
    code, events = build_events(runner, capsys, "--store", store, "--shard", "1/2")
    assert code == 0
    assert {name.split(":")[1] for name in successes(events)} == {s for s in ids if shard_of(s, 2) == 1}
    runner = checkout(built_template, tmp_path / "shard2")  # through plain doit and the variables
    result = runner.doit("-n", "2", "progress=jsonl", env={STORE_ENV: store, SHARD_ENV: "2/2"})
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {name.split(":")[1] for name in successes(events)} == {s for s in ids if shard_of(s, 2) == 2}
    assert not (runner.out / "report.html").exists() and not (runner.out / "export_registry.json").exists()
    assert not list((runner.root / ".storyexport").glob("up-to-date*"))  # a shard is not a whole run

    final = checkout(built_template, tmp_path / "final")
    code, events = build_events(final, capsys, "--store", store)
    assert code == 0
    ran = successes(events)
    media = {name for name in ran if name.split(":")[0] in CACHED_KINDS}
    assert media == set(ran) - {"registry", "report"} and all(ran[name] for name in media)  # every story task
    assert not ran["registry"] and not ran["report"]
    summary = events[-1]
    assert summary["event"] == "summary" and summary["cached"] == len(media) and summary["failed"] == []
    assert (final.out / "report.html").is_file()
    template = Project(built_template)
    assert contents(final) == contents(template)  # byte-identical to a build without a store
    assert recorded(final) == recorded(template)  # and doit recorded the same values and results


def test_a_fresh_checkout_with_the_doit_command_line_runs_no_heavy_action(
        built_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = (tmp_path / "store").as_uri()
    first = checkout(built_template, tmp_path / "first")
    assert build_events(first, capsys, "--store", store)[0] == 0
    second = checkout(built_template, tmp_path / "second")
    result = second.doit("-n", "2", "progress=plain", env={STORE_ENV: store, "PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr
    assert " cv2" not in result.stderr  # nothing ran that needs OpenCV, so nothing imported it
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    media = [line for line in lines if line.split("] ", 1)[1].split(":")[0] in CACHED_KINDS]
    assert media and all("(restored from the cache)" in line for line in media)
    assert f"({len(media)} restored from the cache)" in result.stdout
    assert contents(second) == contents(first)
    # and a later no-op with the store is still a no-op
    again = second.doit("-n", "2", "progress=plain", env={STORE_ENV: store})
    assert "0 task(s) run (0 restored from the cache)" in again.stdout


def test_read_only_store_is_read_but_never_written(built_template: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    root.mkdir()
    untrusted = checkout(built_template, tmp_path / "pr")
    code, events = build_events(untrusted, capsys, "--store", root.as_uri(), "--store-read-only")
    assert code == 0 and not any(successes(events).values())
    assert list(root.rglob("*")) == []  # a cold read-only build wrote nothing

    trusted = checkout(built_template, tmp_path / "main")
    assert build_events(trusted, capsys, "--store", root.as_uri())[0] == 0
    objects = sorted(p for p in root.rglob("*") if p.is_file())
    victim = next(p for p in objects if "/cas/" in p.as_posix())
    victim.write_bytes(b"tampered")
    before = {p: p.read_bytes() for p in objects}
    later = checkout(built_template, tmp_path / "pr2")
    code, events = build_events(later, capsys, "--store", root.as_uri(), "--store-read-only")
    assert code == 0
    ran = successes(events)
    assert sum(ran.values()) >= 1  # reads: hits restored
    assert {p: p.read_bytes() for p in sorted(p for p in root.rglob("*") if p.is_file())} == before
    assert contents(later) == contents(trusted)


def test_a_corrupt_object_is_detected_and_its_action_runs_again(built_template: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    first = checkout(built_template, tmp_path / "first")
    assert build_events(first, capsys, "--store", root.as_uri())[0] == 0
    video = first.out / "women" / "18-23" / "alpha.mp4"
    digest = next(d for p, (_, d) in first.snapshot().items() if p.endswith("alpha.mp4"))
    obj = root / "cas" / "sha256" / digest[:2] / digest
    obj.write_bytes(obj.read_bytes()[:-100] + b"\0" * 100)  # silent corruption: same size, other bytes

    second = checkout(built_template, tmp_path / "second")
    code, events = build_events(second, capsys, "--store", root.as_uri())
    assert code == 0
    ran = successes(events)
    assert ran["video:alpha"] is False  # ran again
    assert all(cached for name, cached in ran.items() if name.split(":")[0] in CACHED_KINDS
               and name != "video:alpha")
    assert (second.out / "women" / "18-23" / "alpha.mp4").read_bytes() == video.read_bytes()
    assert obj.read_bytes() == video.read_bytes()  # the re-run uploaded a good object


def test_bad_store_options_are_one_line(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", "-m", str(project.manifest), "--shard", "1/2"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--shard needs --store" in err
    code = main(["build", "-m", str(project.manifest), "--store", (project.out / "cache").as_uri()])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "must not live inside the output folder" in err
    code = main(["build", "-m", str(project.manifest), "--store", "file:///tmp/x", "--shard", "3/2"])
    err = capsys.readouterr().err
    assert code == 2 and "expected i/N" in err
    code = main(["build", "-m", str(project.manifest), "--store", "relative/cache"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "needs an absolute path" in err
    code = main(["build", "-m", str(project.manifest), "--store", str(project.out / "x")])  # a path, not a URL
    err = capsys.readouterr().err
    assert code == 2 and "must not live inside the output folder" in err
    code = main(["build", "-m", str(project.manifest), "--store-read-only"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--store-read-only needs --store" in err
    before = project.snapshot()
    code = main(["build", "-m", str(project.manifest), "--store", "nosuchproto://bucket/x"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot open nosuchproto:// URLs" in err
    assert project.snapshot() == before  # refused before anything ran


def test_the_main_process_and_the_workers_share_digests(built_template: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """doit records every task in the main process, one at a time: hashing each source and restored video again
    there would serialise what the workers already did in parallel; and the worker of a thumbnail set gets the
    digest of the video another worker restored instead of hashing it again."""
    import os

    from storyexport.build import checker

    store = (tmp_path / "store").as_uri()
    assert build_events(checkout(built_template, tmp_path / "first"), capsys, "--store", store)[0] == 0
    log = tmp_path / "hashed.log"
    real = checker.file_digest

    def logged(path: str) -> str:  # forked workers inherit this; every process appends to the same file
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {path}\n")
        return real(path)

    monkeypatch.setattr(checker, "file_digest", logged)
    second = checkout(built_template, tmp_path / "second")
    code, events = build_events(second, capsys, "--store", store)  # -n 2: forked worker processes
    assert code == 0 and events[-1]["cached"] == 17
    rows = [line.split(" ", 1) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [path for pid, path in rows if int(pid) == os.getpid() and path.endswith(".mp4")] == []
    media = sorted(path for _, path in rows if path.endswith(".mp4"))
    assert media == ["src/alpha.mp4", "src/beta.mp4", "src/gamma.mp4"]  # each source once, restored videos never


def test_each_video_is_hashed_once_per_build_across_tasks(built_template: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With threads every hash is visible: a source is hashed once (its video's key, reused by doit's checker); a
    restored video is hashed only by the store as it is placed, and that digest serves the thumbnail task's key and
    doit's checker."""
    from collections import Counter

    from storyexport.build import checker

    store = (tmp_path / "store").as_uri()
    assert build_events(checkout(built_template, tmp_path / "first"), capsys, "--store", store)[0] == 0
    hashed: list[str] = []
    real = checker.file_digest
    monkeypatch.setattr(checker, "file_digest", lambda path: hashed.append(path) or real(path))
    second = checkout(built_template, tmp_path / "second")
    code, events = build_events(second, capsys, "--store", store, "-P", "thread")
    assert code == 0 and events[-1]["cached"] == 17
    counts = Counter(hashed)
    assert {p for p in counts if p.endswith(".mp4")} == {"src/alpha.mp4", "src/beta.mp4", "src/gamma.mp4"}
    assert set(counts.values()) == {1}
    assert contents(second) == contents(Project(built_template))


def test_cached_tasks_carry_no_absolute_path(project: Project, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An action key that holds the checkout's folder would never match in another checkout."""
    from storyexport.build.loader import build_namespace
    from storyexport.store.remote import cached_action

    monkeypatch.setenv(STORE_ENV, (tmp_path / "store").as_uri())
    monkeypatch.chdir(project.root)
    tasks = list(build_namespace(project.manifest, progress="quiet")["task_storyexport"]())
    cached = [task for task in tasks if task.get("actions") and task["actions"][0][0] is cached_action]
    assert {task["basename"] for task in cached} == CACHED_KINDS - {"sample"}  # the test manifest has no samples
    for task in cached:
        text = json.dumps(task["actions"][0][1][0])
        assert str(project.root) not in text and str(project.root.resolve()) not in text, task["name"]
