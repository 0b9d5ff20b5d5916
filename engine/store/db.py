"""Connections, transactions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import atexit
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary, WeakSet, finalize

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, CursorResult, Executable, create_engine, event, inspect, make_url, text
from sqlalchemy.engine import Dialect
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.store.prepared import Prepared

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_SQLITE = "sqlite:///instance/gros.db"


def database_url() -> str:
    return os.environ.get("GROS_DATABASE_URL", DEFAULT_SQLITE)


class Database:
    """One SQLAlchemy engine plus the rule that every write happens in one short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._checkpointer: Checkpointer | None = None
        if self.is_sqlite:
            _ensure_folder(url)
            path = make_url(url).database
            if path and path != ":memory:":
                self._checkpointer = Checkpointer(path)
                finalize(self, self._checkpointer.stop)  # a Database dropped undisposed takes its thread along
            committed = self._checkpointer.committed if self._checkpointer else None
            self.engine = _sqlite_engine(url, immediate=True, committed=committed)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.engine = create_engine(url, pool_size=10, max_overflow=20)
            _ping_when_idle(self.engine)
            _begin_with_first_statement(self.engine)
            self.read_engine = self.engine
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to the newest revision (creates the database on first use)."""
        with self.engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
            if self.is_sqlite:  # SQLite plans well only with statistics, which nothing else gathers
                connection.exec_driver_sql("PRAGMA optimize")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read_sessions() as session:
            yield session

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("process_instance")

    def dispose(self) -> None:
        """Close every connection; for a SQLite file the last one to close leaves the file alone the state."""
        if self._checkpointer:
            self._checkpointer.stop()
        self.engine.dispose()
        self.read_engine.dispose()


def _ensure_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: str, immediate: bool, committed: Callable[[], None] | None = None) -> SAEngine:
    """WAL so readers never wait; writers BEGIN IMMEDIATE so a command holds the lock from its start.
    ``committed`` is told after each commit (the checkpointer)."""
    connect_args: dict[str, Any] = {"timeout": 30, "check_same_thread": False}
    if committed:
        connect_args["factory"] = _telling(committed)
    engine = create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # survives app crashes, not power loss (README: FULL ~5 ms)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_SAFETY_NET}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        try:  # on the driver: SQLAlchemy's execution path costs ten times SQLite's BEGIN
            connection.connection.driver_connection.execute(begin)
        except sqlite3.Error as error:  # e.g. still locked after busy_timeout: raised as SQLAlchemy would
            raise DBAPIError.instance(begin, None, error, sqlite3.Error) from error

    return engine


def _telling(committed: Callable[[], None]) -> type[sqlite3.Connection]:
    """A sqlite3 connection that tells ``committed`` once a commit landed (SQLAlchemy's commit event comes
    before: a checkpoint it woke could miss the commit and nothing would wake it again)."""

    class Telling(sqlite3.Connection):
        def commit(self) -> None:
            super().commit()
            committed()

    return Telling


# A writer checkpoints the WAL itself only once it holds this many pages (~40 MB; SQLite's default is 1000):
# should the checkpointer fall behind, or a process end before its checkpointer caught up, the WAL stays bounded.
WAL_SAFETY_NET = 10_000
# Seconds from a commit to the checkpoint: the commits that come meanwhile share it, and a page they all wrote is
# copied once (at 0.01 s the checkpointer took ~200 µs of CPU per start, at 0.05 s ~80).
CHECKPOINT_PACE = 0.05

_CHECKPOINTERS: WeakSet[Checkpointer] = WeakSet()


class Checkpointer:
    """Folds a SQLite file's WAL back into the database on a thread of its own, over a connection of its own,
    so that no command's commit pays for it: SQLite's automatic checkpoint runs inside whichever commit
    crosses its threshold (with it a start's commit took 150 µs median, 5.8 ms p99). The sqlite3 module lets
    go of the GIL while it checkpoints, so this runs on another core. PASSIVE never waits for readers or
    writers; the checkpointers of several processes on one file take turns."""

    def __init__(self, path: str) -> None:
        self.path = Path(path).absolute()
        self._pending = False  # a commit since the last checkpoint
        self._committed = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqlite-checkpoint {path}", daemon=True)
        self._thread.start()
        _CHECKPOINTERS.add(self)

    def committed(self) -> None:
        # one pending commit told is enough (setting a set event costs a lock and a notify, ~3.5 µs): the
        # checkpointer clears the event before it takes the pending mark, and checkpoints after that
        if not self._pending:
            self._pending = True
            self._committed.set()

    def stop(self) -> None:
        """Checkpoint what a commit left and end the thread (its connection closes)."""
        self._stopping.set()
        self._committed.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def _run(self) -> None:
        connection = None
        try:
            while not self._stopping.is_set():
                self._committed.wait()
                self._stopping.wait(CHECKPOINT_PACE)
                self._committed.clear()
                if self._pending:
                    self._pending = False
                    connection = self._checkpoint(connection)
        finally:
            if connection:
                connection.close()

    def _checkpoint(self, connection: sqlite3.Connection | None) -> sqlite3.Connection | None:
        try:
            uri = self.path.as_uri() + "?mode=rw"  # never creates a file that went away
            connection = connection or sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # the file gone or unreadable for now: the safety net holds meanwhile
            log.warning("checkpoint van %s mislukt: %s", self.path, error)
        return connection


@atexit.register
def _stop_checkpointers() -> None:
    """A process that ends without disposing its databases (a CLI command) leaves their WAL checkpointed."""
    for checkpointer in list(_CHECKPOINTERS):
        checkpointer.stop()


# A pooled PostgreSQL connection used this recently is taken to be alive without a ping (HikariCP skips
# its check within 0.5 s of use); a busy server pays no round trip per checkout.
IDLE_BEFORE_PING = 1.0


def _ping_when_idle(engine: SAEngine) -> None:
    """Ping a pooled connection before use only when it has been idle for ``IDLE_BEFORE_PING`` s (pool_pre_ping
    pinged every checkout: one round trip in three of a webhook delivery). One that fails the ping is replaced
    at once; should the server go away within those seconds, the statement fails as a lost connection, the
    pool drops every connection it had, and the next checkout connects anew."""

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection, record):
        record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        used_at = record.info.get("used_at")  # none yet: connected just now (the info goes with the connection)
        if used_at is None or time.monotonic() - used_at < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("de verbinding met de database antwoordt niet meer") from error


# PostgreSQL driver connections whose transaction SQLAlchemy began but that sent nothing yet
_BEGIN_PENDING: WeakSet = WeakSet()
# PostgreSQL driver connections' Batch statements held back to go with the next statement or the COMMIT
_HELD: WeakKeyDictionary[Any, list[tuple[Connection, str, Any, bool]]] = WeakKeyDictionary()


def _begin_with_first_statement(engine: SAEngine) -> None:
    """Send a transaction's BEGIN with its first statement: one round trip where psycopg takes two (it sends its
    BEGIN alone and waits for the answer, in pipeline mode too). The driver's connections stay in autocommit,
    so psycopg begins nothing itself; when SQLAlchemy begins a transaction, its first statement — however it is
    executed, SQLAlchemy's way or ``execute``'s on the driver — goes behind a BEGIN of ours. psycopg's commit
    and rollback act on the server's transaction state, not on the autocommit flag, so SQLAlchemy's own commit
    and rollback end it."""

    @event.listens_for(engine, "connect")
    def _autocommit(dbapi_connection, _record):
        dbapi_connection.autocommit = True

    @event.listens_for(engine, "begin")
    def _begin(connection):
        _BEGIN_PENDING.add(connection.connection.driver_connection)

    @event.listens_for(engine, "commit")
    def _commit(connection):
        driver = connection.connection.driver_connection
        if driver not in _HELD:  # SQLAlchemy's COMMIT; none at all for a transaction that sent nothing
            _BEGIN_PENDING.discard(driver)
            return
        try:  # what is held goes with the COMMIT, and SQLAlchemy's then finds no transaction left to end
            _after_owed(driver, lambda: driver.execute("COMMIT"))  # as a statement: commit() would sync once more
        except BaseException as error:  # raised as SQLAlchemy raises a failed commit
            connection._handle_dbapi_exception(error, None, None, None, None)

    @event.listens_for(engine, "rollback")
    def _rollback(connection):
        if not connection.invalidated:  # a lost connection is dropped, and its entries with it
            driver = connection.connection.driver_connection
            _BEGIN_PENDING.discard(driver)
            _HELD.pop(driver, None)  # never sent: nothing to undo

    event.listen(engine, "do_execute", lambda cursor, sql, values, _context: _after_owed(
        cursor.connection, lambda: cursor.execute(sql, values)))
    event.listen(engine, "do_executemany", lambda cursor, sql, rows, _context: _after_owed(
        cursor.connection, lambda: cursor.executemany(sql, rows)))
    event.listen(engine, "do_execute_no_params", lambda cursor, sql, _context: _after_owed(
        cursor.connection, lambda: cursor.execute(sql)))


def _after_owed(driver: Any, run: Callable[[], Any]) -> bool:
    """``run`` in one pipeline behind what ``driver``'s transaction still owes the server — its BEGIN, the
    statements a Batch held back — if it owes anything; whether it did (else the caller runs ``run``)."""
    begin, held = driver in _BEGIN_PENDING, _HELD.pop(driver, ())
    if not begin and not held:
        return False
    _BEGIN_PENDING.discard(driver)
    with driver.pipeline():
        if begin:
            driver.execute("BEGIN")
        for connection, sql, parameters, many in held:
            _send(connection, sql, parameters, many)
        run()
    return True


class Batch:
    """Statements whose answer nobody reads, queued by a command and sent together by ``send``: on
    PostgreSQL in psycopg's pipeline mode, so all of them cost one round trip instead of one each; on
    SQLite, where a statement costs no round trip, one after the other. A failing statement raises, as
    SQLAlchemy's error, from ``send``. Inserts in a batch must be ``inline()`` (nothing read back)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self._queued: list[tuple[Executable, Any]] = []

    def execute(self, statement: Executable, parameters: Any = None, first: bool = False) -> None:
        """Queue ``statement``; ``first`` puts it before those queued already (a row the others refer to)."""
        self._queued.insert(0 if first else len(self._queued), (statement, parameters))

    def send(self) -> None:
        queued, self._queued = self._queued, []
        if self.dialect.name != "postgresql":
            cursor = _Cursor(self.connection)  # one for them all: nobody reads their answers
            for statement, parameters in queued:
                form = _driver_form(self.connection, statement, parameters)
                if form is None:
                    self.connection.execute(statement, parameters)
                else:
                    cursor.send(*form)
            return
        forms = [_driver_form(self.connection, statement, parameters) for statement, parameters in queued]
        if all(forms):  # each ready for the driver: they go with the next statement or the COMMIT
            driver = self.connection.connection.driver_connection
            _HELD.setdefault(driver, []).extend((self.connection, *form) for form in forms)
            return
        dbapi = self.dialect.loaded_dbapi
        try:
            with self.connection.connection.driver_connection.pipeline():
                for (statement, parameters), form in zip(queued, forms, strict=True):
                    _execute_as(self.connection, statement, parameters, form)
        except dbapi.Error as error:
            raise DBAPIError.instance(None, None, error, dbapi.Error) from error


