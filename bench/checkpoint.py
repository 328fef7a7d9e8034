"""What checkpointing doit's database costs a large build (issue 13: a ``kill -9`` loses only running tasks).

A build journals each finished task as one appended line (``storyexport.build.doit_internals.checkpoint``). On a copy of
the built project's database this measures journaling every task once, as a full build does, against the baseline
of doit's own single save of that database at the end of a run (its JSON backend's ``dump``), alternately in the
same run. The ratio is the checkpointing a whole build pays, in units of one end-of-run save.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from doit.dependency import Dependency, JsonDB, MD5Checker
from doit.globals import Globals
from table import Baseline, Row
from timing import Measured, paired_medians, time_call

from storyexport.build import doit_internals as doit_db


def checkpoint_row(project: Path, runs: int, stories: int) -> Row:
    database = next(project.rglob("doit-db.json"))
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "doit-db.json"
        shutil.copyfile(database, copy)
        doit_db.install()
        previous = Globals.dep_manager
        manager = Globals.dep_manager = Dependency(JsonDB, str(copy), checker_cls=MD5Checker)
        try:
            backend = manager.backend
            names = list(backend._db)
            journal = Path(f"{copy}{doit_db.JOURNAL_SUFFIX}")

            def journal_every_task() -> Measured:
                journal.unlink(missing_ok=True)
                measured = time_call(lambda: [doit_db.checkpoint(name) for name in names])
                doit_db._close_journal(backend)
                return measured

            journaled, saved = paired_medians(journal_every_task,
                                              lambda: time_call(lambda: doit_db._original_dump(backend)), runs)
        finally:
            Globals.dep_manager = previous
    size_mb = database.stat().st_size / 1e6
    return Row(f"Checkpointing doit's database, {stories:,} stories", journaled.seconds, cpu=journaled.cpu_seconds,
               note=f"one journal line per finished task, {len(names)} tasks "
                    f"({journaled.seconds / max(1, len(names)) * 1e6:.0f} µs each); the database is {size_mb:.1f} MB",
               baselines=[Baseline("doit's one save of the database at the end of a run", saved.seconds)])
