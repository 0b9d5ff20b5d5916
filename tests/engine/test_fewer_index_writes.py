"""Migration 0067 (issue 18): a start writes fewer index pages. Two indexes went that a composite index serves
(``ix_human_task_assignee``, ``ix_audit_event_instance_id``), two keep only the rows with a value
(``ix_human_task_due_at``, ``ix_process_instance_removal_at``). The migration goes up and down on SQLite and
PostgreSQL, and each query that used a changed index still finds its rows through an index."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import event, update

from engine.gros import notifications, radar
from engine.services import Engine
from engine.store.db import MIGRATIONS
from engine.store.models import HumanTask, ProcessInstance
from tests.engine.test_hot_path import MODEL

DROPPED = {"ix_human_task_assignee", "ix_audit_event_instance_id"}
PARTIAL = {"ix_human_task_due_at": "due_at", "ix_process_instance_removal_at": "removal_at"}


def indexes(engine: Engine) -> dict[str, str]:
    """Each index of the schema and how it was created."""
    sql = ("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL" if engine.db.is_sqlite
           else "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
    with engine.db.engine.connect() as connection:
        return dict(connection.exec_driver_sql(sql).all())


def migrate_to(engine: Engine, revision: str) -> None:
    with engine.db.engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_migration_goes_down_and_up_again_on_both_databases(engine: Engine, clock):
    engine.repository.deploy([MODEL])
    ended = engine.runtime.start("bench")
    with engine.db.transaction() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == ended).values(
            status="completed", ended_at=clock.now(), removal_at=clock.now()))
    newest = indexes(engine)
    assert not DROPPED & set(newest)
    for name, column in PARTIAL.items():
        assert re.search(rf"WHERE \(?{column} IS NOT NULL\)?", newest[name]), newest[name]

    migrate_to(engine, "0066_candidates_follow_task")
    before = indexes(engine)
    assert set(before) >= DROPPED
    assert all("WHERE" not in before[name] for name in PARTIAL)

    engine.db.migrate()
    assert indexes(engine) == newest
    assert [due.instance_id for due in engine.history.due(clock.now())] == [ended]


@contextmanager
def statements(engine: Engine, marker: str) -> Iterator[list[tuple[str, object]]]:
    """The SELECTs the engine sends meanwhile that contain ``marker``, with their parameters."""
    seen: list[tuple[str, object]] = []

    def record(_connection, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT") and marker in statement:
            seen.append((statement, parameters))

    engines = {engine.db.engine, engine.db.read_engine}
    for sa_engine in engines:
        event.listen(sa_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for sa_engine in engines:
            event.remove(sa_engine, "before_cursor_execute", record)


def plans(engine: Engine, call: Callable[[], object], marker: str) -> list[str]:
    """The query plan of each SELECT containing ``marker`` that ``call`` sends. On PostgreSQL with sequential
    scans priced out: these tables are small here, the question is whether an index can answer."""
    with statements(engine, marker) as seen:
        call()
    assert seen, f"no query with {marker!r}"
    found = []
    with engine.db.read_engine.connect() as connection:
        if not engine.db.is_sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            explain = "EXPLAIN QUERY PLAN " if engine.db.is_sqlite else "EXPLAIN "
            rows = connection.exec_driver_sql(explain + statement, parameters).all()
            found.append("\n".join(str(row[-1] if engine.db.is_sqlite else row[0]) for row in rows))
    return found


def started(engine: Engine, count: int = 3) -> list[str]:
    engine.repository.deploy([MODEL])
    return [engine.runtime.start("bench", business_key=f"B-{n}") for n in range(count)]


def test_the_history_cleanup_finds_due_instances_by_the_partial_removal_index(engine: Engine, clock):
    started(engine)
    now = clock.now()
    for call in (lambda: engine.history.due(now), lambda: engine.history.count_due(now),
                 lambda: engine.history.clean_batch(now)):
        for plan in plans(engine, call, "removal_at <="):
            assert "ix_process_instance_removal_at" in plan, plan


def test_deadlines_are_found_by_the_partial_due_index(engine: Engine, clock):
    """The radar's overdue tasks (``due_at <``) and the reminders' nearing deadlines (``due_at >``), among many
    open tasks of which few have a deadline: what the statistics then tell the planner."""
    late, nearing, *_ = started(engine, 200)
    now = clock.now()
    with engine.db.transaction() as session:
        for instance_id, due in ((late, now - timedelta(days=1)), (nearing, now + timedelta(days=1))):
            session.execute(update(HumanTask).where(HumanTask.instance_id == instance_id).values(due_at=due))
    with engine.db.engine.begin() as connection:  # this table only: the run's other schemas share the database
        connection.exec_driver_sql("ANALYZE human_task")
    for call, marker in ((lambda: radar.refresh(engine, now), "human_task.due_at <"),
                         (lambda: notifications.remind_deadlines(engine, timedelta(days=3)), "human_task.due_at >")):
        for plan in plans(engine, call, marker):
            assert "ix_human_task_due_at" in plan, plan


def test_an_assignees_tasks_are_found_by_an_index_led_by_the_assignee(engine: Engine):
    started(engine)
    for plan in plans(engine, lambda: engine.query.tasks(assignee="nina"), "human_task.assignee ="):
        assert re.search(r"ix_human_task_(assigned_waiting|due_order|priority_order)", plan), plan


def test_an_instances_audit_events_are_found_by_the_progress_index(engine: Engine, clock):
    """An instance's history, and the cleanup stripping the events of the instances it cleans."""
    [instance_id, *_] = started(engine)
    with engine.db.transaction() as session:
        session.execute(update(ProcessInstance).values(status="completed", ended_at=clock.now(),
                                                       removal_at=clock.now()))
    for call in (lambda: engine.query.history(instance_id), lambda: engine.history.clean_batch(clock.now())):
        for plan in plans(engine, call, "audit_event.instance_id"):
            assert "ix_audit_event_progress" in plan, plan
