"""The stall radar flags a dossier whose task is overdue or that completed nothing for too long, says
since when and on whom it waits, and clears the flag when work resumes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine.gros import radar
from engine.services import Actor, Engine

MODEL = Path(__file__).parent / "data" / "radar.bpmn"


def test_flags_are_set_with_their_reason_and_cleared_when_work_resumes(engine: Engine, clock):
    engine.repository.deploy([MODEL])
    deadline = clock.now() + timedelta(days=7)
    instance = engine.runtime.start("traag", "GROS-7", {"titel": "Grensarbeiders", "termijn": deadline.isoformat()})
    assert radar.refresh(engine, period="P60D").total == 0

    clock.advance(timedelta(days=8))
    assert radar.refresh(engine, period="P60D").flagged == 1
    [flag] = radar.flags(engine)
    assert (flag.reason, flag.since, flag.side, flag.waiting_on, flag.task_name, flag.business_key) == (
        radar.OVERDUE, deadline, "NL", ["departement-nl"], "Voorbereiden", "GROS-7")

    [task] = engine.query.tasks(instance_id=instance)
    engine.tasks.complete(task.id, Actor.of("an", ["departement-nl"]))
    done_at = clock.now()
    assert radar.refresh(engine, period="P60D").cleared == 1
    assert radar.flags(engine) == []

    clock.advance(timedelta(days=61))
    radar.refresh(engine, period="P60D")
    [flag] = radar.flags(engine)
    assert (flag.reason, flag.since, flag.side, flag.waiting_on) == (
        radar.NO_PROGRESS, done_at, "VL", ["departement-vl"])
    [task] = engine.query.tasks(instance_id=instance)
    engine.tasks.complete(task.id, Actor.of("els", ["departement-vl"]))
    assert radar.refresh(engine, period="P60D").cleared == 1
    assert radar.flags(engine) == []


def test_a_suspended_dossier_is_paused_on_purpose_not_stalled(engine: Engine, clock):
    engine.repository.deploy([MODEL])
    instance = engine.runtime.start("traag", "GROS-8", {"termijn": (clock.now() + timedelta(days=1)).isoformat()})
    engine.runtime.suspend(instance, Actor.of("sofie", ["secretariaat"]))
    clock.advance(timedelta(days=90))
    assert radar.refresh(engine, period="P60D").total == 0


def test_side_is_read_from_the_group_names():
    assert radar.side_of(["departement-nl", "departement-vl"]) == "NL+VL"
    assert radar.side_of(["vlaamse-regering"]) == "VL"
    assert radar.side_of(["federaal-be"]) == "BE"
    assert radar.side_of(["secretariaat"]) is None
