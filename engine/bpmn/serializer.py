"""Instance state as JSON, without the process spec: the spec is stored once per definition version.
Stored deflated (a waiting instance's JSON is ~4 KB, mostly repeated keys and ids); state written as
plain JSON before that still loads."""

from __future__ import annotations

import base64
import json
import threading
import zlib
from collections.abc import Callable
from uuid import UUID, uuid4

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
)
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.event_definition import MessageEventDefinitionConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.json_encoder import ReusedEncoder

from .flat import FlatBpmnWorkflow
from .specs import CALLED, GrosMessage
from .timers import GrosCycle, GrosDuration, GrosTimeDate

STATE_FORMAT = "gros-1"
DEFLATED = "gros-z:"
# Completed and cancelled tasks never change again (a task in ERROR may be retried with new data); their
# text is kept while their state, children and element (a migration may change it) stay the same.
FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
TEXT_ATTRIBUTE, DEFLATE_ATTRIBUTE = "_gros_state_text", "_gros_deflated"
TASKS_FIRST, _DECODER = '{"tasks":{', json.JSONDecoder()
LONG_HISTORY = 32_768  # characters of finished tasks from which a workflow keeps its compressor (~256 KB)
PLACEHOLDER = f"gros-tasks-{uuid4().hex}-"  # no variable's text holds this process's random token


class TaskTextCache:
    """A task map's JSON, written task by task: a finished task never changes again, so a live workflow
    saved after every command reuses its text instead of converting and encoding it anew — saving costs
    what changed, not the whole history. Each workflow's map is written in place of a placeholder."""

    _local = threading.local()

    @classmethod
    def placeholder(cls, tasks: dict) -> str:
        """A string to stand for ``tasks`` in the state's dict, swapped for their JSON by ``fill``."""
        names: dict[int, str] = {}  # a task id's text, by the identity of its UUID (the map keeps them all alive)
        texts, fragments = cls._local.texts, [cls._text(task, names) for task in tasks.values()]
        if not texts:  # the top workflow's map, written first: its leading finished tasks never change
            lead = next((n for n, task in enumerate(tasks.values()) if not task._state & FINISHED), len(fragments))
            cls._local.finished = ",".join(fragments[:lead]) + ("," if 0 < lead < len(fragments) else "")
        token = f"{PLACEHOLDER}{len(texts)}"
        texts[json.dumps(token)] = "{" + ",".join(fragments) + "}"
        return token

    @classmethod
    def dumping(cls) -> None:
        cls._local.texts, cls._local.finished = {}, ""

    @classmethod
    def fill(cls, text: str) -> tuple[str, str]:
        """The state's JSON, and its beginning that only finished tasks write (for ``_deflated``)."""
        for token, tasks in cls._local.texts.items():
            text = text.replace(token, tasks, 1)
        finished = TASKS_FIRST + cls._local.finished
        cls._local.texts, cls._local.finished = {}, ""
        return text, finished if text.startswith(finished) else ""

    @classmethod
    def seed(cls, tasks: dict, texts: dict[str, str]) -> None:
        """Keep the text each finished task of a loaded map was read from: what ``_text`` would write."""
        for task in tasks.values():
            written = texts.get(str(task.id)) if task._state & FINISHED else None
            if written is not None:
                task.__dict__[TEXT_ATTRIBUTE] = (_unchanged(task), written)

    @classmethod
    def _text(cls, task: Task, names: dict[int, str]) -> str:
        state = task._state  # the property costs a call per task of a long history
        if not state & FINISHED:
            return cls._encoded(task, names)
        key = _unchanged(task)
        held = task.__dict__.get(TEXT_ATTRIBUTE)  # on the task: it lives and dies with it
        if held is None or held[0] != key:
            held = task.__dict__[TEXT_ATTRIBUTE] = (key, cls._encoded(task, names))
        return held[1]

    @staticmethod
    def _encoded(task: Task, names: dict[int, str]) -> str:
        dct = _task_dict(task, names)
        return f'"{dct["id"]}":' + _encode(dct)


def _task_dict(task: Task, names: dict[int, str]) -> dict:
    """What SpiffWorkflow's ``registry.convert(task)`` gives the encoder (its ``TaskConverter``, typename
    added), key for key: the parent looked up once, not four times (each look-up hashes its UUID in Python),
    and no dispatch through the registry. Each id is written once a map, as its parent's child, and read back
    from ``names`` (``str(UUID)`` is Python). Task data goes to the encoder as it is; its ``default`` converts."""
    parent, data, own = task.workflow.tasks.get(task._parent), task.data, task.id
    if parent is None:
        delta = {}
    else:
        above = parent.data
        delta = {"updates": {key: data[key] for key in data if key not in above or data[key] != above[key]},
                 "deletions": [key for key in above if key not in data]}
    return {
        "id": names.get(id(own)) or str(own),
        "parent": (names.get(id(task._parent)) or str(task._parent)) if parent is not None else None,
        "children": [names.get(id(child)) or names.setdefault(id(child), str(child)) for child in task._children],
        "last_state_change": task.last_state_change,
        "state": task._state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": _SERIALIZER.registry.clean(task.internal_data),  # a dict: convert only cleans it
        "data": data if parent is None else {},
        "delta": delta,
        "typename": "Task",
    }


def _unchanged(task: Task) -> tuple:
    """What says a finished task's text still holds."""
    return task._state, task.last_state_change, len(task._children), task.task_spec.name


