"""PostgreSQL's pool pings a connection before use only when it has been idle a while: a busy server pays
no round trip for it, and a connection that died while idle is replaced before anyone uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from engine.store import db as store
from engine.store.db import Database


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    opened = Database(postgres_url)
    yield opened
    opened.dispose()


@pytest.fixture
def pings(database: Database, monkeypatch) -> list[int]:
    """One entry for every ping the pool sends."""
    sent: list[int] = []
    ping = database.engine.dialect.do_ping
    monkeypatch.setattr(database.engine.dialect, "do_ping", lambda connection: sent.append(1) or ping(connection))
    return sent


def backend(database: Database) -> int:
    with database.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def terminate(postgres_url: str, pid: int) -> None:
    admin = create_engine(postgres_url, poolclass=NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    admin.dispose()


def test_a_connection_used_just_now_is_not_pinged(database: Database, pings: list[int]):
    first = backend(database)
    assert backend(database) == first and pings == []


def test_an_idle_connection_is_pinged_and_replaced_when_its_server_side_is_gone(
        database: Database, pings: list[int], postgres_url: str, monkeypatch):
    gone = backend(database)
    terminate(postgres_url, gone)
    monkeypatch.setattr(store, "IDLE_BEFORE_PING", 0.0)  # as if it had been idle for longer than that
    assert backend(database) != gone
    assert pings == [1]


def test_a_connection_lost_while_busy_fails_once_and_the_pool_starts_anew(
        database: Database, pings: list[int], postgres_url: str):
    terminate(postgres_url, backend(database))
    with pytest.raises(OperationalError) as lost:
        backend(database)
    assert lost.value.connection_invalidated
    assert backend(database) and pings == []
