"""History cleanup figures for ``gros bench``: instances cleaned per second when ``ended`` instances are past
their historyTimeToLive. Not a test.

The ended instances are copies of one real ended instance (its row and its whole audit trail), inserted in
bulk with their removal time already passed; the cleanup then runs exactly as the nightly job does."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from sqlalchemy import func, insert, select, text

from engine.bench.engine import MODEL, PEOPLE
from engine.clock import FixedClock
from engine.services import Engine
from engine.services.cleanup import BATCH
from engine.store.db import on_scratch_postgres
from engine.store.models import AuditEvent, ProcessInstance

FILL = 2_000  # instances per insert transaction


def cleanup_figures(url: str, ended: int = 100_000, batch: int = BATCH) -> dict:
    clock = FixedClock()
    engine = Engine.open(url, clock=clock)
    engine.repository.deploy([MODEL])
    began = time.perf_counter()
    audit_rows = _fill(engine, ended)
    filled = time.perf_counter() - began
    clock.advance(timedelta(days=2))  # the model's historyTimeToLive is P1D
    began = time.perf_counter()
    cleaned = engine.history.clean(batch=batch)
    spent = time.perf_counter() - began
    with engine.db.reading() as session:
        left = session.scalar(select(func.count()).select_from(AuditEvent))
    engine.db.dispose()
    return {"ended_instances": ended, "audit_rows_before": audit_rows, "audit_rows_after": left,
            "fill_s": round(filled, 1), "batch": batch, "cleaned": cleaned, "cleanup_s": round(spent, 1),
            "instances_per_s": round(cleaned / spent)}


def _fill(engine: Engine, ended: int) -> int:
    """One instance driven to its end by the real commands, then copied in bulk; returns the audit rows."""
    template = engine.runtime.start("bench", business_key="BENCH-0")
    while tasks := engine.query.tasks(instance_id=template):
        for task in tasks:
            engine.tasks.complete(task.id, PEOPLE[task.candidate_groups[0]], {"opnieuw": False})
    with engine.db.reading() as session:
        instance = session.get(ProcessInstance, template)
        row = {c.name: getattr(instance, c.name) for c in ProcessInstance.__table__.columns}
        trail = [{c.name: getattr(e, c.name) for c in AuditEvent.__table__.columns if c.name != "id"}
                 for e in session.scalars(select(AuditEvent).where(AuditEvent.instance_id == template))]
    for start in range(1, ended, FILL):
        instances, events = [], []
        for n in range(start, min(ended, start + FILL)):
            instance_id = str(uuid.uuid4())
            instances.append(row | {"id": instance_id, "business_key": f"BENCH-{n}"})
            events += [event | {"instance_id": instance_id} for event in trail]
        with engine.db.transaction() as session:
            session.execute(insert(ProcessInstance), instances)
            session.execute(insert(AuditEvent), events)
    with engine.db.transaction() as session:
        if not engine.db.is_sqlite:
            session.execute(text("ANALYZE process_instance, audit_event"))
        return session.scalar(select(func.count()).select_from(AuditEvent))


def run(folder: str, ended: int = 100_000) -> dict:
    """The figures on a SQLite file in ``folder`` and on PostgreSQL when it answers."""
    return {"sqlite": cleanup_figures(f"sqlite:///{folder}/cleanup-bench.db", ended),
            "postgresql": on_scratch_postgres(lambda url: cleanup_figures(url, ended))}
