"""A start takes the newest version of its process (issue 18). On PostgreSQL a start takes the newest version's id
this process read last without asking, and confirms it with its other statements (migration 0068's
``gros_confirm_newest``): one round trip instead of two. A version another process deployed meanwhile fails that
confirmation, and the start runs again on the newer version — nothing of the failed attempt stays."""

from __future__ import annotations

from sqlalchemy import func, select, text

from engine.bench.engine import round_trips_of
from engine.services import SYSTEM, Engine
from engine.store.models import AuditEvent, ProcessInstance
from tests.engine.test_fewer_index_writes import migrate_to
from tests.engine.test_hot_path import MODEL

RENAMED = MODEL.read_text().replace('name="', 'name="Versie 2: ', 1)


def _count(engine: Engine, column) -> int:
    with engine.db.reading() as session:
        return session.scalar(select(func.count(column)))


def test_a_start_takes_the_version_another_process_deployed_meanwhile(engine: Engine, clock):
    engine.repository.deploy([MODEL])
    for _ in range(3):  # read, and on PostgreSQL its statements prepared: the next start takes it without asking
        first = engine.runtime.start("bench")
    asked = []
    engine.executor.event_listeners.append(lambda session, events: asked.append(session.execute(select(1))))
    other = Engine.open(engine.db.url, clock=clock)
    try:
        [newer] = other.repository.deploy_sources({"bench.bpmn": RENAMED})
    finally:
        other.db.dispose()
    instances, events = _count(engine, ProcessInstance.id), _count(engine, AuditEvent.id)

    started = engine.runtime.start("bench")

    assert engine.query.instance(first).definition_id != newer.id
    assert engine.query.instance(started).definition_id == newer.id
    assert _count(engine, ProcessInstance.id) == instances + 1  # the failed attempt left nothing
    with engine.db.reading() as session:
        started_events = session.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == started)).all()
    assert _count(engine, AuditEvent.id) == events + len(started_events)
    assert started_events.count("instance.started") == 1


def test_on_postgresql_a_start_waits_for_the_database_once(pg_url: str, clock):
    core = Engine.open(pg_url, clock=clock)
    try:
        core.repository.deploy([MODEL])
        for _ in range(3):  # the newest version read once; the statements compiled from their second execution on
            core.runtime.start("bench")
        # BEGIN, the confirmation of the version, the instance and every row, and the COMMIT: one pipeline
        assert round_trips_of(core, lambda: core.runtime.start("bench")) == 1
    finally:
        core.db.dispose()


def test_a_domain_command_asks_for_the_newest_version_within_its_own_transaction(engine: Engine, clock):
    engine.repository.deploy([MODEL])
    engine.runtime.start("bench")
    other = Engine.open(engine.db.url, clock=clock)
    try:
        [newer] = other.repository.deploy_sources({"bench.bpmn": RENAMED})
    finally:
        other.db.dispose()
    with engine.executor.transaction() as session:
        started = engine.runtime.start_within(session, "bench", "DOMEIN-1", {}, SYSTEM)
    assert engine.query.instance(started).definition_id == newer.id


def test_the_confirmation_function_comes_and_goes_with_its_migration(pg_url: str, clock):
    core = Engine.open(pg_url, clock=clock)
    exists = text("SELECT count(*) FROM pg_proc WHERE proname = 'gros_confirm_newest' "
                  "AND pronamespace = current_schema()::regnamespace")
    try:
        with core.db.engine.connect() as connection:
            assert connection.execute(exists).scalar() == 1
        migrate_to(core, "0067_fewer_index_writes")
        with core.db.engine.connect() as connection:
            assert connection.execute(exists).scalar() == 0
        core.db.migrate()
        core.repository.deploy([MODEL])
        assert [core.runtime.start("bench") for _ in range(3)]
    finally:
        core.db.dispose()
