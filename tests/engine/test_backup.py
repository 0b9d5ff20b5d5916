"""Back-up and restore (issue 20): ``gros backup`` while commands run gives a consistent snapshot that
``gros restore`` loads into an empty database, with every instance loadable and its derived rows as
the engine derives them; at rest the restored database equals the original, table for table."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from engine.services import Actor, Engine
from engine.store.db import POSTGRES_ADMIN_URL, scratch_postgres
from engine.store.models import Base
from engine.wiring import open_engine
from tests.conftest import DATA

GROS = str(Path(sys.executable).with_name("gros"))
COMPARED = ("process_instance", "human_task", "timer", "subscription", "position", "audit_event",
            "instance_summary")


def gros(url: str, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"GROS_DATABASE_URL": url}
    return subprocess.run([GROS, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(original, a second empty database, a third empty one) — PostgreSQL: whole databases, as pg_dump
    works per database."""
    if request.param == "sqlite":
        yield tuple(f"sqlite:///{tmp_path / name}.db" for name in ("origineel", "hersteld", "rust"))
        return
    try:
        with scratch_postgres("gros_backup") as a, scratch_postgres("gros_backup") as b, \
                scratch_postgres("gros_backup") as c:
            yield a, b, c
    except OperationalError as error:
        pytest.skip(f"needs PostgreSQL at {POSTGRES_ADMIN_URL}: {error.orig}")


def work(engine: Engine, started: threading.Event, stop: threading.Event, failures: list[Exception]) -> None:
    """Dossiers that start, wait at timers and complete — one command after the other, until stopped."""
    try:
        _work(engine, started, stop)
    except Exception as error:  # the test thread reports it
        failures.append(error)
        started.set()


def _work(engine: Engine, started: threading.Event, stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        instance_id = engine.runtime.start("parallel", business_key=f"B-{n}")
        engine.runtime.start("termijnen", business_key=f"T-{n}")
        for group, variable in (("grensregio-nl", "besluit_nl"), ("grensregio-vl", "besluit_vl")):
            [task] = engine.query.tasks(group=group, instance_id=instance_id)
            engine.tasks.complete(task.id, Actor.of("ambtenaar", [group]), {variable: "ja"})
        if n == 3:
            started.set()
        n += 1


def table(url: str, name: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            model = Base.metadata.tables[name]
            return [tuple(row) for row in connection.execute(select(model).order_by(*model.primary_key))]
    finally:
        engine.dispose()


def test_backup_during_commands_restores_a_consistent_database(databases, tmp_path: Path):
    original, restored, at_rest = databases
    engine = open_engine(original)
    engine.repository.deploy([DATA / "bpmn" / "parallel.bpmn", DATA / "bpmn" / "timers.bpmn"])
    started, stop = threading.Event(), threading.Event()
    failures: list[Exception] = []
    worker = threading.Thread(target=work, args=(engine, started, stop, failures))
    worker.start()
    started.wait(timeout=120)
    backed_up = gros(original, "backup", str(tmp_path / "tijdens.bak"))
    stop.set()
    worker.join(timeout=120)
    assert backed_up.returncode == 0, backed_up.stderr
    assert failures == [] and not worker.is_alive()

    loaded = gros(restored, "restore", str(tmp_path / "tijdens.bak"))
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "controle geslaagd" in loaded.stdout
    # A snapshot: the audit trail up to some moment, and exactly the instances that existed then.
    audit = table(restored, "audit_event")
    assert 0 < len(audit) < len(table(original, "audit_event"))
    assert audit == table(original, "audit_event")[:len(audit)]
    snapshot_ids = {row[0] for row in table(restored, "process_instance")}
    assert snapshot_ids == {row[1] for row in audit if row[4] == "instance.started"}

    assert gros(original, "backup", str(tmp_path / "rust.bak")).returncode == 0
    assert gros(at_rest, "restore", str(tmp_path / "rust.bak")).returncode == 0
    for name in COMPARED:
        assert table(at_rest, name) == table(original, name), name
    engine.db.dispose()


def test_restore_refuses_a_database_that_is_not_empty(databases, tmp_path: Path):
    original, other, _ = databases
    open_engine(original).db.dispose()
    assert gros(original, "backup", str(tmp_path / "a.bak")).returncode == 0
    open_engine(other).db.dispose()
    refused = gros(other, "restore", str(tmp_path / "a.bak"))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "is niet leeg" in refused.stderr and "herstel alleen in een lege database" in refused.stderr
    again = gros(original, "backup", str(tmp_path / "a.bak"))
    assert again.returncode == 1 and "bestaat al" in again.stderr


def test_verify_names_a_derived_row_that_does_not_match(sqlite_url: str):
    engine = open_engine(sqlite_url)
    engine.repository.deploy([DATA / "bpmn" / "timers.bpmn"])
    instance_id = engine.runtime.start("termijnen")
    with engine.db.transaction() as session:
        session.execute(text("DELETE FROM timer WHERE instance_id = :id AND element_id = 'overleg'"),
                        {"id": instance_id})
    engine.db.dispose()
    checked = gros(sqlite_url, "verify")
    assert checked.returncode == 1
    assert f"instantie {instance_id}: timers wijken af" in checked.stderr and "2027-03-01T08:00:00" in checked.stderr
