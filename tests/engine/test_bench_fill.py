"""The engine benchmark's copies of a waiting instance, made by the database in INSERT … SELECT: as many
as asked, rows the inbox reads like real ones (oldest first, a second apart), topped up by a later fill."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine.bench.engine import MODEL, _fill_waiting
from engine.services import Engine
from engine.store.models import HumanTask, ProcessInstance, TaskCandidate


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.db.reading() as session:
        return (session.scalar(select(func.count()).select_from(ProcessInstance)),
                session.scalar(select(func.count()).select_from(HumanTask)),
                session.scalar(select(func.count()).select_from(TaskCandidate)
                               .where(TaskCandidate.name == "grensregio-nl")))


def test_the_fill_makes_as_many_waiting_tasks_as_asked_and_tops_up(engine, clock):
    engine.repository.deploy([MODEL])
    _fill_waiting(engine, 300)
    assert counts(engine) == (300, 301, 300), "the template also waits at besluit_vl"
    page = engine.query.tasks(group="grensregio-nl", limit=50)
    assert len(page) == 50 and {t.element_id for t in page} == {"besluit_nl"}
    assert [t.created_at for t in page[:2]] == [clock.now() - timedelta(seconds=298),
                                               clock.now() - timedelta(seconds=297)]
    copy = engine.query.instance(page[0].instance_id)
    assert (copy.business_key, copy.waiting_at) == ("BENCH-298", ["besluit_nl", "besluit_vl"])
    _fill_waiting(engine, 1_000)
    assert counts(engine) == (1_000, 1_002, 1_000)
    _fill_waiting(engine, 500)
    assert counts(engine) == (1_000, 1_002, 1_000), "nothing added when enough wait"
