"""The stored state is the text SpiffWorkflow's own converters and JSON encoder write (what the engine wrote
before its own task converter and reused encoder, ``engine/bpmn/serializer.py``): byte for byte, so states
written before load and states written now load in older code. Each save is compared with SpiffWorkflow's
stock path over the same workflow: started, looped (the cut rewires the tree), loaded (each UUID its own
object), in a subprocess and a called process, waiting on a timer, completed, with variables of every kind
a workflow holds (dates, durations, nested dicts, unicode, deleted variables)."""

from __future__ import annotations

import base64
import gc
import json
import weakref
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.definitions import Source, bundle
from engine.bpmn.flat import FlatBpmnWorkflow
from engine.bpmn.prune import prune
from engine.bpmn.runtime import Workflow
from engine.bpmn.serializer import DEFLATED, STATE_FORMAT, _registry, dump_state, state_json
from engine.clock import FixedClock
from engine.services import Actor, Engine
from engine.store.models import ProcessInstance
from engine.wiring import open_engine
from tests.conftest import DATA, ROOT

BENCH = ROOT / "engine" / "bench" / "bench.bpmn"
BOUNDARIES = DATA / "bpmn" / "boundaries.bpmn"
HERWERK = ROOT / "tests" / "engine" / "data" / "herwerk.bpmn"
NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)
KINDS = {  # a value of each kind task data holds, JSON's own or converted by SpiffWorkflow's registry
    "tekst": "Grensoverschrijdend overleg — ‘België’ ↔ Nederland, 日本語, emoji 🇧🇪, \u2028 \"quote\" \\ \t",
    "getal": 12, "groot": 10**30, "negatief": -7, "komma": 0.1 + 0.2, "exp": 1e-300, "waar": True, "niets": None,
    "lijst": [1, "twee", [3.5, None], {"vier": False}], "leeg": {}, "lege_lijst": [], "tuple": (1, 2),
    "genest": {"a": {"b": {"c": ["d", {"é": "ü"}]}}, "sleutel met spatie": 1},
    "datum": datetime(2027, 3, 1, 12, 30, 15, 123456, tzinfo=UTC), "naief": datetime(2026, 12, 31, 23, 59),
    "duur": timedelta(days=3, seconds=7200),
}


class StockStateConverter(BpmnWorkflowConverter):
    """The state's workflow dict as the engine writes it, through SpiffWorkflow's own mapping of tasks."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def stock_json(workflow: BpmnWorkflow) -> str:
    """The state's JSON as SpiffWorkflow's stock task converter and ``json.dumps`` with its encoder write it."""
    registry = _registry()
    TaskConverter(Task, registry)
    for workflow_class in (BpmnWorkflow, FlatBpmnWorkflow):
        StockStateConverter(workflow_class, registry)
    BpmnSubWorkflowConverter(BpmnSubWorkflow, registry)
    registry._encoder_mode = True
    dct = registry.convert(workflow)
    dct = {"tasks": dct.pop("tasks"), **dct, "format": STATE_FORMAT}
    return json.dumps(dct, cls=create_encoder(registry), separators=(",", ":"))


def assert_saved_as_stock(workflow: Workflow) -> str:
    state = workflow.dump()
    expected = stock_json(workflow.inner)
    assert state_json(state) == expected
    assert state == DEFLATED + base64.b64encode(zlib.compress(expected.encode(), 1)).decode("ascii")
    return state


def saves(workflow: Workflow, answers: Iterator[dict]) -> Iterator[Workflow]:
    """Each save of ``workflow`` while someone completes its first user task with the next answer; every
    third save it is loaded again from what it wrote."""
    yield workflow
    for step, answer in enumerate(answers, start=1):
        task = workflow.user_tasks()[0]
        workflow.complete_user_task(task.id, answer, NOW + timedelta(hours=step))
        workflow.run(NOW + timedelta(hours=step))
        yield workflow
        if step % 3 == 0:
            workflow = Workflow.load(workflow.bundle, workflow.dump())
            yield workflow


def started(path: Path, variables: dict, process: str = "bench") -> Workflow:
    workflow = Workflow.create(bundle(process, [Source(path.name, "bpmn", path.read_text())]), variables, None, NOW)
    workflow.run(NOW)
    return workflow


def test_a_looping_instance_with_variables_of_every_kind_is_saved_as_spiffworkflow_writes_it():
    rounds = [{"opnieuw": True, "ronde": n, **{k: v for i, (k, v) in enumerate(KINDS.items()) if i % 4 != n % 4}}
              for n in range(8)]
    answers = iter([*rounds, {"opnieuw": False}, {"besluit": "ja"}, {"besluit": "nee", "laatste": KINDS}])
    for workflow in saves(started(BENCH, {"begin": KINDS}), answers):
        assert_saved_as_stock(workflow)
    assert workflow.completed


def test_deleted_and_changed_variables_are_saved_as_spiffworkflow_writes_them():
    workflow = started(BENCH, dict(KINDS))
    assert_saved_as_stock(workflow)
    workflow.rewrite_data(lambda data: {k: v for k, v in data.items() if k not in ("datum", "genest")})
    workflow.set_variables({"tekst": "anders", "nieuw": {"x": [timedelta(seconds=1)]}})
    assert_saved_as_stock(workflow)


def test_variables_set_on_a_saved_workflow_are_in_its_next_save():
    """The latest data is a finished task's, whose text a save keeps: setting variables changes it in place."""
    workflow = started(BENCH, {"a": 1})
    workflow = Workflow.load(workflow.bundle, workflow.dump())  # with the texts it was read from
    workflow.set_variables({"a": 2, "b": KINDS["genest"]})
    assert_saved_as_stock(workflow)
    assert Workflow.load(workflow.bundle, workflow.dump()).data == {"a": 2, "b": KINDS["genest"]}


