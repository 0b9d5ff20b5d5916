"""The command's hot path (issue 18): derived rows written as a difference with the rows kept beside the
live workflow, a held task's row not read back, state stored deflated — each still exactly what a cold
read of the database gives, and a second process's commands still seen."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import JSON, Boolean, bindparam, delete, insert, null, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from engine import derived
from engine.bench.engine import round_trips_of, statements_of
from engine.bpmn.serializer import state_json
from engine.errors import Conflict, NotFound
from engine.services import Actor, Engine
from engine.store.db import Batch, Database, DriverRows, execute
from engine.store.models import (
    Account,
    AuditEvent,
    Counter,
    HistoricTask,
    HumanTask,
    Incident,
    LoginFailures,
    Position,
    ProcessInstance,
    TaskCandidate,
    UTCDateTime,
)
from engine.store.prepared import converter

MODEL = Path(__file__).parents[2] / "engine" / "bench" / "bench.bpmn"
SECRETARIAAT = Actor.of("sam", ["secretariaat"])
NL = Actor.of("nora", ["grensregio-nl"])


@pytest.fixture
def deployed(engine: Engine) -> Engine:
    engine.repository.deploy([MODEL])
    return engine


def only_task(engine: Engine, instance_id: str):
    [task] = engine.query.tasks(instance_id=instance_id)
    return task


def stored_rows(engine: Engine, instance_id: str) -> derived.Rows:
    with engine.db.transaction() as session:
        return derived.stored(session, instance_id)


def test_rows_written_from_the_live_copy_equal_what_the_tables_hold(deployed: Engine):
    instance_id = deployed.runtime.start("bench")
    for _ in range(3):  # rework: the task is replaced by a new one at the same element
        deployed.tasks.complete(only_task(deployed, instance_id).id, SECRETARIAAT, {"opnieuw": True})
    deployed.tasks.claim(only_task(deployed, instance_id).id, SECRETARIAAT)
    deployed.tasks.complete(only_task(deployed, instance_id).id, SECRETARIAAT, {"opnieuw": False})

    live = deployed.executor._live.take(instance_id, deployed.query.instance(instance_id).revision)
    assert live is not None
    assert live[1] == stored_rows(deployed, instance_id)
    assert stored_candidates(deployed, instance_id) == {
        (task_id, kind, name) for task_id, values in live[1].tasks.items()
        for kind, name in [("group", *values["candidate_groups"])]}
    assert {t.element_id for t in deployed.query.tasks(instance_id=instance_id)} == {"besluit_nl", "besluit_vl"}
    assert {p.element_id for p in deployed.query.positions(instance_id)} == {"besluit_nl", "besluit_vl"}


def test_a_completion_on_a_held_instance_writes_only_what_changed(database: str, clock):
    core = Engine.open(database, clock=clock)  # the engine's own statements, without the domain's listeners
    try:
        core.repository.deploy([MODEL])
        instance_id = core.runtime.start("bench")
        task = only_task(core, instance_id)
        done = statements_of(core, lambda: core.tasks.complete(task.id, SECRETARIAAT, {"opnieuw": True}))
        again = only_task(core, instance_id)
        with core.db.reading() as session:
            history = dict(session.execute(select(HistoricTask.id, HistoricTask.ended_at)
                                           .where(HistoricTask.instance_id == instance_id)).all())
        candidates = stored_candidates(core, instance_id)
    finally:
        core.db.dispose()
    # lock, Camunda's task history closed for the old task and opened for the new one (one upsert), the old
    # task's row rewritten for the new one (same candidates: theirs follow by ON UPDATE CASCADE), the one new
    # variable, the instance, the audit; the position stays
    assert [s.split()[0] + " " + s.split()[2 if s.startswith(("INSERT", "DELETE")) else 1] for s in done] == [
        "SELECT process_instance.id,", "INSERT historic_task", "UPDATE human_task", "INSERT variable_instance",
        "UPDATE process_instance", "INSERT audit_event"]
    assert "ON CONFLICT" in done[1] and "ON CONFLICT" in done[3]
    assert again.id != task.id and again.created_at == clock.now()
    assert history == {task.id: clock.now(), again.id: None}
    assert candidates == {(again.id, "group", "secretariaat")}


def stored_candidates(engine: Engine, instance_id: str) -> set[tuple[str, str, str]]:
    with engine.db.reading() as session:
        return set(session.execute(select(TaskCandidate.task_id, TaskCandidate.kind, TaskCandidate.name).join(
            HumanTask, HumanTask.id == TaskCandidate.task_id).where(HumanTask.instance_id == instance_id)).all())


def test_on_postgresql_a_completion_waits_for_the_database_twice(pg_url: str, clock):
    core = Engine.open(pg_url, clock=clock)
    try:
        core.repository.deploy([MODEL])
        instance_id = core.runtime.start("bench")
        for _ in range(2):  # the statements are compiled from their second execution on
            core.tasks.complete(only_task(core, instance_id).id, SECRETARIAAT, {"opnieuw": True})
        task = only_task(core, instance_id)
        # BEGIN with the lock, then every write with the COMMIT — no ping of a busy connection
        trips = round_trips_of(core, lambda: core.tasks.complete(task.id, SECRETARIAAT, {"opnieuw": True}))
        assert trips == 2
        assert only_task(core, instance_id).id != task.id
        assert stored_rows(core, instance_id).tasks.keys() == {only_task(core, instance_id).id}
    finally:
        core.db.dispose()


def test_on_postgresql_begin_rides_with_the_first_statement_and_the_transaction_still_holds(pg_url: str):
    """The driver runs in autocommit and BEGIN goes out with a transaction's first statement: what the
    transaction wrote is still undone when it fails, whether its first statement is one row or many."""
    db = Database(pg_url)
    try:
        with pytest.raises(RuntimeError), db.transaction() as session:
            session.execute(insert(Counter), {"name": "eerste", "value": 1})
            session.execute(insert(Counter), {"name": "tweede", "value": 1})
            raise RuntimeError("de opdracht faalt na twee rijen")
        with pytest.raises(IntegrityError), db.transaction() as session:
            session.execute(insert(Counter), [{"name": "dubbel", "value": 1}, {"name": "dubbel", "value": 2}])
        with db.transaction() as session:
            session.execute(insert(Counter), {"name": "blijft", "value": 1})
        with db.reading() as session:
            assert session.scalars(select(Counter.name)).all() == ["blijft"]
    finally:
        db.dispose()


def test_on_postgresql_a_prepared_first_statement_is_inside_its_transaction(pg_url: str):
    """A statement ``execute`` sends on the driver may be a transaction's first: its BEGIN goes with it too."""
    db = Database(pg_url)
    statement = insert(Counter.__table__).inline()
    try:
        for name in ("een", "twee"):  # compiled from its second execution on
            with db.transaction() as session:
                execute(session.connection(), statement, {"name": name, "value": 1})
        with pytest.raises(RuntimeError), db.transaction() as session:
            execute(session.connection(), statement, {"name": "weg", "value": 1})
            raise RuntimeError("de opdracht faalt na haar eerste rij")
        with db.reading() as session:
            assert sorted(session.scalars(select(Counter.name))) == ["een", "twee"]
    finally:
        db.dispose()