# Statements their callers keep (module constants), compiled from their second execution on, once per dialect
# and parameter names; the weak keys let a statement built for one execution go.
_PREPARED: WeakKeyDictionary[Executable, dict[tuple, Prepared | None]] = WeakKeyDictionary()


def execute(connection: Connection, statement: Executable,
            parameters: dict | list[dict] | None = None) -> CursorResult | DriverRows:
    """``connection.execute``, sent as the statement's SQL text on a cursor of the driver with its parameters
    converted by the column types' own bind processors once the statement was compiled for these names:
    SQLAlchemy's own path builds an execution context, a cursor wrapper and a result per statement (~30 µs,
    several times SQLite's own cost of a small INSERT). What SQLAlchemy does around the driver's call stays:
    the cursor listeners see the statement, an error raises as SQLAlchemy's (a lost connection invalidated
    as SQLAlchemy would). Statements it cannot send so (defaults computed in Python, expanding IN, RETURNING),
    and any outside a transaction, go the usual way."""
    return _execute_as(connection, statement, parameters, _driver_form(connection, statement, parameters))


def _execute_as(connection: Connection, statement: Executable, parameters: dict | list[dict] | None,
                form: tuple[str, Any, bool] | None) -> CursorResult | DriverRows:
    """``statement`` sent in its driver ``form`` when it has one, else SQLAlchemy's way."""
    return connection.execute(statement, parameters) if form is None else _send(connection, *form)