@pytest.mark.parametrize("answer", ["impasse", "onhaalbaar", "klaar"])
def test_an_embedded_subprocess_with_its_boundary_events_is_saved_as_spiffworkflow_writes_it(answer: str):
    answers = iter([{"uitkomst": answer, "datum": KINDS["datum"]}, {"verder": "ü"}, {"x": 1}, {"y": 2}])
    for workflow in saves(started(BOUNDARIES, {}, "uitwerking"), answers):
        assert_saved_as_stock(workflow)
        if not workflow.user_tasks():
            break
    assert workflow.completed


class Looped(dict):
    """Data that holds itself (a dict a weak reference can follow)."""


def test_a_variable_json_cannot_write_fails_the_save_as_in_spiffworkflow_and_is_not_kept():
    """The encoder is kept between saves: what a failed save was inside of must not stay in its memory."""
    workflow = started(BENCH, {"a": 1})
    assert_saved_as_stock(workflow)
    [ready] = [task for task in workflow.inner.tasks.values() if task.state == TaskState.READY]
    looped = Looped(b=[1])
    looped["zelf"], gone = looped, weakref.ref(looped)
    ready.data["fout"] = looped
    del looped
    with pytest.raises(ValueError, match="^Circular reference detected$"):
        stock_json(workflow.inner)
    with pytest.raises(ValueError, match="^Circular reference detected$"):
        dump_state(workflow.inner)
    del ready.data["fout"]
    gc.collect()
    assert gone() is None
    assert_saved_as_stock(workflow)
    ready.data["fout"] = [1, {2, 3}, object()]
    with pytest.raises(TypeError, match="^Object of type object is not JSON serializable$"):
        stock_json(workflow.inner)
    with pytest.raises(TypeError, match="^Object of type object is not JSON serializable$"):
        dump_state(workflow.inner)
    ready.data["fout"] = {2, 3}
    assert_saved_as_stock(workflow)


def test_a_pruned_tree_is_saved_as_spiffworkflow_writes_it():
    workflow = started(BENCH, {"a": 1})
    for loop in range(3):
        [task] = workflow.user_tasks()
        workflow.complete_user_task(task.id, {"opnieuw": True, "ronde": loop}, NOW)
        workflow.run(NOW)
    before = len(workflow.inner.tasks)
    prune(workflow.inner)
    assert len(workflow.inner.tasks) < before
    assert_saved_as_stock(workflow)


def test_what_the_engine_stores_is_what_spiffworkflow_writes_for_the_workflow_it_loads(sqlite_url: str):
    """Called processes, a boundary timer and an inclusive gateway, saved by the engine (live workflows and
    cached task texts), round after round: the stored text is SpiffWorkflow's own for the workflow it loads."""
    clock = FixedClock()
    engine = open_engine(sqlite_url, clock=clock)
    try:
        engine.repository.deploy([HERWERK])
        for process, rounds in [("herwerk_aanroep", [("a_registreren", {"ronde": "ü"}),
                                                     ("k_beslissen", {"opnieuw": True, "besluit": {"a": [1]}}),
                                                     ("a_registreren", {}), ("k_beslissen", {"opnieuw": False})]),
                                ("herwerk_parallel", [("registreren", {"ronde": 1.5}), ("advies_vl", {}),
                                                      ("advies_nl", {"opnieuw": True}), ("registreren", {}),
                                                      ("advies_nl", {"opnieuw": False})]),
                                ("herwerk_inclusief", [("i_registreren", {"nl": True, "vl": True, "opnieuw": True}),
                                                       ("i_advies_vl", {}), ("i_advies_nl", {}),
                                                       ("i_registreren", {"nl": True, "vl": False})])]:
            instance_id = engine.runtime.start(process)
            assert_stored_as_stock(engine, instance_id)
            for element_id, variables in rounds:
                complete(engine, instance_id, element_id, variables)
                assert_stored_as_stock(engine, instance_id)
        clock.advance(timedelta(days=8))
        assert engine.timers.fire_due_timers() == 1
        assert_stored_as_stock(engine, instance_id)
    finally:
        engine.db.dispose()


def complete(engine: Engine, instance_id: str, element_id: str, variables: dict) -> None:
    [task] = [t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id]
    engine.tasks.complete(task.id, Actor.of("iemand", task.candidate_groups), variables)


def assert_stored_as_stock(engine: Engine, instance_id: str) -> None:
    with engine.db.reading() as session:
        instance = session.get(ProcessInstance, instance_id)
        loaded = engine.executor.load_state(session, instance).inner
        assert state_json(instance.state) == stock_json(loaded)
