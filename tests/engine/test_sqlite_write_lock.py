"""SQLite's write lock: a writer that finds it taken tries again after short pauses instead of SQLite's
millisecond steps, gets it as soon as it is free, and only its BEGIN waits that way."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from engine.store import db as store
from engine.store.db import BUSY_TIMEOUT_MS, LOCK_PAUSES, Database


def test_a_writer_waits_for_a_taken_lock_in_short_pauses_and_keeps_the_busy_timeout(tmp_path: Path, monkeypatch):
    database = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    with database.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    other = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's command, holding the write lock
    pauses: list[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            other.execute("COMMIT")

    monkeypatch.setattr(store.time, "sleep", pause)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert pauses == list(LOCK_PAUSES[:3]), "three short pauses, then the lock the moment it was free"
    assert busy_timeout == BUSY_TIMEOUT_MS, "the statements inside the transaction keep SQLite's busy timeout"
    assert other.execute("SELECT count(*) FROM t").fetchone() == (1,)
    database.dispose()


def test_past_the_short_pauses_a_writer_waits_as_sqlite_does_and_then_fails(tmp_path: Path, monkeypatch):
    database = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    with database.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    other = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(store.time, "sleep", lambda seconds: None)
    began = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"), database.engine.begin():
        pass
    assert time.monotonic() - began >= 0.04, "SQLite's own busy handler waited out the busy timeout"
    other.execute("ROLLBACK")
    database.dispose()
