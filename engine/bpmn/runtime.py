"""Run one workflow: everything the commands need from SpiffWorkflow, behind plain data.

Nothing outside ``engine/bpmn`` touches SpiffWorkflow objects; the commands hold a ``Workflow``
handle and read ``UserTaskView``/``TimerView``/``MessageView`` values from it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.errors import InvalidData

from .expressions import SafeScriptEngine
from .flat import FlatBpmnWorkflow
from .prune import prune
from .serializer import dump_state, forget_written, load_state
from .specs import CALLED, CalledProcesses, GrosCallActivity, GrosExternalTask, called_definition
from .timers import GrosCycle, clock_at, instant
from .timers import now as timers_now

SCRIPT_ENGINE = SafeScriptEngine()
FORMS_PREFIX = "camunda-forms:deployment:"


class _NothingCalled:
    """For a workflow outside a database: no deployed process to call at run time."""

    def find(self, key: str, binding: str, version: int | None, version_tag: str | None) -> str | None:
        return None

    def specs(self, name: str) -> dict:
        raise KeyError(name)


NOTHING_CALLED = _NothingCalled()


class EngineStepError(Exception):
    """An element failed while the engine ran it (a script, a condition, a missing variable)."""

    def __init__(self, message: str, element_id: str | None, task_id: str | None) -> None:
        super().__init__(message)
        self.element_id = element_id
        self.task_id = task_id


class TaskStateError(Exception):
    """The task is not waiting for a person (not READY, not a user task, or unknown)."""


@dataclass(frozen=True)
class ProcessBundle:
    """A parsed process and the processes it calls: what one definition version runs."""

    key: str
    spec: Any
    subprocess_specs: dict


@dataclass(frozen=True)
class UserTaskView:
    id: str
    element_id: str
    name: str
    lane: str | None
    process_key: str
    assignee: str | None
    form_ref: str | None
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ExternalTaskView:
    id: str
    element_id: str
    name: str
    process_key: str
    topic: str
    priority: int


@dataclass(frozen=True)
class TimerView:
    task_id: str
    element_id: str
    name: str
    due_at: datetime
    attached_to: str | None = None  # a boundary timer's activity (its task id): that activity's deadline


@dataclass(frozen=True)
class MessageView:
    task_id: str
    element_id: str
    message_name: str


@dataclass(frozen=True)
class ElementRun:
    """A step the engine took, for the audit trail."""

    element_id: str
    name: str
    kind: str
    process_key: str
    decided: dict = field(default_factory=dict)  # a decision table's outputs: what the model derived
    sent: tuple[str, ...] = ()  # the messages it threw that nothing in the instance caught: they leave it
    definition_id: int | None = None  # the version a process chosen at run time runs; None: the instance's


@dataclass(frozen=True)
class Position:
    """Where a token stands: a waiting element, or a call activity/subprocess whose process runs."""

    process_key: str
    element_id: str
    definition_id: int | None = None  # the version a process chosen at run time runs; None: the instance's


DEADLINES = "deadlines"  # internal data of a user task: its deadline attributes as evaluated at creation
UNSETTLED = "unsettled"  # in DEADLINES: an expression failed, the incident's retry evaluates them again
DEADLINE_NAMES = {"dueDate": "vervaldatum", "followUpDate": "opvolgdatum"}


HELD_STATES = (TaskState.READY, TaskState.WAITING, TaskState.ERROR, TaskState.STARTED)


class _Held:
    """Where a workflow's tokens are, from one pass over its task maps: the tasks in each state that holds a
    token (in the maps' order) and the waiting catch events, with the timers and messages they wait for
    once asked. A save asks ~15 times (what it waits at, its positions, its tasks, timers and messages);
    each used to scan the maps again."""

    __slots__ = ("by_state", "catching", "timers", "messages")

    def __init__(self, inner: BpmnWorkflow) -> None:
        self.by_state: dict[int, list] = {state: [] for state in HELD_STATES}
        for workflow in [inner, *inner.subprocesses.values()]:
            for task in workflow.tasks.values():
                found = self.by_state.get(task._state)
                if found is not None:
                    found.append(task)
        self.catching = [t for t in inner.event_manager.tasks.values() if t.state == TaskState.WAITING]
        self.timers: list[TimerView] | None = None
        self.messages: list[MessageView] | None = None


def _moves_tasks(method):
    """A method that can change which tasks hold a token: what the workflow holds is worked out anew after
    it (and before: an earlier failure may have left it half-done)."""
    @functools.wraps(method)
    def moving(self, *args, **kwargs):
        self._held = None
        try:
            return method(self, *args, **kwargs)
        finally:
            self._held = None
    return moving


class Workflow:
    """A live workflow instance plus the clock time its current command runs at."""

    def __init__(self, bundle: ProcessBundle, inner: BpmnWorkflow) -> None:
        self.bundle = bundle
        self.inner = inner
        self.steps: list[ElementRun] = []
        self._held: _Held | None = None  # what its tokens hold, until a method of this class moves them

    # --- creating, loading, saving -----------------------------------------------------------
    @classmethod
    def create(cls, bundle: ProcessBundle, variables: dict, start_element: str | None, now: datetime,
               called: CalledProcesses = NOTHING_CALLED):
        """A new instance started at ``start_element`` (a message or timer start the engine chose),
        or at the process's plain start event; every other start event is cancelled."""
        inner = FlatBpmnWorkflow(bundle.spec, dict(bundle.subprocess_specs), script_engine=SCRIPT_ENGINE)
        inner.called_processes = called
        starts = inner.own_tasks(StartEvent)
        chosen = [t for t in starts if _is_chosen(t, start_element)]
        with clock_at(now):
            for start in chosen:
                _mark_started(start)
            root = inner.task_tree  # SpiffWorkflow's "Start", made ready by the constructor
            root.data.update(variables)
            root.run()
            for start in starts:
                if start not in chosen and not start.has_state(TaskState.FINISHED_MASK):
                    start.cancel()
        return cls(bundle, inner)

    @classmethod
    def load(cls, bundle: ProcessBundle, state: str, called: CalledProcesses = NOTHING_CALLED) -> Workflow:
        inner = load_state(state, bundle.spec, bundle.subprocess_specs, called.specs)
        inner.script_engine = SCRIPT_ENGINE
        inner.called_processes = called
        return cls(bundle, inner)

    @_moves_tasks
    def dump(self) -> str:
        prune(self.inner)
        return dump_state(self.inner)

    def take_apart(self) -> None:
        """Break the task map's reference cycles (workflow ↔ task) of a workflow nobody will use again, so
        reference counting frees it at once: left whole, each dropped workflow waits for a full collection
        (a start's share of those was ~100 µs with 256 workflows kept)."""
        inner = self.inner
        for workflow in [*inner.subprocesses.values(), inner]:  # tasks, event manager, top workflow: all go
            vars(workflow).clear()
        self._held = None

    def release_calls(self) -> None:
        """Forget the deployed processes its command could call: they read in that command's session, which
        a workflow kept for the next command would otherwise keep alive (with all the session holds)."""
        self.inner.called_processes = NOTHING_CALLED

    # --- what it waits for -------------------------------------------------------------------
    @property
    def completed(self) -> bool:
        return self.inner.completed

    @property
    def data(self) -> dict:
        return self.inner.data if self.completed else self._latest_data()

    def _latest_data(self) -> dict:
        task = self.inner.last_task or self.inner.task_tree
        return task.data

    def user_tasks(self) -> list[UserTaskView]:
        return [_user_task_view(t) for t in self._in_state(TaskState.READY) if _is_person(t)]

    def external_tasks(self) -> list[ExternalTaskView]:
        return [_external_view(t) for t in self._in_state(TaskState.READY) if _is_external(t)]

    def timers(self) -> list[TimerView]:
        held = self._holding()
        if held.timers is None:
            held.timers = [view for task in held.catching for view in _timer_views(task)]
        return list(held.timers)

    def messages(self) -> list[MessageView]:
        held = self._holding()
        if held.messages is None:
            held.messages = [MessageView(str(task.id), task.task_spec.bpmn_id, definition.name)
                             for task in held.catching for definition in _definitions(task, MessageEventDefinition)]
        return list(held.messages)

    def waiting_at(self) -> list[str]:
        ready = [t.task_spec.bpmn_id for t in self._in_state(TaskState.READY) if t.task_spec.manual]
        waiting = [t.task_spec.bpmn_id for t in self._waiting()]
        errored = [t.task_spec.bpmn_id for t in self._in_state(TaskState.ERROR)]
        return sorted(set(ready + waiting + errored))

    def positions(self) -> list[Position]:
        """Every element a token stands on, in the process (or called process) that owns it."""
        tasks = [t for t in self._in_state(TaskState.READY) if t.task_spec.manual]
        tasks += self._waiting() + self._in_state(TaskState.ERROR) + self._in_state(TaskState.STARTED)
        found = {Position(t.workflow.spec.name, t.task_spec.bpmn_id, _chosen_definition(self.inner, t.workflow))
                 for t in tasks if t.task_spec.bpmn_id}
        return sorted(found, key=lambda p: (p.process_key, p.element_id))

    def phase(self) -> str:
        """The process the deepest running call activity runs, else the root process: where the instance is."""
        called = [w for w in self.inner.subprocesses.values() if not w.completed
                  and isinstance(self.inner.get_task_from_id(w.parent_task_id).task_spec, GrosCallActivity)]
        return max(called, key=lambda w: w.depth).spec.name if called else self.inner.spec.name

    def _holding(self) -> _Held:
        held = self._held
        if held is None:
            held = self._held = _Held(self.inner)
        return held

    def _in_state(self, state: int) -> list:
        """Tasks in a state that holds a token (``HELD_STATES``), from the flat task maps: cheaper than walking
        a long history's tree."""
        return self._holding().by_state[state]

    def _waiting(self) -> list:
        return self._holding().catching

    def task_data(self, task_id: str) -> dict:
        return self._task(task_id).data

    # --- acting ------------------------------------------------------------------------------
    @_moves_tasks
    def complete_user_task(self, task_id: str, variables: dict, now: datetime) -> None:
        task = self._task(task_id)
        self.user_task(task_id)
        with clock_at(now):
            task.data.update(variables)
            self._run_task(task)

    @_moves_tasks
    def complete_external_task(self, task_id: str, variables: dict, now: datetime) -> None:
        task = self._external(task_id)
        with clock_at(now):
            task.data.update(variables)
            self._run_task(task)

    @_moves_tasks
    def throw_bpmn_error(self, task_id: str, code: str, variables: dict, now: datetime) -> bool:
        """A worker's BPMN error on an external task, for the error boundary events on that task that
        catch its code; False (and nothing changed) when none does."""
        task = self._external(task_id)
        event = BpmnEvent(ErrorEventDefinition(code, code=code), payload={**task.data, **variables},
                          target=task.workflow)
        catching = [t for t in self._waiting() if t.parent is task.parent and t is not task
                    and t.task_spec.catches(t, event)]
        with clock_at(now):
            for boundary in catching:
                boundary.task_spec.catch(boundary, event)
                boundary.task_spec._update(boundary)
        return bool(catching)

    def _external(self, task_id: str):
        task = self._task(task_id)
        if task.state != TaskState.READY or not _is_external(task):
            raise TaskStateError(f"taak {task_id} is {TaskState.get_name(task.state)}, geen wachtende external task")
        return task

    @_moves_tasks
    def deliver_message(self, task_id: str, name: str, variables: dict, now: datetime) -> None:
        task = self._task(task_id)
        matching = [d for d in _definitions(task, MessageEventDefinition) if d.name == name]
        if task.state != TaskState.WAITING or not matching:
            raise TaskStateError(f"taak {task_id} wacht niet op bericht '{name}'")
        definition = matching[0]
        with clock_at(now):
            event = BpmnEvent(definition, payload={"payload": variables, "result_var": None})
            task.task_spec.catch(task, event)
            task.task_spec._update(task)

    def run(self, now: datetime) -> None:
        """Run engine steps until only people, timers and messages are awaited."""
        with clock_at(now):
            try:
                self._held = None
                self.inner.refresh_timers()
                self.inner.do_engine_steps(did_complete_task=self._record)
                # do_engine_steps ends by arming new timers; one already due leaves a ready branch.
                while any(not t.task_spec.manual for t in self._in_state(TaskState.READY)):
                    self._held = None
                    self.inner.do_engine_steps(did_complete_task=self._record)
                self._settle_deadlines()  # writes internal data only: what the tokens hold stays known
            except EngineStepError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure inside a model run becomes an incident
                raise _step_error(error) from error

    def _settle_deadlines(self) -> None:
        """Camunda evaluates a task's deadline expressions once, when the task is created, so that
        ``${dateTime().plusDays(28).toDate()}`` counts from that moment and does not move afterwards.
        One that cannot be evaluated (a variable is missing) leaves the task waiting without that
        deadline and is an incident; retrying it evaluates the deadline again."""
        failures = []
        for task in self._in_state(TaskState.READY):
            if task.task_spec.manual and DEADLINES not in task.internal_data:
                extensions = task.task_spec.extensions or {}
                settled = task.internal_data[DEADLINES] = {}
                for name in ("dueDate", "followUpDate"):
                    if "${" in str(extensions.get(name) or ""):
                        try:
                            settled[name] = _iso(task.workflow.script_engine.evaluate(task, extensions[name]))
                        except SpiffWorkflowException as error:
                            settled[name], settled[UNSETTLED] = None, True
                            failures.append((task, name, error))
        if failures:
            task, name, error = failures[0]
            spec, label = task.task_spec, DEADLINE_NAMES[name]
            raise EngineStepError(
                f"{label} (camunda:{name}) van taak '{spec.bpmn_name or spec.bpmn_id}' kan niet worden berekend: "
                f"{str(error).strip().rstrip('.')}. De taak wacht zonder {label}; vul de variabele aan en probeer "
                "het incident opnieuw.", spec.bpmn_id, str(task.id))

    @_moves_tasks
    def retry(self, variables: dict, now: datetime) -> None:
        """Run the failed elements again, after someone fixed their data or the model."""
        for task in self._in_state(TaskState.READY):
            if task.internal_data.get(DEADLINES, {}).get(UNSETTLED):
                task.data.update(variables)
                del task.internal_data[DEADLINES]
        with clock_at(now):
            for task in self._in_state(TaskState.ERROR):
                task.data.update(variables)
                try:
                    self._run_task(task)
                except Exception as error:  # noqa: BLE001 - as in run(): a failure becomes an incident
                    raise _step_error(error) from error
        self.run(now)

    def set_assignee(self, task_id: str, user: str | None) -> None:
        self.user_task(task_id)
        self._task(task_id).internal_data["assignee"] = user

    def user_task(self, task_id: str) -> UserTaskView:
        task = self._task(task_id)
        if task.state != TaskState.READY or not _is_person(task):
            raise TaskStateError(f"taak {task_id} is {TaskState.get_name(task.state)} en wacht niet op een persoon")
        return _user_task_view(task)

    def set_variables(self, variables: dict) -> None:
        """Set process variables as Camunda does: where every execution sees them — the latest data and each
        task holding a token now (ready, waiting, a running call activity and the process it called), so a
        waiting task's later ``${...}`` and the steps after it read the new value."""
        holding = [task for state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED)
                   for task in self._in_state(state)]
        for data in [self._latest_data(), *(task.data for task in holding)]:
            data.update(variables)
        forget_written(self.inner)  # the latest data is a finished task's: the text kept for it no longer holds

    def rewrite_data(self, change: Callable[[dict], dict]) -> None:
        """Replace every copy of the variables — each task's and each (sub)workflow's — by ``change(copy)``:
        an erasure must reach the values earlier steps kept, not only the latest ones."""
        for workflow in [self.inner, *self.inner.subprocesses.values()]:
            for data in [workflow.data, *(task.data for task in workflow.get_tasks())]:
                changed = change(data)
                data.clear()
                data.update(changed)
        forget_written(self.inner)

    def _run_task(self, task) -> None:
        task.run()
        self._record(task)

    def _record(self, task) -> None:
        spec = task.task_spec
        if getattr(spec, "bpmn_id", None):
            table = getattr(getattr(spec, "dmnEngine", None), "decision_table", None)
            decided = {o.name: task.data.get(o.name) for o in table.outputs} if table else {}
            sent = tuple(e.event_definition.name for e in self.inner.get_events()
                         if isinstance(e.event_definition, MessageEventDefinition))
            self.steps.append(ElementRun(spec.bpmn_id, spec.bpmn_name or "", spec.__class__.__name__,
                                         task.workflow.spec.name, decided, sent,
                                         _chosen_definition(self.inner, task.workflow)))

    def _task(self, task_id: str):
        try:
            task = self.inner.get_task_from_id(UUID(task_id))
        except (ValueError, SpiffWorkflowException):
            task = None
        if task is None:
            raise TaskStateError(f"taak {task_id} hoort niet bij deze instantie")
        return task


