"""SQLite's WAL is folded back into the database by each file's checkpointer thread, not by the commits of the
commands (issue 18): the WAL stays small, the thread ends with ``dispose``, and what a disposed database leaves
is its file alone."""

from __future__ import annotations

import gc
import shutil
import sqlite3
import struct
import threading
import time
from contextlib import closing
from pathlib import Path

from sqlalchemy import text

from engine.services import Engine
from engine.store.db import WAL_SAFETY_NET, Database
from tests.engine.test_hot_path import MODEL


def checkpointers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("sqlite-checkpoint")]


def wal_index(path: Path) -> tuple[int, int]:
    """The WAL's last committed frame and the last one copied into the database, from the WAL index
    (https://www.sqlite.org/walformat.html: mxFrame at byte 16 of its header, nBackfill at byte 96)."""
    header = Path(f"{path}-shm").read_bytes()[:100]
    return struct.unpack_from("=I", header, 16)[0], struct.unpack_from("=I", header, 96)[0]


def until_checkpointed(path: Path) -> None:
    """Wait (at most 10 s) until every committed frame of the WAL is in the database."""
    deadline = time.monotonic() + 10
    while (index := wal_index(path))[1] < index[0]:
        assert time.monotonic() < deadline, f"the WAL was not checkpointed: {index}"
        time.sleep(0.001)


def test_the_checkpointer_folds_each_command_so_the_wal_starts_over(tmp_path: Path):
    path = tmp_path / "gros.db"
    engine = Engine.open(f"sqlite:///{path}")
    engine.repository.deploy([MODEL])
    with engine.db.engine.connect() as connection:  # a commit never checkpoints until the WAL is this long
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == WAL_SAFETY_NET
    written = []
    for _ in range(40):
        until_checkpointed(path)
        engine.runtime.start("bench")
        written.append(wal_index(path)[0])
    engine.db.dispose()
    # Each start began on a WAL folded in full, so it wrote from the WAL's start: the WAL held one start's
    # frames each time, not up to forty starts' (~1500 frames, far below the writers' own checkpoint).
    assert max(written) < 100


def test_dispose_ends_the_thread_and_leaves_the_file_alone_the_state(tmp_path: Path):
    before = checkpointers()
    engines = [Engine.open(f"sqlite:///{tmp_path / f'{n}.db'}") for n in range(10)]
    assert len(checkpointers()) == len(before) + 10
    for engine in engines:
        engine.repository.deploy([MODEL])
        engine.runtime.start("bench", business_key="B-1")
        engine.db.dispose()
    assert checkpointers() == before
    assert not list(tmp_path.glob("*-wal"))
    copy = tmp_path / "copy.db"
    shutil.copy(tmp_path / "9.db", copy)
    with closing(sqlite3.connect(copy)) as connection:
        assert connection.execute("SELECT business_key FROM process_instance").fetchall() == [("B-1",)]


def test_a_database_dropped_without_dispose_takes_its_thread_along(tmp_path: Path):
    before = checkpointers()
    database = Database(f"sqlite:///{tmp_path / 'gros.db'}")
    database.migrate()
    assert len(checkpointers()) == len(before) + 1
    del database
    gc.collect()
    assert checkpointers() == before


def test_two_processes_on_one_file_checkpoint_side_by_side(tmp_path: Path):
    """Web workers and the scheduler each have a checkpointer on the same file: PASSIVE checkpoints take turns,
    no command waits for one, and the file stays whole."""
    path = tmp_path / "gros.db"
    engines = [Engine.open(f"sqlite:///{path}") for _ in range(2)]
    engines[0].repository.deploy([MODEL])

    def start(engine: Engine, worker: int) -> None:
        for n in range(100):
            engine.runtime.start("bench", business_key=f"W{worker}-{n}")

    threads = [threading.Thread(target=start, args=(engine, n)) for n, engine in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    until_checkpointed(path)
    for engine in engines:
        engine.db.dispose()
    assert not Path(f"{path}-wal").exists()
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("SELECT count(*) FROM process_instance").fetchone() == (200,)
