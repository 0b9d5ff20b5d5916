"""Instance state as JSON, without the process spec: the spec is stored once per definition version.
Stored deflated (a waiting instance's JSON is ~4 KB, mostly repeated keys and ids); state written as
plain JSON before that still loads."""

from __future__ import annotations

import base64
import json
import weakref
import zlib
from collections.abc import Callable
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.event_definition import MessageEventDefinitionConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .flat import FlatBpmnWorkflow
from .specs import CALLED, GrosMessage
from .timers import GrosCycle, GrosDuration, GrosTimeDate

STATE_FORMAT = "gros-1"
DEFLATED = "gros-z:"


class StateOnlyConverter(BpmnWorkflowConverter):
    """Writes the task tree only; reads it back against specs the caller already holds."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = FlatBpmnWorkflow(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class CalledSubprocessConverter(BpmnSubWorkflowConverter):
    """A process a call activity chose at run time is restored from the spec it chose, not its element's."""

    def from_dict(self, dct, task, top_workflow):
        spec = top_workflow.subprocess_specs.get(task.internal_data.get(CALLED, task.task_spec.spec))
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


class FinishedTaskConverter(TaskConverter):
    """A finished task never changes again, so a live workflow saved after every command reuses its
    dict instead of rebuilding it: saving costs what changed, not the whole history."""

    _finished = weakref.WeakKeyDictionary()

    def to_dict(self, task):
        if not task.has_state(TaskState.FINISHED_MASK):
            return super().to_dict(task)
        key = (task.state, task.last_state_change, len(task._children))
        held = self._finished.get(task)
        if held is None or held[0] != key:
            held = (key, super().to_dict(task))
            self._finished[task] = held
        return held[1]


def _registry():
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = StateOnlyConverter  # reads states written before FlatBpmnWorkflow
    config[FlatBpmnWorkflow] = StateOnlyConverter
    config[Task] = FinishedTaskConverter
    config[BpmnSubWorkflow] = CalledSubprocessConverter
    config[GrosMessage] = MessageEventDefinitionConverter
    for timer in (GrosTimeDate, GrosDuration, GrosCycle):
        config[timer] = TimerConditionalEventDefinitionConverter
    return BpmnWorkflowSerializer.configure(config)


_SERIALIZER = BpmnWorkflowSerializer(_registry())


def dump_state(workflow: BpmnWorkflow) -> str:
    _SERIALIZER.registry._encoder_mode = True
    try:
        dct = _SERIALIZER.to_dict(workflow)
    finally:
        _SERIALIZER.registry._encoder_mode = False
    dct["format"] = STATE_FORMAT
    text = json.dumps(dct, cls=_SERIALIZER._encoder_cls, separators=(",", ":"))
    return DEFLATED + base64.b64encode(zlib.compress(text.encode(), 1)).decode("ascii")  # fastest level: ~4× smaller


def state_json(state: str) -> str:
    """The JSON of a stored state, deflated or not."""
    if state.startswith(DEFLATED):
        return zlib.decompress(base64.b64decode(state[len(DEFLATED):])).decode()
    return state


def load_state(state: str, spec, subprocess_specs: dict, called: Callable[[str], dict]) -> BpmnWorkflow:
    """The workflow of a stored state; ``called`` gives the specs of a process a call activity chose
    at run time (by the spec name it recorded)."""
    dct = json.loads(state_json(state))
    if dct.pop("format", None) != STATE_FORMAT:
        raise ValueError("instance state was written in an unknown format")
    dct["typename"] = "FlatBpmnWorkflow"
    specs = dict(subprocess_specs)
    for name in _called_names(dct):
        for spec_name, called_spec in called(name).items():
            specs.setdefault(spec_name, called_spec)
    return _SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=specs)


def _called_names(dct: dict) -> set[str]:
    workflows = [dct, *dct["subprocesses"].values()]
    return {task["internal_data"][CALLED] for workflow in workflows for task in workflow["tasks"].values()
            if CALLED in task.get("internal_data", {})}
