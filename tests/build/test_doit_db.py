"""``storyexport.build.doit_internals``, the database part:
the doit internals it relies on still exist (contract), and its journal replays
exactly what a killed run finished, over the database it started from."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path

import doit
import pytest
from doit.dependency import Dependency, JsonDB, MD5Checker
from doit.globals import Globals
from doit.runner import Runner

from storyexport.build import doit_internals as doit_db


def test_doit_is_the_version_whose_internals_doit_db_uses() -> None:
    assert tuple(doit.__version__[:2]) == (0, 37), doit.__version__


def test_jsondb_has_what_doit_db_replaces_and_reads(tmp_path: Path) -> None:
    assert list(inspect.signature(doit_db._original_init).parameters) == ["self", "name", "codec", "module_name"]
    assert callable(doit_db._original_dump)
    manager = Dependency(JsonDB, str(tmp_path / "db.json"), checker_cls=MD5Checker)
    assert hasattr(Globals, "dep_manager")
    assert isinstance(manager.backend, JsonDB) and isinstance(manager.checker, MD5Checker)
    backend = manager.backend
    assert backend.name == str(tmp_path / "db.json") and isinstance(backend._db, dict)
    assert callable(backend.codec.encode) and callable(backend.codec.decode)


def test_the_runner_calls_the_reporter_before_checking_and_fails_a_task_whose_save_raises_file_not_found(
        monkeypatch: pytest.MonkeyPatch) -> None:
    select = inspect.getsource(Runner.select_task)
    assert select.index("self.reporter.get_status(task)") < select.index("self.dep_manager.get_status(")
    saving = inspect.getsource(Runner.process_task_result)
    assert "except FileNotFoundError" in saving and "saving success: " in saving
    message = ("ERROR: Task 'video:a' saving success: Dependent file 'src/a.mp4' does not exist.")
    monkeypatch.setitem(doit_db._changed_inputs, "src/a.mp4", "input src/a.mp4 changed")
    assert doit_db.failure_reason(message) == "input src/a.mp4 changed"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    doit_db.install()
    previous = Globals.dep_manager
    yield tmp_path / "doit-db.json"
    Globals.dep_manager = previous


def open_db(path: Path) -> Dependency:
    Globals.dep_manager = Dependency(JsonDB, str(path), checker_cls=MD5Checker)
    return Globals.dep_manager


def test_the_journal_replays_finished_tasks_and_skips_a_torn_line(database: Path) -> None:
    first = open_db(database)
    first._set("video:a", "_values_:", {"x": 1})
    first.close()
    run = open_db(database)
    run._set("video:b", "_values_:", {"x": 2})
    doit_db.checkpoint("video:b")
    run.remove("video:a")
    doit_db.checkpoint("video:a")
    journal = Path(f"{database}{doit_db.JOURNAL_SUFFIX}")
    with open(journal, "a", encoding="utf-8") as handle:
        handle.write('{"task": "video:c", "data": {"_values_:"')  # the kill tore this line
    recovered = open_db(database).backend._db
    assert recovered == {"video:b": {"_values_:": {"x": 2}}}
    Globals.dep_manager.close()
    assert not journal.exists()
    assert json.loads(database.read_text(encoding="utf-8")) == {"video:b": {"_values_:": {"x": 2}}}


def test_a_journal_written_against_another_database_is_ignored(database: Path) -> None:
    run = open_db(database)
    run._set("video:a", "_values_:", {"x": 1})
    doit_db.checkpoint("video:a")
    run.close()  # saved: the journal is removed ...
    journal = Path(f"{database}{doit_db.JOURNAL_SUFFIX}")
    journal.write_text(json.dumps({"journal": doit_db.JOURNAL_FORMAT, "base": [1, 2, 3]}) + "\n"
                       + json.dumps({"task": "video:a", "data": None}) + "\n", encoding="utf-8")
    assert open_db(database).backend._db == {"video:a": {"_values_:": {"x": 1}}}  # ... and a stale one ignored
    assert not journal.exists()
