"""What a workflow waits for is worked out once per state of its tokens (``Workflow._held``): a save asks for
its tasks, timers, messages, positions and waiting elements some fifteen times. Every answer must be the one
a fresh look at the same SpiffWorkflow gives, after each method that moves tokens; and a new workflow does
not walk its tree for SpiffWorkflow's log details unless they are logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from SpiffWorkflow.workflow import Workflow as SpiffWorkflow

from engine.bpmn.definitions import Source, bundle
from engine.bpmn.runtime import Workflow

DATA = Path(__file__).parents[1] / "data" / "bpmn"
BENCH = Path(__file__).parents[2] / "engine" / "bench" / "bench.bpmn"
NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)


def created(path: Path, key: str, variables: dict | None = None) -> Workflow:
    return Workflow.create(bundle(key, [Source(path.name, "bpmn", path.read_text())]), variables or {}, None, NOW)


def started(path: Path, key: str, variables: dict | None = None) -> Workflow:
    workflow = created(path, key, variables)
    workflow.run(NOW)
    return workflow


def answers(workflow: Workflow) -> tuple:
    return (workflow.user_tasks(), workflow.external_tasks(), workflow.timers(), workflow.messages(),
            workflow.waiting_at(), workflow.positions())


def assert_as_fresh(workflow: Workflow) -> tuple:
    """Asked twice (the second time from what the first worked out), then against a wrapper that knows nothing."""
    first = answers(workflow)
    assert answers(workflow) == first
    assert first == answers(Workflow(workflow.bundle, workflow.inner))
    return first


def test_messages_and_timers_follow_each_delivery_and_run():
    workflow = started(DATA / "waiting.bpmn", "wachten")
    _, _, timers, messages, waiting_at, _ = assert_as_fresh(workflow)
    assert [(t.element_id, t.due_at) for t in timers] == [("wat_eerst", datetime(2027, 2, 3, 9, tzinfo=UTC))]
    assert [(m.element_id, m.message_name) for m in messages] == [("wat_eerst", "rapport-ontvangen")]
    assert waiting_at == ["wat_eerst"]
    workflow.deliver_message(messages[0].task_id, "rapport-ontvangen", {}, NOW)
    assert_as_fresh(workflow)
    workflow.run(NOW)
    _, _, timers, messages, waiting_at, positions = assert_as_fresh(workflow)
    assert timers == [] and [m.message_name for m in messages] == ["besluit-ontvangen"]
    assert waiting_at == ["besluit"] and [p.element_id for p in positions] == ["besluit"]
    workflow.dump()  # cuts the finished past out of the task maps
    assert_as_fresh(workflow)


def test_external_tasks_follow_an_error_and_a_completion():
    workflow = started(DATA / "betaling.bpmn", "betaling", {"prioriteit": 7})
    _, [external], *_ = assert_as_fresh(workflow)
    assert (external.element_id, external.priority) == ("controleren", 7)
    assert workflow.throw_bpmn_error(external.id, "ONGELDIG", {}, NOW)
    workflow.run(NOW)
    [task], externals, *_ = assert_as_fresh(workflow)
    assert task.element_id == "nakijken" and externals == []

    workflow = started(DATA / "betaling.bpmn", "betaling", {"prioriteit": 7})
    workflow.complete_external_task(workflow.external_tasks()[0].id, {}, NOW)
    assert_as_fresh(workflow)
    workflow.run(NOW)
    _, [external], *_ = assert_as_fresh(workflow)
    assert external.element_id == "melden"


def test_user_tasks_follow_a_completion_into_a_parallel_split():
    workflow = started(BENCH, "bench")
    [task], *_ = assert_as_fresh(workflow)
    workflow.complete_user_task(task.id, {"opnieuw": False}, NOW)
    assert assert_as_fresh(workflow)[0] == []
    workflow.run(NOW)
    tasks, *_, waiting_at, _ = assert_as_fresh(workflow)
    assert [t.element_id for t in tasks] == ["besluit_nl", "besluit_vl"] and waiting_at == ["besluit_nl", "besluit_vl"]


def test_a_new_workflow_walks_its_tree_for_spiffs_log_details_only_when_they_are_logged(monkeypatch, caplog):
    walks = []
    walk = SpiffWorkflow.get_tasks
    monkeypatch.setattr(SpiffWorkflow, "get_tasks", lambda *args, **kwargs: walks.append(1) or walk(*args, **kwargs))
    created(BENCH, "bench")
    assert walks == []

    caplog.set_level(logging.DEBUG, logger="spiff.workflow")
    workflow = created(BENCH, "bench")
    [record] = [r for r in caplog.records if r.getMessage() == "Initialized workflow"]
    assert record.workflow_spec == "bench" and record.root == workflow.inner.task_tree.id
    assert record.tasks[0] == workflow.inner.task_tree.id and set(record.tasks) <= set(workflow.inner.tasks)
    assert walks
