"""Instance state as JSON, without the process spec: the spec is stored once per definition version.
Stored deflated (a waiting instance's JSON is ~4 KB, mostly repeated keys and ids); state written as
plain JSON before that still loads."""

from __future__ import annotations

import base64
import json
import weakref
import zlib
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.event_definition import MessageEventDefinitionConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .flat import FlatBpmnWorkflow
from .specs import GrosMessage
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


def load_state(state: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    dct = json.loads(state_json(state))
    if dct.pop("format", None) != STATE_FORMAT:
        raise ValueError("instance state was written in an unknown format")
    dct["typename"] = "FlatBpmnWorkflow"
    return _SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