def _is_chosen(start_task, start_element: str | None) -> bool:
    if start_element is None:
        return isinstance(start_task.task_spec.event_definition, NoneEventDefinition)
    return start_task.task_spec.bpmn_id == start_element


def _mark_started(start_task) -> None:
    """The event of a start the engine chose (message or timer) has already happened."""
    definition = start_task.task_spec.event_definition
    if isinstance(definition, GrosCycle):
        # A cycle start event spawns one branch per tick; the engine's timer row is this one tick.
        start_task._set_internal_data(event_value={"cycles": 1, "next": timers_now().isoformat(), "period": "P1D"})
    else:
        start_task._set_internal_data(event_fired=True)


def chosen_call(top: BpmnWorkflow, workflow) -> str | None:
    """The spec name of the process chosen at run time that ``workflow`` runs in (it, or the nearest
    process calling it): its own version, apart from the instance's. None inside the instance's version."""
    while workflow is not top:
        caller = top.get_task_from_id(workflow.parent_task_id)
        if CALLED in caller.internal_data:
            return caller.internal_data[CALLED]
        workflow = caller.workflow
    return None


def _chosen_definition(top: BpmnWorkflow, workflow) -> int | None:
    name = chosen_call(top, workflow)
    return called_definition(name) if name is not None else None