def forget_written(workflow: BpmnWorkflow) -> None:
    """Drop the text and compressor kept for a workflow whose finished tasks' data was changed in place."""
    workflow.__dict__.pop(DEFLATE_ATTRIBUTE, None)
    for process in [workflow, *workflow.subprocesses.values()]:
        for task in process.tasks.values():
            task.__dict__.pop(TEXT_ATTRIBUTE, None)


class TaskTextConverter:
    """Mixed into the workflow converters: their task map becomes a placeholder for its cached text."""

    def mapping_to_dict(self, mapping, **kwargs):
        if mapping and isinstance(next(iter(mapping.values())), Task):
            return TaskTextCache.placeholder(mapping)
        return super().mapping_to_dict(mapping, **kwargs)


class StateOnlyConverter(TaskTextConverter, BpmnWorkflowConverter):
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


class CalledSubprocessConverter(TaskTextConverter, BpmnSubWorkflowConverter):
    """A process a call activity chose at run time is restored from the spec it chose, not its element's."""

    def from_dict(self, dct, task, top_workflow):
        spec = top_workflow.subprocess_specs.get(task.internal_data.get(CALLED, task.task_spec.spec))
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess


def _registry():
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = StateOnlyConverter  # reads states written before FlatBpmnWorkflow
    config[FlatBpmnWorkflow] = StateOnlyConverter
    config[BpmnSubWorkflow] = CalledSubprocessConverter
    config[GrosMessage] = MessageEventDefinitionConverter
    for timer in (GrosTimeDate, GrosDuration, GrosCycle):
        config[timer] = TimerConditionalEventDefinitionConverter
    return BpmnWorkflowSerializer.configure(config)


_SERIALIZER = BpmnWorkflowSerializer(_registry())
# each task is encoded on its own: one encoder for all of them (a state's text as json.dumps(cls=...) writes it)
_encode = ReusedEncoder(_SERIALIZER._encoder_cls(separators=(",", ":"))).encode


def dump_state(workflow: BpmnWorkflow) -> str:
    _SERIALIZER.registry._encoder_mode = True
    TaskTextCache.dumping()
    try:
        dct = _SERIALIZER.to_dict(workflow)
    finally:
        _SERIALIZER.registry._encoder_mode = False
    dct = {"tasks": dct.pop("tasks"), **dct, "format": STATE_FORMAT}  # what only grows first: see _read_state
    text, finished = TaskTextCache.fill(_encode(dct))
    return DEFLATED + base64.b64encode(_deflated(workflow, text, finished)).decode("ascii")


def _deflated(workflow: BpmnWorkflow, text: str, finished: str) -> bytes:
    """``text`` deflated at the fastest level (~4× smaller). A long history's beginning of finished tasks
    is deflated once: the compressor's state after it is kept on the workflow, and each save deflates only
    what follows — what the last command added, not the whole history again."""
    if len(finished) < LONG_HISTORY:
        return zlib.compress(text.encode(), 1)
    done, head, compressor = workflow.__dict__.get(DEFLATE_ATTRIBUTE) or ("", b"", zlib.compressobj(1))
    if not finished.startswith(done):
        done, head, compressor = "", b"", zlib.compressobj(1)
    if len(finished) > len(done):
        compressor = compressor.copy()
        head += compressor.compress(finished[len(done):].encode())
        done = finished
        workflow.__dict__[DEFLATE_ATTRIBUTE] = (done, head, compressor)
    rest = compressor.copy()
    return head + rest.compress(text[len(done):].encode()) + rest.flush()


def state_json(state: str) -> str:
    """The JSON of a stored state, deflated or not."""
    if state.startswith(DEFLATED):
        return zlib.decompress(base64.b64decode(state[len(DEFLATED):])).decode()
    return state


def load_state(state: str, spec, subprocess_specs: dict, called: Callable[[str], dict]) -> BpmnWorkflow:
    """The workflow of a stored state; ``called`` gives the specs of a process a call activity chose
    at run time (by the spec name it recorded)."""
    dct, texts = _read_state(state_json(state))
    if dct.pop("format", None) != STATE_FORMAT:
        raise ValueError("instance state was written in an unknown format")
    dct["typename"] = "FlatBpmnWorkflow"
    specs = dict(subprocess_specs)
    for name in _called_names(dct):
        for spec_name, called_spec in called(name).items():
            specs.setdefault(spec_name, called_spec)
    workflow = _SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=specs)
    TaskTextCache.seed(workflow.tasks, texts)
    return workflow


def _read_state(text: str) -> tuple[dict, dict[str, str]]:
    """The state's dict and, when its top task map comes first (as ``dump_state`` writes it), each of those
    tasks' text as it was written: a workflow loaded cold need not encode its finished history again."""
    if not text.startswith(TASKS_FIRST):
        return json.loads(text), {}
    tasks, texts, at = {}, {}, len(TASKS_FIRST)
    while text[at] != "}":
        task_id, value_at = _DECODER.raw_decode(text, at)
        tasks[task_id], end = _DECODER.raw_decode(text, value_at + 1)  # after the ':'
        texts[task_id] = text[at:end]
        at = end + 1 if text[end] == "," else end
    rest = json.loads("{" + text[at + 2:]) if text[at + 1] == "," else {}
    return {"tasks": tasks, **rest}, texts


def _called_names(dct: dict) -> set[str]:
    workflows = [dct, *dct["subprocesses"].values()]
    return {task["internal_data"][CALLED] for workflow in workflows for task in workflow["tasks"].values()
            if CALLED in task.get("internal_data", {})}