def test_on_postgresql_a_batch_waits_for_the_next_statement_or_goes_with_the_commit(pg_url: str):
    """A batch of statements ready for the driver is held and sent with whatever the transaction sends next —
    its next statement, else its COMMIT — in one round trip; it is read by that next statement, a failure in it
    fails the commit as SQLAlchemy's error, and a rollback drops it unsent."""
    db = Database(pg_url)
    statement = insert(Counter.__table__).inline()

    def batch_of(session, name: str) -> None:
        batch = Batch(session.connection())
        batch.execute(statement, {"name": name, "value": 1})
        batch.send()

    try:
        for name in ("een", "twee"):  # compiled from its second execution on, and only then held
            with db.transaction() as session:
                batch_of(session, name)
        with db.transaction() as session:
            batch_of(session, "drie")
            assert session.scalars(select(Counter.name).order_by(Counter.name)).all() == ["drie", "een", "twee"]
        with pytest.raises(IntegrityError), db.transaction() as session:
            session.execute(insert(Counter), {"name": "vier", "value": 1})
            batch_of(session, "een")  # its key is taken: the commit fails, and "vier" goes too
        with pytest.raises(RuntimeError), db.transaction() as session:
            batch_of(session, "vijf")
            raise RuntimeError("teruggedraaid voor de batch vertrok")
        with db.transaction() as session:  # the same pooled connection: nothing of "vijf" rides along
            session.execute(insert(Counter), {"name": "zes", "value": 1})
        with db.reading() as session:
            assert session.scalars(select(Counter.name).order_by(Counter.name)).all() == ["drie", "een", "twee", "zes"]
    finally:
        db.dispose()


