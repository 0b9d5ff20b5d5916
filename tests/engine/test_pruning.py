"""A long history costs no more than a fresh instance (issue 18): every save cuts the finished past out of
SpiffWorkflow's task tree (``engine/bpmn/prune.py``), so an instance that reworked 200 times stores and
loads as much as after its first rounds, while GROS's own history — audit events, historic tasks — keeps
every round. The instance runs on as before: a parallel gateway still waits for both branches in every
round, a boundary timer still fires, a call activity still hands its variables back, and it migrates."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.bpmn.serializer import state_json
from engine.clock import FixedClock
from engine.services import Actor, Engine
from engine.services.migration import Selection
from engine.store.models import HistoricTask, ProcessInstance
from tests.conftest import ROOT

BENCH = ROOT / "engine" / "bench" / "bench.bpmn"
HERWERK = Path(__file__).parent / "data" / "herwerk.bpmn"
LOOPS = 200
BEHEERDER = Actor.of("procesbeheerder", ["beheer"])


def complete(engine: Engine, instance_id: str, element_id: str, variables: dict | None = None) -> None:
    [task] = [t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id]
    engine.tasks.complete(task.id, Actor.of(f"iemand-{task.candidate_groups[0]}", task.candidate_groups),
                          variables or {})


def waiting(engine: Engine, instance_id: str) -> list[str]:
    return sorted(t.element_id for t in engine.query.tasks(instance_id=instance_id))


def footprint(engine: Engine, instance_id: str) -> tuple[int, int]:
    """The tasks its workflows hold, loaded cold from the database, and the bytes of its state's JSON."""
    engine.executor.forget_live()
    with engine.db.reading() as session:
        instance = session.get(ProcessInstance, instance_id)
        inner = engine.executor.load_state(session, instance).inner
        return sum(len(w.tasks) for w in (inner, *inner.subprocesses.values())), len(state_json(instance.state))


def completed_tasks(engine: Engine, instance_id: str) -> list[str]:
    return [e.element_id for e in engine.query.history(instance_id) if e.action == "task.completed"]


def historic_tasks(engine: Engine, instance_id: str) -> int:
    with engine.db.reading() as session:
        return session.scalar(select(func.count()).select_from(HistoricTask)
                              .where(HistoricTask.instance_id == instance_id, HistoricTask.ended_at.is_not(None)))


def assert_flat(sizes: dict[int, tuple[int, int]]) -> None:
    (early_tasks, early_bytes), (late_tasks, late_bytes) = sizes[10], sizes[LOOPS]
    assert late_tasks == early_tasks
    assert late_bytes < early_bytes * 1.1  # only the round counter's digits grow


def test_two_hundred_rework_loops_keep_the_state_flat_and_the_history_whole(engine: Engine):
    engine.repository.deploy([BENCH])
    instance_id = engine.runtime.start("bench")
    sizes = {}
    for loop in range(1, LOOPS + 1):
        complete(engine, instance_id, "registreren", {"opnieuw": True, "ronde": loop})
        if loop in (10, LOOPS):
            sizes[loop] = footprint(engine, instance_id)
    assert_flat(sizes)
    assert sizes[LOOPS][0] < 12
    complete(engine, instance_id, "registreren", {"opnieuw": False})
    assert waiting(engine, instance_id) == ["besluit_nl", "besluit_vl"]
    complete(engine, instance_id, "besluit_vl")
    complete(engine, instance_id, "besluit_nl")
    assert engine.query.instance(instance_id).status == "completed"
    assert engine.query.variables(instance_id) == {"opnieuw": False, "ronde": LOOPS}
    assert completed_tasks(engine, instance_id) == ["registreren"] * (LOOPS + 1) + ["besluit_vl", "besluit_nl"]
    assert historic_tasks(engine, instance_id) == LOOPS + 3


def test_a_parallel_gateway_with_a_boundary_timer_in_the_loop_waits_for_both_branches_in_every_round(
        engine: Engine, clock: FixedClock):
    """The branches arrive in turn in alternate order; SpiffWorkflow alone let a round's first arrival pass
    the join when the other branch's arrival of an earlier round was still in the tree."""
    engine.repository.deploy([HERWERK])
    instance_id = engine.runtime.start("herwerk_parallel")
    sizes = {}
    for loop in range(1, LOOPS + 1):
        complete(engine, instance_id, "registreren", {"ronde": loop})
        first, last = ("advies_nl", "advies_vl") if loop % 2 else ("advies_vl", "advies_nl")
        complete(engine, instance_id, first, {"opnieuw": True} if first == "advies_nl" else {})
        assert waiting(engine, instance_id) == [last]
        timers = [t.element_id for t in engine.query.timers(instance_id)]
        assert timers == (["te_laat"] if last == "advies_vl" else [])
        complete(engine, instance_id, last, {"opnieuw": True} if last == "advies_nl" else {})
        if loop in (10, LOOPS):
            sizes[loop] = footprint(engine, instance_id)
    assert_flat(sizes)
    complete(engine, instance_id, "registreren", {"ronde": LOOPS + 1})
    complete(engine, instance_id, "advies_nl", {"opnieuw": False})
    clock.advance(timedelta(days=8))
    assert engine.timers.fire_due_timers() == 1  # VL is late: the boundary timer takes its branch to the join
    assert engine.query.instance(instance_id).status == "completed"
    assert engine.query.variables(instance_id) == {"opnieuw": False, "ronde": LOOPS + 1}
    assert len(completed_tasks(engine, instance_id)) == 3 * LOOPS + 2
    assert historic_tasks(engine, instance_id) == 3 * LOOPS + 3  # and VL's last, ended by its timer


