"""The engine's own figures: bare SpiffWorkflow against the commands with storage, long histories, the
inbox query. Measured in one run for the speed goals; not a test."""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from engine.bpmn.bare import bare_completions_per_second
from engine.clock import FixedClock
from engine.services import Actor, Engine
from engine.store.db import POSTGRES_ADMIN_URL, on_scratch_postgres
from engine.store.models import HumanTask, ProcessInstance, TaskCandidate

MODEL = Path(__file__).with_name("bench.bpmn")
PEOPLE = {g: Actor.of(f"bench-{g}", [g]) for g in ("secretariaat", "grensregio-nl", "grensregio-vl")}


def run_all(sqlite_url: str, postgres_admin_url: str | None = POSTGRES_ADMIN_URL, instances: int = 300,
            inbox_sizes: tuple[int, ...] = (1_000, 100_000)) -> dict:
    bare = bare_completions_per_second(MODEL, "bench", instances)
    figures: dict = {"bare": {"completions_per_s": round(bare)}}
    figures["sqlite"] = _database_figures(sqlite_url, bare, instances, inbox_sizes)
    figures["postgresql"] = on_scratch_postgres(
        lambda url: _database_figures(url, bare, instances, inbox_sizes), postgres_admin_url)
    figures["inbox_query_ms"] = figures["sqlite"].pop("inbox_query_ms")
    return figures


def _database_figures(url: str, bare: float, instances: int, inbox_sizes: tuple[int, ...]) -> dict:
    engine = Engine.open(url, clock=FixedClock())
    engine.repository.deploy([MODEL])
    rate = _persistent_completions_per_second(engine, instances)
    fresh, long = _long_history_ms(engine)
    figures = {
        "completions_per_s": round(rate),
        "ratio_to_bare": round(rate / bare, 3),
        "complete_fresh_ms": round(fresh, 2),
        "complete_after_200_ms": round(long, 2),
        "long_history_ratio": round(long / fresh, 2),
        "inbox_query_ms": {str(n): round(_inbox_query_ms(engine, n), 2) for n in inbox_sizes},
    }
    engine.db.dispose()
    return figures


def _persistent_completions_per_second(engine: Engine, instances: int) -> float:
    completions = 0
    began = time.perf_counter()
    for _ in range(instances):
        instance_id = engine.runtime.start("bench")
        while tasks := engine.query.tasks(instance_id=instance_id):
            for task in tasks:
                engine.tasks.complete(task.id, PEOPLE[task.candidate_groups[0]], {"opnieuw": False})
                completions += 1
    return completions / (time.perf_counter() - began)


def _long_history_ms(engine: Engine, loops: int = 200, samples: int = 30) -> tuple[float, float]:
    """Median time of one completion on a fresh instance and on one that looped ``loops`` times."""
    fresh = _rework_ms(engine, engine.runtime.start("bench"), samples)
    worn = engine.runtime.start("bench")
    _rework_ms(engine, worn, loops)
    return fresh, _rework_ms(engine, worn, samples)


def _rework_ms(engine: Engine, instance_id: str, times: int) -> float:
    spent = []
    for _ in range(times):
        [task] = engine.query.tasks(instance_id=instance_id)
        began = time.perf_counter()
        engine.tasks.complete(task.id, PEOPLE["secretariaat"], {"opnieuw": True})
        spent.append((time.perf_counter() - began) * 1000)
    return statistics.median(spent)


def _inbox_query_ms(engine: Engine, waiting: int) -> float:
    """Median time of the inbox's first page for a group with ``waiting`` ready tasks."""
    _fill_waiting(engine, waiting)
    spent = []
    for _ in range(30):
        began = time.perf_counter()
        page = engine.query.tasks(group="grensregio-nl", limit=50)
        spent.append((time.perf_counter() - began) * 1000)
    assert len(page) == 50
    return statistics.median(spent)


def _fill_waiting(engine: Engine, waiting: int) -> None:
    """Copies of one real waiting instance's rows, inserted in bulk up to ``waiting`` tasks for the group."""
    with engine.db.reading() as session:
        have = session.execute(select(TaskCandidate.task_id).where(TaskCandidate.name == "grensregio-nl")).all()
    missing = waiting - len(have)
    if missing <= 0:
        return
    template_id = engine.runtime.start("bench")
    [task] = engine.query.tasks(instance_id=template_id)
    engine.tasks.complete(task.id, PEOPLE["secretariaat"], {"opnieuw": False})
    with engine.db.reading() as session:
        instance = session.get(ProcessInstance, template_id)
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == template_id,
                                                       HumanTask.element_id == "besluit_nl")).one()
        instance_row = {c.name: getattr(instance, c.name) for c in ProcessInstance.__table__.columns}
        task_row = {c.name: getattr(task, c.name) for c in HumanTask.__table__.columns}
    start = engine.now()
    for batch in range(0, missing, 5_000):
        instances, tasks, candidates = [], [], []
        for n in range(batch, min(missing, batch + 5_000)):
            instance_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
            created = start - timedelta(seconds=n)
            instances.append(instance_row | {"id": instance_id, "business_key": f"BENCH-{n}"})
            tasks.append(task_row | {"id": task_id, "instance_id": instance_id, "created_at": created})
            candidates.append({"task_id": task_id, "kind": "group", "name": "grensregio-nl", "created_at": created})
        with engine.db.transaction() as session:
            session.execute(insert(ProcessInstance), instances)
            session.execute(insert(HumanTask), tasks)
            session.execute(insert(TaskCandidate), candidates)
    with engine.db.transaction() as session:
        if not engine.db.is_sqlite:
            session.execute(text("ANALYZE"))
