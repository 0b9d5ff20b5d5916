"""Bare SpiffWorkflow: the yardstick the engine's persistent commands are measured against (issue 18).

As the issue defines it, a bare command is what any engine on this library must do at the least: load the
workflow from its serialized text, act, run the engine steps and serialize it again — with the stock parser,
engine and serializer, in memory, without a database."""

from __future__ import annotations

import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))


def _specs(bpmn: Path, process_id: str) -> tuple:
    parser = CamundaParser()
    parser.add_bpmn_file(str(bpmn))
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def _start(spec, subprocesses) -> str:
    workflow = BpmnWorkflow(spec, subprocesses)
    workflow.do_engine_steps()
    return _SERIALIZER.serialize_json(workflow)


def bare_starts(bpmn: Path, process_id: str, instances: int) -> tuple[int, float]:
    """Start ``instances`` workflows, each up to its first user task and serialized: how many, in how many
    seconds."""
    spec, subprocesses = _specs(bpmn, process_id)
    began = time.perf_counter()
    for _ in range(instances):
        _start(spec, subprocesses)
    return instances, time.perf_counter() - began


def bare_completions(bpmn: Path, process_id: str, instances: int) -> tuple[int, float]:
    """Start ``instances`` workflows and complete every user task, each completion one load, run, engine
    steps and dump; the starts count in the time as they do for the engine. How many completions, in how
    many seconds."""
    spec, subprocesses = _specs(bpmn, process_id)
    completions = 0
    began = time.perf_counter()
    for _ in range(instances):
        state = _start(spec, subprocesses)
        while True:
            workflow = _SERIALIZER.deserialize_json(state)
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                break
            ready[0].data["opnieuw"] = False
            ready[0].run()
            workflow.do_engine_steps()
            state = _SERIALIZER.serialize_json(workflow)
            completions += 1
    return completions, time.perf_counter() - began