def _is_person(task) -> bool:
    return task.task_spec.manual and not isinstance(task.task_spec, GrosExternalTask)


def _is_external(task) -> bool:
    return isinstance(task.task_spec, GrosExternalTask)


def _external_view(task) -> ExternalTaskView:
    spec = task.task_spec
    priority = spec.priority
    if "${" in priority:
        priority = task.workflow.script_engine.evaluate(task, priority)
    return ExternalTaskView(str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, task.workflow.spec.name,
                            spec.topic, _whole(priority))


def _whole(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _user_task_view(task) -> UserTaskView:
    spec = task.task_spec
    attributes = _evaluated(task, spec.extensions or {})
    if "assignee" not in task.internal_data:
        task.internal_data["assignee"] = attributes.get("assignee") or None
    return UserTaskView(
        id=str(task.id),
        element_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        lane=spec.lane,
        process_key=task.workflow.spec.name,
        assignee=task.internal_data["assignee"],
        form_ref=form_reference(attributes),
        attributes=attributes,
    )


def form_reference(attributes: dict) -> str | None:
    """The Camunda Form a task shows: ``camunda:formRef`` or a ``camunda-forms:deployment:`` key."""
    key = attributes.get("formKey") or ""
    if attributes.get("formRef"):
        return attributes["formRef"]
    if key.startswith(FORMS_PREFIX):
        return key[len(FORMS_PREFIX):]
    return None


def _evaluated(task, extensions: dict) -> dict:
    """Camunda evaluates ``${...}`` in assignment and deadline attributes when the task is created."""
    result = {}
    settled = task.internal_data.get(DEADLINES, {})
    for name, value in extensions.items():
        if name in settled:
            value = settled[name]
        elif isinstance(value, str) and "${" in value:
            value = _attribute(task, name, value)
        result[name] = value
    return result


def _attribute(task, name: str, expression: str):
    """A task attribute's ``${...}``: one that cannot be evaluated (a variable not set yet) refuses the command
    by name, as Camunda fails the command that creates the task — nothing is written."""
    try:
        return task.workflow.script_engine.evaluate(task, expression)
    except SpiffWorkflowException as error:
        raise InvalidData(f"{name} van taak '{task.task_spec.bpmn_name or task.task_spec.bpmn_id}' "
                          f"({expression}) kan niet worden bepaald: {error}", []) from error


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _definitions(task, kind: type) -> list:
    """The event definitions of ``kind`` a waiting task catches; an event-based gateway holds several."""
    definition = task.task_spec.event_definition
    parts = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    return [part for part in parts if isinstance(part, kind)]


def _timer_views(task) -> list[TimerView]:
    views = []
    for definition in _definitions(task, TimerEventDefinition):
        value = definition.details(task).value
        if isinstance(value, dict):
            # An exhausted cycle keeps its last "next" until a refresh ends it: nothing left to fire.
            value = value.get("next") if value.get("cycles") != 0 else None
        if value:
            views.append(TimerView(str(task.id), task.task_spec.bpmn_id, task.task_spec.bpmn_name or "",
                                   instant(value), _attached_to(task)))
    return views


def _attached_to(task) -> str | None:
    """The activity a boundary event waits beside: its sibling under the split Spiff puts before both."""
    if not isinstance(task.task_spec, BoundaryEvent):
        return None
    main = [t for t in task.parent.children if not isinstance(t.task_spec, BoundaryEvent)]
    return str(main[0].id) if main else None


def _step_error(error: Exception) -> EngineStepError:
    task = getattr(error, "task", None)
    spec = task.task_spec if task is not None else getattr(error, "task_spec", None)
    element = getattr(spec, "bpmn_id", None)
    message = str(error) if isinstance(error, SpiffWorkflowException) else f"{type(error).__name__}: {error}"
    notes = getattr(error, "notes", None) or []
    if notes:
        message = f"{message} ({'; '.join(notes)})"
    return EngineStepError(_in_dutch(message), element, str(task.id) if task is not None else None)


# SpiffWorkflow's own runtime messages a process owner meets in an incident, said in Dutch; the original
# stays behind it as the detail a process owner may need to find the cause.
SPIFF_RUNTIME = (
    (re.compile(r"^No conditions satisfied (?:for|on) "), "Geen enkele voorwaarde van deze gateway klopt en er is "
                                                          "geen standaardpad"),
)


def _in_dutch(message: str) -> str:
    for pattern, text in SPIFF_RUNTIME:
        if pattern.match(message):
            return f"{text}. Melding van de engine: {message}"
    return message
