"""Database states that many tests start from, built once per test session and copied for each test.

Migrating an empty database, deploying the GROS models or driving the demo dossiers costs more than most tests
themselves; a copy costs little. SQLite: the state is a file, each test gets ``shutil.copy`` of it. PostgreSQL:
the state is built in a schema of its own, ``pg_dump`` writes it out once as SQL, and each test runs that SQL
into a fresh schema. Every test gets its own copy, so a test that writes disturbs no other.

A state is named and built by a function that takes a database URL already on the newest schema; the same name
must always build the same state. Under pytest-xdist each worker builds its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from engine.store.db import Database

Build = Callable[[str], None]
MIGRATED = "migrated"


class Snapshots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, Path] = {}
        self.dumps: dict[str, tuple[str, str]] = {}  # name → (schema it was built in, pg_dump's SQL)

    def copy(self, request: pytest.FixtureRequest, folder: Path, name: str = MIGRATED,
             build: Build | None = None) -> str:
        """A copy of the named state on the database a ``database`` fixture's parameter names: a SQLite file in
        ``folder`` or a schema of its own in the run's PostgreSQL database (which may skip: "needs …")."""
        if request.param == "sqlite":
            return self.sqlite(folder / "gros.db", name, build)
        return self.postgres(request.getfixturevalue("postgres_url"), name, build)

    def sqlite(self, target: Path, name: str = MIGRATED, build: Build | None = None) -> str:
        """A copy of the named state in the SQLite file ``target``; its URL."""
        if name not in self.files:
            self.files[name] = self._build_file(name, build)
        shutil.copy(self.files[name], target)
        return f"sqlite:///{target}"

    def postgres(self, postgres_url: str, name: str = MIGRATED, build: Build | None = None) -> str:
        """A copy of the named state in a new schema of the run's PostgreSQL database; its URL."""
        if name not in self.dumps:
            self.dumps[name] = self._build_dump(postgres_url, name, build)
        built_in, dump = self.dumps[name]
        schema = _schema_name()
        target = create_engine(postgres_url)
        connection = target.raw_connection()
        try:
            connection.driver_connection.execute(dump.replace(built_in, schema))  # many statements, one transaction
            connection.commit()
        finally:
            connection.close()
            target.dispose()
        return schema_url(postgres_url, schema)

    def _build_file(self, name: str, build: Build | None) -> Path:
        path = self.folder / f"{name}.db"
        _migrate(f"sqlite:///{path}")
        if build:
            build(f"sqlite:///{path}")
        return path

    def _build_dump(self, postgres_url: str, name: str, build: Build | None) -> tuple[str, str]:
        url = new_schema(postgres_url)
        _migrate(url)
        if build:
            build(url)
        schema = url.rsplit("%3D", 1)[1]
        return schema, _dump(postgres_url, schema)


def new_schema(postgres_url: str) -> str:
    """An empty schema in the run's PostgreSQL database; the URL that works in it."""
    schema = _schema_name()
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema_url(postgres_url, schema)


def schema_url(postgres_url: str, schema: str) -> str:
    return f"{postgres_url}?options=-csearch_path%3D{schema}"


def _schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"  # long and random enough to stand for itself in pg_dump's SQL


def _migrate(url: str) -> None:
    database = Database(url)
    database.migrate()
    database.dispose()  # for SQLite the last connection to close folds the WAL in, so the file alone is the state


def _dump(postgres_url: str, schema: str) -> str:
    """pg_dump's SQL for one schema, with rows as INSERTs, without the psql meta-commands it adds."""
    if not shutil.which("pg_dump"):
        pytest.skip("needs pg_dump: apt-get install postgresql-client")
    url = make_url(postgres_url)
    command = ["pg_dump", "--schema", schema, "--inserts", "--no-owner", "--no-privileges", "--no-comments",
               "--host", url.host or "127.0.0.1", "--port", str(url.port or 5432), "--username", url.username or "",
               "--dbname", url.database or ""]
    password = {"PGPASSWORD": url.password} if url.password else {}
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120,
                          env=os.environ | password)
    return "\n".join(line for line in done.stdout.splitlines() if not line.startswith("\\"))