def test_a_failing_statement_in_a_batch_raises_sqlalchemys_error_and_nothing_of_the_batch_stays(database: str):
    db = Database(database)
    try:
        with pytest.raises(IntegrityError), db.transaction() as session:
            batch = Batch(session.connection())
            batch.execute(insert(Counter).inline(), {"name": "teller", "value": 1})
            batch.execute(insert(Counter).inline(), {"name": "teller", "value": 2})
            batch.send()
        with db.reading() as session:
            assert session.scalars(select(Counter.name)).all() == []
    finally:
        db.dispose()


def test_a_task_completed_by_another_process_is_refused_here_and_its_change_is_read(deployed: Engine,
                                                                                     database: str):
    instance_id = deployed.runtime.start("bench")
    task = only_task(deployed, instance_id)
    other = Engine.open(database, clock=deployed.clock)  # another worker: its own memory
    try:
        other.tasks.complete(task.id, SECRETARIAAT, {"opnieuw": False})
        with pytest.raises((Conflict, NotFound)):
            deployed.tasks.complete(task.id, SECRETARIAAT, {"opnieuw": False})
        nl = next(t for t in deployed.query.tasks(instance_id=instance_id) if t.element_id == "besluit_nl")
        deployed.tasks.complete(nl.id, NL, {})
    finally:
        other.db.dispose()
    assert {t.element_id for t in deployed.query.tasks(instance_id=instance_id)} == {"besluit_vl"}
    assert {p.element_id for p in deployed.query.positions(instance_id)} == {"besluit_vl"}
    audit = [e.action for e in deployed.query.history(instance_id) if e.action == "task.completed"]
    assert len(audit) == 2


def test_state_is_stored_deflated_and_state_written_as_plain_json_still_loads(deployed: Engine):
    instance_id = deployed.runtime.start("bench")
    stored = deployed.query.instance(instance_id).state
    assert len(stored) < len(state_json(stored)) / 2
    with deployed.db.transaction() as session:  # as an older version wrote it
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id).values(
            state=state_json(stored), revision=ProcessInstance.revision + 1))
    deployed.tasks.complete(only_task(deployed, instance_id).id, SECRETARIAAT, {"opnieuw": False})
    assert {t.element_id for t in deployed.query.tasks(instance_id=instance_id)} == {"besluit_nl", "besluit_vl"}


def test_a_token_that_moves_arrives_anew_and_a_token_that_stays_keeps_its_arrival(deployed: Engine, clock):
    instance_id = deployed.runtime.start("bench")
    started = clock.now()
    clock.advance(timedelta(hours=1))
    deployed.tasks.complete(only_task(deployed, instance_id).id, SECRETARIAAT, {"opnieuw": True})
    assert positions(deployed, instance_id) == {"registreren": started}  # rework: the token stayed
    clock.advance(timedelta(hours=1))
    deployed.tasks.complete(only_task(deployed, instance_id).id, SECRETARIAAT, {"opnieuw": False})
    moved = clock.now()
    clock.advance(timedelta(hours=1))
    nl = next(t for t in deployed.query.tasks(instance_id=instance_id) if t.element_id == "besluit_nl")
    deployed.tasks.complete(nl.id, NL, {})
    assert positions(deployed, instance_id) == {"besluit_vl": moved}


def positions(engine: Engine, instance_id: str) -> dict:
    with engine.db.reading() as session:
        return dict(session.execute(select(Position.element_id, Position.since)
                                    .where(Position.instance_id == instance_id)).all())