def _driver_form(connection: Connection, statement: Executable,
                 parameters: dict | list[dict] | None) -> tuple[str, Any, bool] | None:
    """The SQL, converted parameters and whether they are many rows, as the driver takes ``statement`` —
    when it can be sent so."""
    rows = parameters if isinstance(parameters, list) else [parameters] if parameters else []
    prepared = (_prepared(connection.dialect, statement, tuple(rows[0]))
                if rows and connection.in_transaction() else None)
    if prepared is None:
        return None
    converted = [prepared.parameters(row) for row in rows]
    return prepared.sql, converted if len(converted) > 1 else converted[0], len(converted) > 1


class DriverRows(list):
    """The rows a statement sent on the driver answered, unconverted; ``scalar`` as SQLAlchemy's result."""

    def scalar(self) -> Any:
        return self[0][0] if self else None


def _send(connection: Connection, sql: str, parameters: Any, many: bool) -> DriverRows:
    return _Cursor(connection).send(sql, parameters, many)


class _Cursor:
    """A cursor of ``connection``'s driver, with what sending a statement on it takes looked up once: SQLAlchemy's
    cursor listeners (asking for them costs more than SQLite's INSERT), and whether the transaction
    may owe PostgreSQL its BEGIN or held statements."""

    __slots__ = ("connection", "cursor", "before", "after", "owing")

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.cursor = connection.connection.dbapi_connection.cursor()
        self.before = list(connection.dispatch.before_cursor_execute)
        self.after = list(connection.dispatch.after_cursor_execute)
        self.owing = connection.dialect.name == "postgresql"

    def send(self, sql: str, parameters: Any, many: bool) -> DriverRows:
        connection, cursor = self.connection, self.cursor
        try:
            for listener in self.before:
                sql, parameters = listener(connection, cursor, sql, parameters, None, many)
            run = cursor.executemany if many else cursor.execute
            if not (self.owing and _after_owed(cursor.connection, lambda: run(sql, parameters))):
                run(sql, parameters)
            for listener in self.after:
                listener(connection, cursor, sql, parameters, None, many)
            # an INSERT/UPDATE/DELETE answers no rows; in a PostgreSQL pipeline nothing is read before the sync
            return DriverRows(cursor.fetchall() if cursor.description is not None else ())
        except BaseException as error:  # SQLAlchemy's own handler, as its cursor path without a context calls it
            connection._handle_dbapi_exception(error, sql, parameters, cursor, None)


