"""Login throttling: after a few failed logins in a row for an account, or more from one address, the
next attempt is refused for a while, longer with every further failure, and a success starts over.
The request never sleeps: a refused attempt is answered at once (429, with how long to wait), so a
guesser gains nothing by waiting on an open connection and no worker is held up. Every failure is
in the audit trail (an event without an instance).

Time is the engine's clock, so tests move the clock instead of sleeping."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.services import Engine
from engine.store.models import AuditEvent, LoginFailures


@dataclass(frozen=True)
class Rule:
    free: int  # failures in a row before the first wait
    first_wait: timedelta  # doubled with every further failure
    longest_wait: timedelta


RULES = {
    "account": Rule(5, timedelta(seconds=30), timedelta(hours=1)),
    "address": Rule(20, timedelta(seconds=30), timedelta(hours=1)),  # colleagues may share one address
}
FORGOTTEN_AFTER = timedelta(days=1)  # failures longer ago than this no longer count


def wait_seconds(engine: Engine, username: str, address: str) -> int:
    """How long this account or address must still wait before trying again (0: it may try now)."""
    now = engine.now()
    with engine.db.reading() as session:
        until = [row.blocked_until for row in session.scalars(select(LoginFailures).where(_keys(username, address)))
                 if row.blocked_until is not None and row.blocked_until > now]
    return math.ceil((max(until) - now).total_seconds()) if until else 0


def failed(engine: Engine, username: str, address: str) -> None:
    """Count a failed login for the account and the address and record it in the audit trail."""
    now = engine.now()
    for attempt in (1, 2):
        try:
            with engine.db.transaction() as session:
                for kind, key in (("account", username), ("address", address)):
                    _count(session, kind, key[:200], now)
                session.add(AuditEvent(instance_id=None, at=now, actor=None, action="login.failed",
                                       data={"gebruikersnaam": username[:100], "adres": address}))
            return
        except IntegrityError:  # another worker counted this account's or address's first failure
            if attempt == 2:
                raise


def has_failures(engine: Engine, username: str, address: str) -> bool:
    """Whether failures are counted for the account or the address (so a success need not write)."""
    with engine.db.reading() as session:
        return session.scalars(select(LoginFailures.id).where(_keys(username, address)).limit(1)).first() is not None


def succeeded(engine: Engine, username: str, address: str) -> None:
    """A correct login: the account and the address start over."""
    with engine.db.transaction() as session:
        session.execute(delete(LoginFailures).where(_keys(username, address)))


def _count(session: Session, kind: str, key: str, now: datetime) -> None:
    row = session.scalars(select(LoginFailures).where(LoginFailures.kind == kind, LoginFailures.key == key)
                          .with_for_update()).first()
    if row is None:
        row = LoginFailures(kind=kind, key=key, failures=0, last_failed_at=now)
        session.add(row)
    elif now - row.last_failed_at > FORGOTTEN_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failed_at = now
    rule = RULES[kind]
    beyond = row.failures - rule.free
    row.blocked_until = now + min(rule.first_wait * 2 ** min(beyond, 20), rule.longest_wait) if beyond >= 0 else None
    session.flush()


def _keys(username: str, address: str):
    return ((LoginFailures.kind == "account") & (LoginFailures.key == username[:200])) | (
        (LoginFailures.kind == "address") & (LoginFailures.key == address[:200]))