def test_a_save_listener_runs_only_when_a_variable_it_reads_or_the_processes_holding_tokens_changed(
        deployed: Engine):
    seen: list[tuple] = []
    deployed.on_save(lambda session, instance, workflow, now: seen.append((workflow.data.get("ernst"),
                                                                           workflow.completed)),
                     reads=lambda name: name == "ernst")
    instance_id = deployed.runtime.start("bench")  # new: everything changed
    task = only_task(deployed, instance_id)
    deployed.tasks.claim(task.id, SECRETARIAAT)  # no variable, no move
    deployed.tasks.complete(task.id, SECRETARIAAT, {"opnieuw": True})  # a variable it does not read
    assert seen == [(None, False)]

    deployed.tasks.complete(only_task(deployed, instance_id).id, SECRETARIAAT, {"opnieuw": True, "ernst": 2})
    deployed.executor.forget_live()  # what was stored is read back: the same answer
    deployed.tasks.complete(only_task(deployed, instance_id).id, SECRETARIAAT, {"opnieuw": False, "ernst": 2})
    assert seen == [(None, False), (2, False)]  # a move within the same process is not a change of phase

    for task in deployed.query.tasks(instance_id=instance_id):
        deployed.tasks.complete(task.id, NL if task.element_id == "besluit_nl" else Actor.of("vera", ["grensregio-vl"]))
    assert seen == [(None, False), (2, False), (2, True)]  # the end


def _kinds(statements: list[str]) -> list[str]:
    return [s.split()[0] + " " + s.split()[2 if s.startswith(("INSERT", "DELETE")) else 1] for s in statements]


def test_a_start_writes_its_instance_once_with_the_state_its_engine_steps_leave(database: str, clock):
    core = Engine.open(database, clock=clock)
    try:
        core.repository.deploy([MODEL])
        core.runtime.start("bench")  # the definition is read and kept; the statements are prepared
        instance_ids: list[str] = []
        sent = statements_of(core, lambda: instance_ids.append(core.runtime.start("bench")))
        stored = core.query.instance(instance_ids[0])
        core.executor.forget_live()  # the stored state is what the next command loads
        core.tasks.complete(only_task(core, instance_ids[0]).id, SECRETARIAAT, {"opnieuw": False})
        waiting = {t.element_id for t in core.query.tasks(instance_id=instance_ids[0])}
    finally:
        core.db.dispose()
    rows = ["INSERT process_instance", "INSERT human_task", "INSERT historic_task", "INSERT task_candidate",
            "INSERT position", "INSERT audit_event"]
    if core.db.is_sqlite:  # the newest version asked first; PostgreSQL confirms the one it knew with the rows
        assert _kinds(sent) == ["SELECT process_definition.id", *rows]
    else:
        confirming = [s for s in sent if s.startswith("SELECT gros_confirm_newest(")]
        assert len(confirming) == 1 and _kinds([s for s in sent if s not in confirming]) == rows
    assert (stored.revision, stored.status, stored.waiting_at) == (1, "running", ["registreren"])
    assert waiting == {"besluit_nl", "besluit_vl"}


def test_a_save_listener_writing_a_row_that_refers_to_a_new_instance_finds_it_stored(database: str, clock):
    def refer(session, instance, workflow, now) -> None:
        session.execute(insert(Incident).values(instance_id=instance.id, message="ref", created_at=now))

    core = Engine.open(database, clock=clock)
    core.on_save(refer)
    try:
        core.repository.deploy([MODEL])
        instance_ids: list[str] = []
        sent = statements_of(core, lambda: instance_ids.append(core.runtime.start("bench")))
        instance = core.query.instance(instance_ids[0])
    finally:
        core.db.dispose()
    # stored at once for the listener, as it is then; the save brings it up to date
    kinds = _kinds(sent)
    assert kinds.index("INSERT process_instance") < kinds.index("INSERT incident") < kinds.index(
        "UPDATE process_instance")
    assert (instance.revision, instance.waiting_at) == (1, ["registreren"])


_AUDIT = AuditEvent.__table__
_INSERT_AUDIT = insert(_AUDIT).inline()
# a WHERE with a literal (bound, not given by the row) beside a value the row gives, by a name that
# PostgreSQL's paramstyle cannot hold (sent escaped)
_RESTAMP = update(_AUDIT).where(_AUDIT.c.action == "x", _AUDIT.c.actor == bindparam("actor (was)"))


