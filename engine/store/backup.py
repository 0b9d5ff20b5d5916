"""Back-ups that restore. SQLite: the online backup API copies a consistent snapshot page by page while
the app keeps running (WAL readers never block the writer). PostgreSQL: ``pg_dump -Fc`` (one snapshot
in a repeatable-read transaction, so equally safe while the app runs) and ``pg_restore`` into an empty
database. A restore only ever goes into an empty database: it never mixes two histories."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

SQLITE_MAGIC, PG_MAGIC = b"SQLite format 3\x00", b"PGDMP"


class BackupError(Exception):
    """A back-up or restore that cannot be done; the message is for the operator (Dutch)."""


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database at ``url`` to ``target`` (a new file)."""
    if target.exists():
        raise BackupError(f"{target} bestaat al: kies een nieuwe bestandsnaam voor de back-up")
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        source = _sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"de database {source} bestaat niet: er is niets om te back-uppen")
        _sqlite_copy(source, target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], url)


def restore(source: Path, url: str) -> None:
    """Load the back-up ``source`` into the empty database at ``url``."""
    if not source.is_file():
        raise BackupError(f"back-up {source} bestaat niet")
    kind = _kind(source)
    if kind != ("sqlite" if url.startswith("sqlite") else "postgresql"):
        raise BackupError(f"{source} is een {kind}-back-up; die hoort in een {kind}-database, niet in {_safe(url)}")
    tables = existing_tables(url)
    if tables:
        raise BackupError(f"de database {_safe(url)} is niet leeg ({len(tables)} tabellen, o.a. {tables[0]}): "
                          "herstel alleen in een lege database")
    if kind == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, path)
    else:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              str(source)], url)


def existing_tables(url: str) -> list[str]:
    if url.startswith("sqlite") and not _sqlite_path(url).exists():
        return []
    engine = create_engine(url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("een SQLite-database in het geheugen heeft geen back-up")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


def _kind(path: Path) -> str:
    head = path.open("rb").read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is geen back-up van GROS werkstroom (geen SQLite-bestand en geen pg_dump -Fc)")


def _run(command: list[str], url: str) -> None:
    """Run a PostgreSQL client tool against ``url``; the password travels in the environment, not argv."""
    parsed = make_url(url)
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = os.environ | ({"PGPASSWORD": parsed.password} if parsed.password else {})
    try:
        result = subprocess.run([*command, f"--dbname={conninfo}"], capture_output=True, text=True, env=env)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is niet geïnstalleerd (Debian: apt-get install postgresql-client)") \
            from error
    if result.returncode != 0:
        raise BackupError(f"{command[0]} mislukte: {result.stderr.strip()}")


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
