"""An instance that loops for a long time (issue 18): SpiffWorkflow's tree walk stops at depth 1000, so
after ~500 rework loops it no longer saw the ready gateway and the instance stood still. The engine asks
the flat task map instead, which sees every task at any depth, in the order the walk gives. (Past that
depth SpiffWorkflow's own recursion in a parallel gateway still fails: ``Task.is_descendant_of``.) Saving
cuts the finished past out of the tree (``engine/bpmn/prune.py``), so a saved instance never gets deep; a
tree that does (an old state, or many loops within one command) still runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from SpiffWorkflow.util.task import TaskState

from engine.bpmn.definitions import Source, bundle
from engine.bpmn.runtime import Workflow
from engine.bpmn.serializer import TEXT_ATTRIBUTE, dump_state, state_json

MODEL = Path(__file__).parents[2] / "engine" / "bench" / "bench.bpmn"
NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)


def bench_workflow() -> Workflow:
    workflow = Workflow.create(bundle("bench", [Source(MODEL.name, "bpmn", MODEL.read_text())]), {}, None, NOW)
    workflow.run(NOW)
    return workflow


def rework(workflow: Workflow, again: bool) -> None:
    [task] = workflow.user_tasks()
    workflow.complete_user_task(task.id, {"opnieuw": again}, NOW)
    workflow.run(NOW)


def test_after_six_hundred_loops_the_instance_still_moves_on_and_survives_saving():
    workflow = bench_workflow()
    for _ in range(600):
        rework(workflow, again=True)
    workflow = Workflow.load(workflow.bundle, dump_state(workflow.inner))  # written whole, as before the cut
    rework(workflow, again=True)
    [task] = workflow.user_tasks()
    assert task.element_id == "registreren"
    done = [t for t in workflow.inner.tasks.values() if t.state == TaskState.COMPLETED]
    assert sum(t.task_spec.bpmn_id == "registreren" for t in done) == 601
    workflow = Workflow.load(workflow.bundle, workflow.dump())  # its next save cuts the past
    assert len(workflow.inner.tasks) < 12
    rework(workflow, again=True)
    assert [t.element_id for t in workflow.user_tasks()] == ["registreren"]


def test_ready_tasks_come_in_the_order_of_the_task_tree():
    workflow = bench_workflow()
    rework(workflow, again=False)
    inner = workflow.inner
    walked = list(type(inner).__mro__[1].get_tasks(inner, state=TaskState.READY))
    assert inner.get_tasks(state=TaskState.READY) == walked
    assert [t.task_spec.bpmn_id for t in walked] == ["besluit_nl", "besluit_vl"]


def test_a_long_history_saved_after_every_step_writes_what_a_fresh_save_writes():
    """Saving reuses the text of finished tasks and the compressor state after a long history's beginning
    (a history the cut cannot shorten, written here without it); what it writes is still exactly what a
    workflow loaded afresh (no cache) writes, last change included."""
    workflow = bench_workflow()
    for n in range(300):
        [task] = workflow.user_tasks()
        workflow.complete_user_task(task.id, {"opnieuw": True, "ronde": n}, NOW)
        workflow.run(NOW)
        state = dump_state(workflow.inner)
    assert len(state_json(state)) > 100_000
    again = Workflow.load(workflow.bundle, state)  # cold: the finished tasks keep the text they were read from
    assert json.loads(state_json(dump_state(again.inner))) == json.loads(state_json(state))
    assert again.data["ronde"] == 299
    for task in again.inner.tasks.values():
        assert task.__dict__.pop(TEXT_ATTRIBUTE, None) is not None or task.state != TaskState.COMPLETED
    assert state_json(dump_state(again.inner)) == state_json(state)  # each task encoded anew: the same text


def test_an_elements_tasks_below_a_task_are_those_the_walk_finds_in_its_order():
    """A catching event asks for its element's tasks below it each time it runs: the map answers."""
    workflow = bench_workflow()
    for again in (True, True, False):
        rework(workflow, again)
    inner = workflow.inner
    walked = type(inner).__mro__[1].get_tasks
    for task in list(inner.tasks.values()):
        for name in {task.task_spec.name, "registreren", "ernstig", "besluit_nl"}:
            assert inner.get_tasks(task, spec_name=name) == walked(inner, task, spec_name=name)
    assert len(inner.get_tasks(inner.task_tree, spec_name="registreren")) == 3  # one a pass