def _writes(send, insert_audit, restamp, who: str, now) -> list:
    """Inserts one row, two at once and one that no UPDATE may touch (action "y"), then updates them:
    NULLs, JSON null, JSON with non-ASCII text, a datetime in another zone; what each ``send`` answered."""
    row = {"instance_id": None, "at": now, "actor": f"{who}1", "action": "x", "data": {"a": [1, "é", None]}}
    summer = now.astimezone(timezone(timedelta(hours=2)))
    return [send(insert_audit(), row),
            send(insert_audit(), [row | {"actor": f"{who}{n}", "data": None, "instance_id": "i"} for n in (2, 3)]),
            send(insert_audit(), row | {"actor": f"{who}4", "action": "y"}),
            *(send(restamp(), {"actor (was)": f"{who}{n}", "at": summer, "data": data, "element_id": None})
              for n, data in ((1, {"ü": "ß"}), (2, None), (4, {"touched": True})))]


def test_a_statement_sent_prepared_stores_what_sqlalchemys_own_path_stores(database: str, clock):
    db = Database(database)
    try:
        with db.transaction() as session:
            connection = session.connection()
            # SQLAlchemy's own path, with statements built anew each time
            _writes(connection.execute, lambda: insert(_AUDIT).inline(), lambda: update(_AUDIT).where(
                _AUDIT.c.action == "x", _AUDIT.c.actor == bindparam("actor (was)")), "own", clock.now())
            # the same statements kept: the first execution goes SQLAlchemy's way, the next ones prepared
            _writes(lambda *sent: execute(connection, *sent), lambda: _INSERT_AUDIT, lambda: _RESTAMP, "warm",
                    clock.now())
            answers = _writes(lambda *sent: execute(connection, *sent), lambda: _INSERT_AUDIT, lambda: _RESTAMP,
                              "prepared", clock.now())
            execute(connection, delete(AuditEvent).where(  # expanding IN: never prepared
                AuditEvent.actor.in_(bindparam("names", expanding=True))), {"names": ["warm1", "warm2", "warm3"]})
            stored = connection.exec_driver_sql(
                "SELECT actor, action, at, data, data IS NULL, instance_id, element_id FROM audit_event"
                " WHERE actor NOT IN ('warm1', 'warm2', 'warm3', 'warm4') ORDER BY id").all()
        with db.reading() as session:
            read = session.execute(select(AuditEvent.actor, AuditEvent.at, AuditEvent.data)
                                   .where(AuditEvent.actor.like("prepared%")).order_by(AuditEvent.id)).all()
    finally:
        db.dispose()
    assert all(isinstance(answer, DriverRows) for answer in answers)  # sent on the driver, every one
    # what the driver holds: each prepared row as its twin SQLAlchemy sent, JSON null and SQL NULL kept apart
    own, prepared = stored[:4], stored[4:]
    assert [r[0] for r in own] == ["own1", "own2", "own3", "own4"]
    assert [r[1:] for r in prepared] == [r[1:] for r in own]
    assert read == [("prepared1", clock.now(), {"ü": "ß"}), ("prepared2", clock.now(), None),
                    ("prepared3", clock.now(), None), ("prepared4", clock.now(), {"a": [1, "é", None]})]


_KEPT = {table: insert(table).inline() for table in (AuditEvent.__table__, Account.__table__,
                                                    LoginFailures.__table__)}


def _edge_rows(who: str, now: datetime) -> dict:
    """Per table, rows with the values bind processors convert at their edges: moments in other zones, on a
    whole second, in the years 999 and 1, NULL; JSON with non-ASCII text, nesting, floats, JSON null (None and
    JSON.NULL), SQL NULL, a bare string and number; booleans."""
    west = timezone(-timedelta(hours=2))
    moments = [now, now.astimezone(timezone(timedelta(hours=5, minutes=30))), now.replace(microsecond=0),
               now.replace(microsecond=7), datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
               datetime(1, 1, 1, 1, 2, 3, tzinfo=west), now]
    data = [{"ü": {"ß": ["€", 1.5, -0.0, 1e-7, 10**20, 0.1 + 0.2]}}, None, [], JSON.NULL, null(), "tëkst",
            {"a": {"b": [True, False, None, {}]}, "": 3.25}]
    return {
        AuditEvent.__table__: [{"instance_id": None, "at": at, "actor": f"{who}{n}", "action": "edge",
                                "element_id": None, "element_name": "é", "task_id": None, "data": value}
                               for n, (at, value) in enumerate(zip(moments, data, strict=True))],
        Account.__table__: [{"username": f"{who}{n}", "display_name": "Zoë", "email": None, "password_hash": "-",
                             "active": active, "created_at": at}
                            for n, (active, at) in enumerate(zip((True, False, True), moments[4:], strict=True))],
        LoginFailures.__table__: [{"kind": "account", "key": f"{who}{n}", "failures": n, "last_failed_at": at,
                                   "blocked_until": until}
                                  for n, (at, until) in enumerate(((moments[1], None), (moments[4], moments[5])))],
    }


