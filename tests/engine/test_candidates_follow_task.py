"""Migration 0066: a task's candidate rows survive the change of their table, and afterwards follow the task's
row when a completion rewrites it for the task that replaced it (issue 18) — on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import select

from engine.services import Engine
from engine.store.db import MIGRATIONS
from engine.store.models import HumanTask, TaskCandidate
from tests.engine.test_hot_path import MODEL, SECRETARIAAT, only_task


def candidates(engine: Engine) -> set[tuple[str, str, str]]:
    with engine.db.reading() as session:
        return set(session.execute(select(TaskCandidate.task_id, TaskCandidate.kind, TaskCandidate.name)).all())


def test_candidates_survive_the_migration_and_then_follow_their_task(engine: Engine):
    engine.repository.deploy([MODEL])
    instance_id = engine.runtime.start("bench")
    waiting = only_task(engine, instance_id)
    with engine.db.engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, "0065_cases_only")
        created = connection.exec_driver_sql("SELECT task_id, created_at FROM task_candidate").all()
    assert [task_id for task_id, _ in created] == [waiting.id]  # the old table again, its created_at refilled
    engine.db.migrate()
    assert candidates(engine) == {(waiting.id, "group", "secretariaat")}

    engine.executor.forget_live()  # the rows are read back from the migrated tables
    engine.tasks.complete(waiting.id, SECRETARIAAT, {"opnieuw": True})
    again = only_task(engine, instance_id)
    assert again.id != waiting.id
    assert candidates(engine) == {(again.id, "group", "secretariaat")}
    with engine.db.reading() as session:
        assert session.scalars(select(HumanTask.id)).all() == [again.id]
