"""Bare SpiffWorkflow in memory: the yardstick the engine's persistent commands are measured against."""

from __future__ import annotations

import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState


def _specs(bpmn: Path, process_id: str) -> tuple:
    parser = CamundaParser()
    parser.add_bpmn_file(str(bpmn))
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def bare_starts_per_second(bpmn: Path, process_id: str, instances: int) -> float:
    """Start ``instances`` workflows with the stock parser and engine, each up to its first user task."""
    spec, subprocesses = _specs(bpmn, process_id)
    began = time.perf_counter()
    for _ in range(instances):
        BpmnWorkflow(spec, subprocesses).do_engine_steps()
    return instances / (time.perf_counter() - began)


def bare_completions_per_second(bpmn: Path, process_id: str, instances: int) -> float:
    """Start ``instances`` workflows with the stock parser and engine and complete every user task."""
    spec, subprocesses = _specs(bpmn, process_id)
    completions = 0
    began = time.perf_counter()
    for _ in range(instances):
        workflow = BpmnWorkflow(spec, subprocesses)
        workflow.do_engine_steps()
        while not workflow.completed:
            for task in workflow.get_tasks(state=TaskState.READY, manual=True):
                task.data["opnieuw"] = False
                task.run()
                completions += 1
            workflow.do_engine_steps()
    return completions / (time.perf_counter() - began)