_STORED = {  # per table its rows as the database holds them (JSON also as its text), by who wrote them
    AuditEvent.__table__: "SELECT actor, instance_id, at, action, element_id, element_name, task_id, data,"
                          " CAST(data AS TEXT), data IS NULL FROM audit_event WHERE action = 'edge'",
    Account.__table__: "SELECT username, display_name, email, password_hash, active, created_at FROM account",
    LoginFailures.__table__: "SELECT key, kind, failures, last_failed_at, blocked_until FROM login_failures",
}


def test_edge_values_sent_prepared_are_stored_as_sqlalchemys_own_path_stores_them(database: str, clock):
    db = Database(database)
    try:
        with db.transaction() as session:
            connection = session.connection()
            for table, rows in _edge_rows("own", clock.now()).items():  # statements built anew: SQLAlchemy's
                for row in rows:
                    connection.execute(insert(table).inline(), row)
            answers = {}
            for who in ("warm", "one", "many"):  # kept: the first execution goes SQLAlchemy's way
                for table, rows in _edge_rows(who, clock.now()).items():
                    sent = [rows] if who == "many" else rows  # all rows in one executemany
                    answers[who, table] = [execute(connection, _KEPT[table], given) for given in sent]
            stored = {table: connection.execute(text(f"{sql} ORDER BY 1")).all() for table, sql in _STORED.items()}
        with db.reading() as session:
            read = session.execute(select(AuditEvent.at, AuditEvent.data).where(AuditEvent.actor.like("one%"))
                                   .order_by(AuditEvent.actor)).all()
    finally:
        db.dispose()
    assert all(isinstance(answer, DriverRows) for (who, _), sent in answers.items() if who != "warm"
               for answer in sent)  # sent on the driver, every one
    for table, rows in stored.items():
        by_who = {who: [row[1:] for row in rows if row[0].startswith(who)] for who in ("own", "one", "many")}
        assert len(by_who["own"]) == len(_edge_rows("own", clock.now())[table])
        assert by_who["one"] == by_who["own"] and by_who["many"] == by_who["own"], table.name
    edges = _edge_rows("one", clock.now())[AuditEvent.__table__]
    assert read == [(row["at"], None if row["data"] is JSON.NULL or row["data"] is null() else row["data"])
                    for row in edges]


_SQLITE, _POSTGRESQL = sqlite.dialect(), postgresql.psycopg.dialect()
_UTC = UTCDateTime()
_MOMENTS = [datetime(2027, 1, 4, 9, 0, tzinfo=UTC), datetime(2027, 7, 4, 9, 0, 0, 1, tzinfo=UTC),
            datetime(999, 1, 1, 12, 0, 0, 999999, tzinfo=timezone(timedelta(hours=3))),
            datetime(1, 1, 1, tzinfo=timezone(-timedelta(minutes=1))), None]


@pytest.mark.parametrize("dialect", [_SQLITE, _POSTGRESQL], ids=["sqlite", "postgresql"])
@pytest.mark.parametrize(("type_", "values"), [
    (_UTC, [*_MOMENTS, _MOMENTS[0], _MOMENTS[2]]),  # a moment again: the last one's text is kept
    (JSON(), [{"ü": [1.5, -0.0, 10**20, None]}, [], {}, None, JSON.NULL, null(), "é", 3, True, [[{"": {}}]]]),
    (JSON(none_as_null=True), [None, [None], {"a": None}]),
    (Boolean(), [True, False, None, 1, 0]),
], ids=["utc-datetime", "json", "json-none-as-null", "boolean"])
def test_a_converter_gives_what_sqlalchemys_bind_processor_gives(dialect, type_, values):
    ours, theirs = converter(type_, dialect), type_.dialect_impl(dialect).bind_processor(dialect)
    for value in values:
        expected, got = theirs(value), ours(value)
        assert (type(got), _unwrapped(got)) == (type(expected), _unwrapped(expected)), value


