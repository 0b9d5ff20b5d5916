"""Task specs whose run-time behaviour differs from SpiffWorkflow's where Camunda users expect it."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import NoReturn, Protocol

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import CallActivity, InclusiveGateway, ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.util.task import TaskState

from . import expressions


class GrosMessage(MessageEventDefinition):
    """A Camunda message: the variables it carries become process variables, as in Camunda."""

    def update_task_data(self, my_task) -> None:
        event = my_task.internal_data.get(self.name) or {}
        payload, result_var = event.get("payload"), event.get("result_var")
        if result_var is None and isinstance(payload, dict):
            my_task.data.update(deepcopy(payload))
        elif payload is not None:
            my_task.data[result_var or f"{my_task.task_spec.bpmn_id}_antwoord"] = payload

    def update_internal_data(self, my_task, event) -> None:
        my_task.internal_data[self.name] = event.payload

    def throw(self, my_task) -> None:
        """Without ``camunda:expression`` the message carries no payload (Camunda's neither)."""
        if self.expression is not None:
            super().throw(my_task)
            return
        my_task.workflow.top_workflow.catch(BpmnEvent(self, payload={"payload": None, "result_var": None}))


class GrosExternalTask(BpmnSpecMixin):
    """A service, send or business rule task with ``camunda:type="external"``: it waits (READY, like a user
    task, so engine steps pass it by) until an external worker that fetched its topic completes it."""

    def __init__(self, wf_spec, bpmn_id, topic: str, priority: str = "0", **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic
        self.priority = priority
        self.manual = True


CALLED = "called"  # internal data of a call activity that chose its process at run time: the spec name


def called_name(key: str, definition_id: int) -> str:
    """The spec name of a deployed version a call activity chose at run time."""
    return f"{key}@{definition_id}"


def called_definition(name: str) -> int:
    """The definition id in a spec name ``called_name`` made."""
    return int(name.rsplit("@", 1)[1])


@dataclass(frozen=True)
class CallBinding:
    """Which process a call activity with an expression or an explicit ``camunda:calledElementBinding``
    calls, decided when it starts (Camunda 7): the newest version, a version number or a version tag."""

    binding: str  # latest | version | versionTag
    version: str | None = None
    version_tag: str | None = None


class CalledProcesses(Protocol):
    """The deployed processes a running instance may call, under spec names ``called_name`` makes."""

    def find(self, key: str, binding: str, version: int | None, version_tag: str | None) -> str | None: ...

    def specs(self, name: str) -> dict: ...


class GrosCallActivity(CallActivity):
    """A call activity that passes only the variables its ``camunda:in``/``camunda:out`` map."""

    def __init__(self, wf_spec, bpmn_id, subworkflow_spec, in_mappings=(), out_mappings=(),
                 call_binding: CallBinding | None = None, **kwargs):
        super().__init__(wf_spec, bpmn_id, subworkflow_spec, **kwargs)
        self.in_mappings = list(in_mappings)
        self.out_mappings = list(out_mappings)
        self.call_binding = call_binding

    def start_workflow(self, my_task) -> None:
        if self.call_binding is None:
            super().start_workflow(my_task)
            return
        top = my_task.workflow.top_workflow
        name = self._called_name(my_task)
        for spec_name, spec in top.called_processes.specs(name).items():
            top.subprocess_specs.setdefault(spec_name, spec)
        my_task.internal_data[CALLED] = name
        subworkflow = top.create_subprocess(my_task, name)
        subworkflow.completed_event.connect(self._on_subworkflow_completed, my_task)
        self.copy_data(my_task, subworkflow)
        subworkflow.get_next_task(spec_name="Start").run()

    def _update_hook(self, my_task):
        """A process chosen at run time is started when the task runs, not when it is reached: a process
        that is not found then fails inside the engine's steps, which makes it an incident to retry."""
        if self.call_binding is None:
            return super()._update_hook(my_task)
        subprocess = my_task.workflow.top_workflow.get_subprocess(my_task)
        return super(SubWorkflowTask, self)._update_hook(my_task) if subprocess is None else subprocess.completed

    def _run_hook(self, my_task):
        if self.call_binding is not None and my_task.workflow.top_workflow.get_subprocess(my_task) is None:
            self.start_workflow(my_task)
            return None
        return super()._run_hook(my_task)

    def _called_name(self, my_task) -> str:
        binding = self.call_binding
        key = self._evaluated(my_task, self.spec, "calledElement")
        version = self._evaluated(my_task, binding.version, "camunda:calledElementVersion")
        tag = self._evaluated(my_task, binding.version_tag, "camunda:calledElementVersionTag")
        try:
            number = int(version) if version is not None else None
        except (TypeError, ValueError):
            self._fail(my_task, f"camunda:calledElementVersion '{version}' is geen versienummer")
        name = my_task.workflow.top_workflow.called_processes.find(str(key), binding.binding, number, tag)
        if name is None:
            wanted = {"version": f"versie {number} van ", "versionTag": f"versietag '{tag}' van "}.get(
                binding.binding, "")
            self._fail(my_task, f"{wanted}proces '{key}' is niet gedeployed; deploy het en probeer het "
                                "incident opnieuw")
        return name

    def _evaluated(self, my_task, text: str | None, attribute: str):
        if text is None or "${" not in text:
            return text
        try:
            return expressions.evaluate(text, my_task.data)
        except expressions.ExpressionError as error:
            self._fail(my_task, f"{attribute} '{text}' kan niet worden berekend: {error}")

    def _fail(self, my_task, reason: str) -> NoReturn:
        raise WorkflowTaskException(f"call activity '{self.bpmn_name or self.bpmn_id}': {reason}", task=my_task)

    def copy_data(self, my_task, subworkflow) -> None:
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        start.set_data(**_mapped(self.in_mappings, my_task.data))

    def update_data(self, my_task, subworkflow) -> None:
        my_task.data.update(_mapped(self.out_mappings, subworkflow.last_task.data))


def _mapped(mappings: list[dict], source: dict) -> dict:
    result: dict = {}
    for mapping in mappings:
        if mapping.get("variables") == "all":
            result.update(deepcopy(source))
        elif mapping.get("sourceExpression"):
            result[mapping["target"]] = expressions.evaluate(mapping["sourceExpression"], source)
        elif mapping.get("source") in source:
            result[mapping["target"]] = deepcopy(source[mapping["source"]])
    return result


class _BranchMergingJoin:
    """At a join, each branch contributes only the variables it changed since the fork.

    SpiffWorkflow copies every branch's whole data over the others, so the last branch to arrive
    restores stale values of variables another branch changed (a loop that re-asks two governments
    would keep the first round's answer). Camunda keeps one set of process variables; merging the
    changes per branch gives the same result."""

    def _run_hook(self, my_task):
        previous = _previous_activation(my_task)
        others = [
            t for t in my_task.workflow.tasks.values()
            if t.task_spec == self and t.has_state(TaskState.FINISHED_MASK) and not my_task.is_descendant_of(t)
            and (previous is None or t.is_descendant_of(previous))
        ]
        branches = [t.parent for t in sorted(others, key=lambda t: t.last_state_change)] + [my_task.parent]
        base = _fork(branches).data
        merged = deepcopy(base)
        for branch in branches:
            merged.update({k: deepcopy(v) for k, v in branch.data.items() if k not in base or base[k] != v})
            for key in [k for k in base if k not in branch.data]:
                merged.pop(key, None)
        for task in others:
            if task.has_state(TaskState.COMPLETED):
                task._drop_children(force=True)
        my_task.data = merged
        return True


def _previous_activation(my_task):
    """This join's last firing before the current one (in a loop): branches older than it are spent."""
    task = my_task.parent
    while task is not None and task.task_spec != my_task.task_spec:
        task = task.parent
    return task


def _fork(branches: list):
    """The latest task every branch descends from: where their data last was one."""
    ancestors = []
    task = branches[0]
    while task is not None:
        ancestors.append(task)
        task = task.parent
    common = set(ancestors)
    for branch in branches[1:]:
        lineage, task = set(), branch
        while task is not None:
            lineage.add(task)
            task = task.parent
        common &= lineage
    return next(task for task in ancestors if task in common)


class GrosParallelGateway(_BranchMergingJoin, ParallelGateway):
    pass


class GrosInclusiveGateway(_BranchMergingJoin, InclusiveGateway):
    def _run_hook(self, my_task):
        """Merge as a join, then split as InclusiveGateway does (its own hook is shadowed by the merge):
        the flows whose condition holds, else the default."""
        super()._run_hook(my_task)
        matches, defaults = self._get_matching_outputs(my_task)
        if not matches + defaults:
            raise WorkflowTaskException(f"geen enkele voorwaarde na '{self.bpmn_name or self.bpmn_id}' klopt en er "
                                        "is geen standaardpad", task=my_task)
        my_task._sync_children(matches or defaults, TaskState.FUTURE)
        for child in my_task.children:
            child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        return True


class StrictDecision(DMNEngine):
    """A decision table where no rule matches fails at its business rule task — an incident naming the
    table, which a retry with corrected data can fix — instead of leaving its outputs unset for a later
    step, outside any task, to trip over. A COLLECT table that matches nothing collects nothing."""

    def __init__(self, decision_table, decision_ref: str) -> None:
        super().__init__(decision_table)
        self.decision_ref = decision_ref

    def decide(self, task):
        rules = super().decide(task)
        if not rules and self.decision_table.hit_policy != HitPolicy.COLLECT.value:
            raise ValueError(f"beslissing '{self.decision_ref}': geen regel past bij de invoer")
        return rules