def test_a_call_activity_in_the_loop_leaves_no_called_workflows_behind(engine: Engine):
    engine.repository.deploy([HERWERK])
    instance_id = engine.runtime.start("herwerk_aanroep")
    sizes = {}
    for loop in range(1, LOOPS + 1):
        complete(engine, instance_id, "a_registreren", {"ronde": loop})
        assert waiting(engine, instance_id) == ["k_beslissen"]
        complete(engine, instance_id, "k_beslissen", {"opnieuw": True, "besluit": f"ronde {loop}"})
        if loop in (10, LOOPS):
            sizes[loop] = footprint(engine, instance_id)
    assert_flat(sizes)
    complete(engine, instance_id, "a_registreren", {"ronde": LOOPS + 1})
    complete(engine, instance_id, "k_beslissen", {"opnieuw": False, "besluit": "klaar"})
    assert engine.query.instance(instance_id).status == "completed"
    assert engine.query.variables(instance_id) == {"opnieuw": False, "ronde": LOOPS + 1, "besluit": "klaar"}
    assert completed_tasks(engine, instance_id) == ["a_registreren", "k_beslissen"] * (LOOPS + 1)


def test_an_inclusive_gateway_in_the_loop_waits_for_the_branches_each_round_chose(engine: Engine):
    """Rounds alternate between both advices and the NL advice alone: the join waits for exactly the branches
    its round's split took, never for one an earlier round left behind."""
    engine.repository.deploy([HERWERK])
    instance_id = engine.runtime.start("herwerk_inclusief")
    sizes = {}
    for loop in range(1, LOOPS + 1):
        both = loop % 2 == 1
        complete(engine, instance_id, "i_registreren", {"nl": True, "vl": both, "opnieuw": True, "ronde": loop})
        assert waiting(engine, instance_id) == (["i_advies_nl", "i_advies_vl"] if both else ["i_advies_nl"])
        if both:
            complete(engine, instance_id, "i_advies_vl")
            assert waiting(engine, instance_id) == ["i_advies_nl"]
        complete(engine, instance_id, "i_advies_nl")
        assert waiting(engine, instance_id) == ["i_registreren"]
        if loop in (10, LOOPS):
            sizes[loop] = footprint(engine, instance_id)
    assert_flat(sizes)
    complete(engine, instance_id, "i_registreren", {"nl": False, "vl": True, "opnieuw": False})
    assert waiting(engine, instance_id) == ["i_advies_vl"]
    complete(engine, instance_id, "i_advies_vl")
    assert engine.query.instance(instance_id).status == "completed"
    assert len(completed_tasks(engine, instance_id)) == 2 * LOOPS + LOOPS // 2 + 2


@pytest.mark.parametrize("process", ["herwerk_parallel", "herwerk_aanroep"])
def test_a_pruned_instance_migrates_and_runs_on_in_the_new_version(engine: Engine, tmp_path: Path, process: str):
    [source] = [d.id for d in engine.repository.deploy([HERWERK]) if d.key == process]
    instance_id = engine.runtime.start(process)
    for _ in range(20):
        if process == "herwerk_parallel":
            complete(engine, instance_id, "registreren")
            complete(engine, instance_id, "advies_vl")
            complete(engine, instance_id, "advies_nl", {"opnieuw": True})
        else:
            complete(engine, instance_id, "a_registreren")
            complete(engine, instance_id, "k_beslissen", {"opnieuw": True})
    changed = tmp_path / HERWERK.name
    changed.write_text(HERWERK.read_text().replace('name="Registreren"', 'name="Registreren (v2)"'))
    [target] = [d.id for d in engine.repository.deploy([changed]) if d.key == process]
    plan = engine.migration.generate(source, target)
    assert not engine.migration.execute(plan, Selection(), BEHEERDER).failed
    assert engine.query.instance(instance_id).definition_id == target
    [task] = engine.query.tasks(instance_id=instance_id)
    assert task.name == "Registreren (v2)"
    if process == "herwerk_parallel":
        complete(engine, instance_id, "registreren")
        complete(engine, instance_id, "advies_nl", {"opnieuw": False})
        assert waiting(engine, instance_id) == ["advies_vl"]
        complete(engine, instance_id, "advies_vl")
    else:
        complete(engine, instance_id, "a_registreren")
        complete(engine, instance_id, "k_beslissen", {"opnieuw": False})
    assert engine.query.instance(instance_id).status == "completed"
