"""Accounts and their groups. Passwords are hashed with argon2; groups are the candidate groups."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from engine.errors import Conflict, InvalidData, NotFound
from engine.services import Actor, Engine
from engine.store.models import Account, AccountGroup

_HASHER = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,99}$")
GROUP = re.compile(r"^[a-z0-9][a-z0-9-]{1,99}$")
MIN_PASSWORD = 10


def create_account(engine: Engine, username: str, password: str, groups: list[str],
                   display_name: str | None = None, email: str | None = None) -> Account:
    _check(username, password, groups)
    with engine.db.transaction() as session:
        if session.scalars(select(Account).where(Account.username == username)).first() is not None:
            raise Conflict(f"gebruiker '{username}' bestaat al")
        account = Account(username=username, display_name=display_name or username, email=email,
                          password_hash=_HASHER.hash(password), active=True, created_at=engine.now())
        session.add(account)
        session.flush()
        session.add_all(AccountGroup(account_id=account.id, group_name=g) for g in dict.fromkeys(groups))
        return account


def set_groups(engine: Engine, username: str, groups: list[str]) -> None:
    _check_groups(groups)
    with engine.db.transaction() as session:
        account = _account(session, username)
        session.execute(delete(AccountGroup).where(AccountGroup.account_id == account.id))
        session.add_all(AccountGroup(account_id=account.id, group_name=g) for g in dict.fromkeys(groups))


def set_password(engine: Engine, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidData(f"een wachtwoord heeft minstens {MIN_PASSWORD} tekens", [])
    with engine.db.transaction() as session:
        _account(session, username).password_hash = _HASHER.hash(password)


def set_active(engine: Engine, username: str, active: bool) -> None:
    with engine.db.transaction() as session:
        _account(session, username).active = active


def authenticate(engine: Engine, username: str, password: str) -> Actor | None:
    """The actor for a correct username and password of an active account, else None."""
    with engine.db.reading() as session:
        account = session.scalars(select(Account).where(Account.username == username)).first()
        if account is None or not account.active:
            _HASHER.hash(password)  # same work whether or not the user exists
            return None
        try:
            _HASHER.verify(account.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return _actor(engine, session, account)


def actor_for(engine: Engine, username: str) -> Actor | None:
    """The actor of an active account, with its current groups."""
    with engine.db.reading() as session:
        account = session.scalars(select(Account).where(Account.username == username)).first()
        return _actor(engine, session, account) if account is not None and account.active else None


def account(engine: Engine, username: str) -> tuple[Account, list[str]] | None:
    """One account with its groups (active or not), or None."""
    with engine.db.reading() as session:
        found = session.scalars(select(Account).where(Account.username == username)).first()
        return (found, _groups(session, found.id)) if found is not None else None


def accounts(engine: Engine, group: str | None = None) -> list[tuple[Account, list[str]]]:
    with engine.db.reading() as session:
        query = select(Account).order_by(Account.username)
        if group:
            query = query.where(Account.id.in_(select(AccountGroup.account_id).where(AccountGroup.group_name == group)))
        return [(a, _groups(session, a.id)) for a in session.scalars(query)]


def _actor(engine: Engine, session, account: Account) -> Actor:
    return Actor.of(account.username, _groups(session, account.id) + granted_groups(engine, session, account.username))


def granted_groups(engine: Engine, session, username: str) -> list[str]:
    """The groups the engine's group sources (``Engine.grant_groups``) grant ``username`` now."""
    return [group for source in engine.executor.group_sources for group in source(session, username)]


def _groups(session, account_id: int) -> list[str]:
    return sorted(session.scalars(select(AccountGroup.group_name).where(AccountGroup.account_id == account_id)))


def _account(session, username: str) -> Account:
    account = session.scalars(select(Account).where(Account.username == username)).first()
    if account is None:
        raise NotFound(f"gebruiker '{username}' bestaat niet")
    return account


def _check(username: str, password: str, groups: list[str]) -> None:
    problems = []
    if not USERNAME.match(username):
        problems.append("een gebruikersnaam bestaat uit kleine letters, cijfers, '.', '_' of '-' (2–100 tekens)")
    if len(password) < MIN_PASSWORD:
        problems.append(f"een wachtwoord heeft minstens {MIN_PASSWORD} tekens")
    if problems:
        raise InvalidData("; ".join(problems), [])
    _check_groups(groups)


def _check_groups(groups: list[str]) -> None:
    bad = [g for g in groups if not GROUP.match(g)]
    if bad:
        raise InvalidData(f"ongeldige groepsnamen: {', '.join(bad)}", [])


def display_name(engine: Engine, username: str | None, known: dict[str, str]) -> str:
    """The name to show for a user in a history; ``known`` remembers the names looked up so far."""
    if not username:
        return "onbekend"
    if username not in known:
        found = account(engine, username)
        known[username] = found[0].display_name if found else username
    return known[username]