def _unwrapped(value):
    """psycopg's Json wraps the value it sends as JSON (and compares by identity)."""
    return getattr(value, "obj", value)


@pytest.mark.parametrize(("dialect", "type_", "value", "error"), [
    *((dialect, type_, value, error) for dialect in (_SQLITE, _POSTGRESQL) for type_, value, error in (
        (_UTC, datetime(2027, 1, 4, 9, 0), ValueError),  # naive
        (_UTC, date(2027, 1, 4), AttributeError),
        (Boolean(), "ja", TypeError),
        (Boolean(), 2, ValueError))),
    (_SQLITE, JSON(), object(), TypeError),  # PostgreSQL's driver serializes JSON itself, when it sends it
])
def test_a_converter_refuses_what_sqlalchemys_bind_processor_refuses(dialect, type_, value, error):
    with pytest.raises(error):
        type_.dialect_impl(dialect).bind_processor(dialect)(value)
    with pytest.raises(error):
        converter(type_, dialect)(value)


def test_a_query_sent_prepared_answers_the_drivers_rows(database: str):
    db = Database(database)
    statement = select(Counter.value).where(Counter.name == bindparam("name"))
    try:
        with db.transaction() as session:
            connection = session.connection()
            execute(connection, insert(Counter), [{"name": "a", "value": 1}, {"name": "b", "value": 2}])
            answers = [execute(connection, statement, {"name": name}) for name in ("a", "b", "b", "none")]
            assert [answer.scalar() for answer in answers] == [1, 2, 2, None]  # the first SQLAlchemy's result
    finally:
        db.dispose()
    assert answers[2] == [(2,)] and answers[3] == []


def test_a_failing_statement_sent_prepared_raises_sqlalchemys_error(database: str):
    db = Database(database)
    statement = insert(Counter.__table__).inline()
    try:
        with db.transaction() as session:
            execute(session.connection(), statement, {"name": "first", "value": 1})  # SQLAlchemy's way
        with pytest.raises(IntegrityError), db.transaction() as session:
            execute(session.connection(), statement, {"name": "second", "value": 1})  # prepared
            execute(session.connection(), statement, {"name": "second", "value": 2})
        with db.reading() as session:
            assert session.scalars(select(Counter.name)).all() == ["first"]
    finally:
        db.dispose()


def test_a_connection_lost_under_a_prepared_statement_fails_once_and_is_replaced(pg_url: str):
    db = Database(pg_url)
    statement = insert(Counter.__table__).inline()
    try:
        with db.transaction() as session:
            execute(session.connection(), statement, {"name": "first", "value": 1})
        with pytest.raises(OperationalError) as lost, db.transaction() as session:
            connection = session.connection()
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with db.engine.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
            execute(connection, statement, {"name": "second", "value": 1})
        assert lost.value.connection_invalidated  # as SQLAlchemy's own path: the pool connects anew
        with db.transaction() as session:
            execute(session.connection(), statement, {"name": "third", "value": 1})
        with db.reading() as session:
            assert session.scalars(select(Counter.name).order_by(Counter.name)).all() == ["first", "third"]
    finally:
        db.dispose()


def test_a_workflow_dropped_from_memory_is_freed_at_once_and_the_kept_ones_still_work(sqlite_url: str, clock):
    """A kept workflow pushed out by newer ones is taken apart, so reference counting frees it without a
    full garbage collection; the workflows still kept go on as before."""
    core = Engine.open(sqlite_url, clock=clock)
    core.executor.forget_live()
    core.executor._live.size = 2
    try:
        core.repository.deploy([MODEL])
        first = core.runtime.start("bench")
        [(_, workflow, _)] = core.executor._live._items.values()
        dropped = weakref.ref(workflow.inner)
        del workflow
        gc.disable()  # only reference counting may free it
        try:
            kept = [core.runtime.start("bench") for _ in range(2)]
            assert dropped() is None
        finally:
            gc.enable()
        for instance_id in (first, *kept):  # the dropped one loads from the database, the others from memory
            core.tasks.complete(only_task(core, instance_id).id, SECRETARIAAT, {"opnieuw": False})
            assert {t.element_id for t in core.query.tasks(instance_id=instance_id)} == {"besluit_nl", "besluit_vl"}
    finally:
        core.db.dispose()