def _prepared(dialect: Dialect, statement: Executable, names: tuple[str, ...]) -> Prepared | None:
    forms = _PREPARED.get(statement)
    if forms is None:  # seen first: a statement built for one execution is never compiled here
        _PREPARED[statement] = {}
        return None
    kind = (type(dialect), dialect.server_version_info, names)  # not the dialect: each engine has its own
    if kind not in forms:
        prepared = Prepared(statement, dialect, names)
        forms[kind] = prepared if prepared.plain else None
    return forms[kind]


POSTGRES_ADMIN_URL = os.environ.get("GROS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_postgres(prefix: str, admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A fresh PostgreSQL database for a test run or a benchmark, dropped afterwards.
    Raises ``sqlalchemy.exc.OperationalError`` when no server answers at ``admin_url``."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def on_scratch_postgres(measure: Callable[[str], dict], admin_url: str | None = POSTGRES_ADMIN_URL) -> dict:
    """``measure`` run on a fresh PostgreSQL database, or why it could not be."""
    if not admin_url:
        return {"skipped": "no PostgreSQL URL given"}
    try:
        with scratch_postgres("gros_bench", admin_url) as url:
            return measure(url)
    except OperationalError as error:
        return {"skipped": f"PostgreSQL not reachable at {admin_url}: {error.orig}"}
