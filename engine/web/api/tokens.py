"""API tokens: a machine client presents ``Authorization: Bearer gros_…`` and acts as the account the
token belongs to, with that account's current groups. The token is high-entropy random, so a SHA-256
of it is a safe thing to store and look up; it is shown once, when it is created."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from engine.accounts import actor_for
from engine.errors import InvalidData, NotFound
from engine.services import Actor, Engine
from engine.store.models import Account
from engine.web.api.models import ApiToken

PREFIX = "gros_"
# Recording every use would turn each read into a write; a minute is fine-grained enough to see use.
LAST_USE_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    username: str
    prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


def create_token(engine: Engine, username: str, name: str, created_by: str) -> tuple[TokenInfo, str]:
    """Make a token for an active account; returns its record and the token, which is not kept."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidData("een token heeft een naam van 1 tot 100 tekens", [])
    token = PREFIX + secrets.token_urlsafe(32)
    with engine.db.transaction() as session:
        account = session.scalars(select(Account).where(Account.username == username)).first()
        if account is None or not account.active:
            raise NotFound(f"geen actieve gebruiker '{username}'")
        row = ApiToken(account_id=account.id, name=name, token_hash=_digest(token), prefix=token[:12],
                       created_at=engine.now(), created_by=created_by)
        session.add(row)
        session.flush()
        return _info(row, username), token


def revoke_token(engine: Engine, token_id: int, revoked_by: str) -> None:
    with engine.db.transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"token {token_id} bestaat niet")
        if row.revoked_at is None:
            row.revoked_at, row.revoked_by = engine.now(), revoked_by


def list_tokens(engine: Engine, username: str | None = None) -> list[TokenInfo]:
    query = select(ApiToken, Account.username).join(Account, Account.id == ApiToken.account_id).order_by(ApiToken.id)
    if username:
        query = query.where(Account.username == username)
    with engine.db.reading() as session:
        return [_info(row, user) for row, user in session.execute(query)]


def actor_for_token(engine: Engine, token: str) -> Actor | None:
    """The actor a valid, unrevoked token of an active account stands for; None otherwise."""
    if not token.startswith(PREFIX):
        return None
    with engine.db.reading() as session:
        found = session.execute(
            select(ApiToken.id, ApiToken.last_used_at, Account.username)
            .join(Account, Account.id == ApiToken.account_id)
            .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
        ).first()
    if found is None:
        return None
    actor = actor_for(engine, found.username)
    if actor is not None:
        _note_use(engine, found.id, found.last_used_at)
    return actor


def _note_use(engine: Engine, token_id: int, last_used_at: datetime | None) -> None:
    now = engine.now()
    if last_used_at is not None and now - last_used_at < LAST_USE_GRANULARITY:
        return
    with engine.db.transaction() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiToken, username: str) -> TokenInfo:
    return TokenInfo(row.id, row.name, username, row.prefix, row.created_at, row.created_by, row.last_used_at,
                     row.revoked_at)
