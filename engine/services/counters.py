"""Named counters for business keys: a command takes the next value under the counter row's lock, in
its own transaction, so concurrent commands never draw the same number and a rolled-back command
gives its number back. (SQLite writers hold the database lock from BEGIN IMMEDIATE; PostgreSQL locks the
row with SELECT … FOR UPDATE.)"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.store.models import Counter

DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}


def next_value(session: Session, name: str, at_least: Callable[[Session], int] = lambda _: 0) -> int:
    """The next value of counter ``name``: one more than both its last value and ``at_least`` (read
    under the lock, e.g. the highest number already given out by hand)."""
    dialect = DIALECTS[session.get_bind().dialect.name]
    session.execute(dialect.insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
    counter = session.execute(select(Counter).where(Counter.name == name).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()
    counter.value = max(counter.value, at_least(session)) + 1
    session.flush()
    return counter.value
