"""Where an arriving delivery's secrets are read and its event stored for the inbox worker, on the database
driver's own connection.

This is the one write in GROS that runs thousands of times a second and does nothing else. Through
SQLAlchemy's ``Connection`` it cost 180 µs of CPU on SQLite, of which SQLite's own work is 40 µs; the rest
was SQLAlchemy's execution machinery per statement and per transaction. So the statements are still
written in SQLAlchemy (one source of the SQL and of the column types' conversions), compiled once for the
database's dialect, and run on the driver's cursor.

The message is stored only while the secret its signature was checked against is active — the INSERT
checks — so a receiver may check a delivery against the secrets it read for an earlier one and skip the
read. SQLite: one write transaction (BEGIN IMMEDIATE, so it never has to upgrade a read). PostgreSQL: the
connection in autocommit, the two INSERTs one statement, so storing is one round trip (the read, when
needed, one more). Either way the event is committed when the ``store`` block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, insert, literal, select

from engine.store.db import Database
from engine.store.prepared import Prepared
from webhooks.models import WebhookDelivery, WebhookMessage, WebhookSecret

_MESSAGE = ("source", "webhook_id", "event_type", "status", "http_status", "reply", "body", "attempts",
            "received_at", "updated_at", "next_retry_at")
_ACTIVE = (WebhookSecret.source == bindparam("source"),
           WebhookSecret.retired_at.is_(None) | (WebhookSecret.retired_at > bindparam("now")))
_SECRETS = select(WebhookSecret.secret).where(*_ACTIVE)
# The message is stored only while the secret it was signed with is active: checked by the INSERT itself,
# so a secret retired since it was read (by this process, maybe long ago) stores nothing.
_INSERT_MESSAGE = insert(WebhookMessage).from_select(_MESSAGE, select(
    *(bindparam(name, type_=WebhookMessage.__table__.c[name].type) for name in _MESSAGE)).where(
    exists().where(WebhookSecret.secret == bindparam("secret"), *_ACTIVE))).returning(WebhookMessage.id)
_INSERT_DELIVERY = insert(WebhookDelivery).values({name: bindparam(name) for name in (
    "source", "webhook_id", "received_at", "outcome", "http_status", "message_id")})
# PostgreSQL: both INSERTs as one statement, so storing costs one round trip.
_QUEUED = _INSERT_MESSAGE.returning(WebhookMessage.source, WebhookMessage.webhook_id,
                                    WebhookMessage.received_at).cte("queued")
_INSERT_BOTH = insert(WebhookDelivery).from_select(
    ["source", "webhook_id", "received_at", "outcome", "http_status", "message_id"],
    select(_QUEUED.c.source, _QUEUED.c.webhook_id, _QUEUED.c.received_at, literal("queued"), literal(202),
           _QUEUED.c.id))


class Duplicate(Exception):
    """This (source, webhook-id) was stored before: the unique key refused the message."""


class Ingest:
    """The secrets read and the store of arriving deliveries, for one database."""

    def __init__(self, db: Database) -> None:
        dialect = db.engine.dialect
        self.db, self.dialect = db, dialect
        self.integrity_error = dialect.loaded_dbapi.IntegrityError
        self.secrets_query = Prepared(_SECRETS, dialect)
        self.message, self.delivery = Prepared(_INSERT_MESSAGE, dialect), Prepared(_INSERT_DELIVERY, dialect)
        self.both = None if db.is_sqlite else Prepared(_INSERT_BOTH, dialect)  # SQLite: the two one by one

    @contextmanager
    def store(self) -> Iterator[Store]:
        """A pooled connection's driver connection for one delivery; on SQLite inside the write transaction,
        committed when the block ends without an error and rolled back otherwise."""
        pooled = self.db.engine.raw_connection()
        driver = pooled.driver_connection
        try:
            if self.db.is_sqlite:
                with _write_transaction(driver):
                    yield Store(self, driver)
            else:  # the pool's PostgreSQL connections run in autocommit (engine.store.db): each statement commits
                yield Store(self, driver)
        except self.dialect.loaded_dbapi.Error as error:
            if self.dialect.is_disconnect(error, driver, None):
                pooled.invalidate(error)  # lost (the server restarted): the pool connects anew, as SQLAlchemy would
            raise
        finally:
            pooled.close()  # back to the pool


class Store:
    """One delivery's statements on the driver connection ``Ingest.store`` lent it."""

    def __init__(self, ingest: Ingest, driver: Any) -> None:
        self.ingest, self.driver = ingest, driver

    def secrets(self, source: str, now: datetime) -> list[str]:
        """The source's secrets still active at ``now``."""
        query = self.ingest.secrets_query
        return [row[0] for row in self.driver.execute(query.sql, query.parameters(
            {"source": source, "now": now})).fetchall()]

    def enqueue(self, message: dict[str, Any], secret: str, now: datetime) -> bool:
        """Store a message (the columns of ``_MESSAGE``) as queued, with its log row, if ``secret`` is active
        at ``now``; whether it was. Duplicate when its (source, webhook-id) was stored before."""
        values = {**message, "secret": secret, "now": now}
        try:
            if self.ingest.both is not None:
                return self._execute(self.ingest.both, values).rowcount == 1
            stored = self._execute(self.ingest.message, values).fetchall()
            if stored:
                self._execute(self.ingest.delivery, {**values, "outcome": "queued", "message_id": stored[0][0]})
            return bool(stored)
        except self.ingest.integrity_error as error:
            raise Duplicate() from error

    def _execute(self, statement: Prepared, values: dict[str, Any]) -> Any:
        return self.driver.execute(statement.sql, statement.parameters(values))


@contextmanager
def _write_transaction(driver: Any) -> Iterator[None]:
    driver.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        driver.execute("ROLLBACK")
        raise
    driver.execute("COMMIT")
