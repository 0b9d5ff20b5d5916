"""Move a running workflow onto another version of its process, as Camunda 7's migration does.

A plan maps the elements a token may wait at (``source`` → ``target`` element id); SpiffWorkflow's
``SpecDiff`` proposes it by matching ids. An instruction names an element id and holds in every process
of the version (the process and those it calls) that has that id: the GROS models reuse ids such as
``Activity_Escalatie`` in several processes, and a plan that renames one renames it in each.
Applying a plan keeps every waiting task as it is — its id, data, assignee, timer due time (unless
``update_event_trigger``) — and only swaps the specs under it and predicts the road ahead again where the
target's flow differs; elements already passed that the target no longer has are cut out of the history
tree (the audit trail keeps them). Message subscriptions and
timer rows are derived from the migrated workflow afterwards, like after any command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.util.task import TaskState

from engine.errors import CommandError

from .runtime import ProcessBundle, Workflow, chosen_call
from .specs import CALLED

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
AHEAD = TaskState.PREDICTED_MASK | TaskState.FUTURE  # predicted: nothing of it ran yet


@dataclass(frozen=True)
class Instruction:
    source: str
    target: str
    update_event_trigger: bool = False


@dataclass(frozen=True)
class Refusal:
    """Why one element (of the source version) cannot migrate, in Dutch."""

    element_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.element_id}: {self.reason}" if self.element_id else self.reason


class MigrationRefused(CommandError):
    """The plan, or this instance, cannot migrate; ``refusals`` names each element and why."""

    title = "Migratie geweigerd"

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__("; ".join(str(r) for r in refusals))
        self.refusals = refusals


def processes(bundle: ProcessBundle) -> dict:
    """Process id → spec of everything a version runs: the process, called and embedded processes."""
    return {bundle.key: bundle.spec, **bundle.subprocess_specs}


def elements(bundle: ProcessBundle) -> dict[str, str]:
    """Element id → kind (spec class) of every BPMN element the version has."""
    return {spec.bpmn_id: _kind(spec) for process in processes(bundle).values()
            for spec in process.task_specs.values() if getattr(spec, "bpmn_id", None)}


def generate(source: ProcessBundle, target: ProcessBundle, update_event_trigger: bool = False) -> list[Instruction]:
    """One instruction per element of ``source`` that SpiffWorkflow's diff aligns with an element of the
    same kind in ``target`` (by id first, then by position in the flow)."""
    targets = processes(target)
    found: dict[str, Instruction] = {}
    for name, spec in processes(source).items():
        if name not in targets:
            continue
        diff = SpecDiff(_KINDS, spec, targets[name])
        for old, new in diff.alignment.items():
            if new is not None and getattr(old, "bpmn_id", None) and getattr(new, "bpmn_id", None) \
                    and _kind(old) == _kind(new):
                found.setdefault(old.bpmn_id, Instruction(old.bpmn_id, new.bpmn_id, update_event_trigger))
    return sorted(found.values(), key=lambda i: i.source)


def check_instructions(source: ProcessBundle, target: ProcessBundle, instructions: list[Instruction]) -> list[Refusal]:
    """What is wrong with the instructions themselves: unknown elements, a kind that changes, doubles."""
    have, want = elements(source), elements(target)
    refusals, seen = [], set()
    for instruction in instructions:
        if instruction.source in seen:
            refusals.append(Refusal(instruction.source, "staat meer dan eens in het plan"))
        seen.add(instruction.source)
        if instruction.source not in have:
            refusals.append(Refusal(instruction.source, "bestaat niet in de bronversie"))
        elif instruction.target not in want:
            refusals.append(Refusal(instruction.source, f"doelelement '{instruction.target}' bestaat niet in de "
                                                        "doelversie"))
        elif have[instruction.source] != want[instruction.target]:
            refusals.append(Refusal(instruction.source, f"is een {have[instruction.source]}, doelelement "
                                    f"'{instruction.target}' een {want[instruction.target]}"))
    return refusals


def check_waiting(source: ProcessBundle, target: ProcessBundle, waiting: set[str],
                  instructions: list[Instruction]) -> list[Refusal]:
    """Refusals for elements where tokens wait but the plan does not say where they go."""
    mapped = {i.source: i for i in instructions}
    refusals = []
    for element_id in sorted(waiting):
        instruction = mapped.get(element_id)
        if instruction is None:
            refusals.append(Refusal(element_id, "hier wachten dossiers, maar het plan zegt niet waarheen"))
            continue
        refusals += _boundary_refusals(source, target, instruction, mapped)
    return refusals


def waiting_elements(workflow: Workflow, called: str | None = None) -> set[str]:
    """Every element a token of this workflow waits at (or runs inside), in the processes of its own version,
    or in those of the process a call activity chose at run time under spec name ``called``."""
    return {task.task_spec.bpmn_id for sub in _version(workflow.inner, called) for task in sub.tasks.values()
            if task.has_state(ACTIVE) and getattr(task.task_spec, "bpmn_id", None)}


def migrate(workflow: Workflow, target: ProcessBundle, instructions: list[Instruction]) -> Workflow:
    """The workflow moved onto ``target``; raises MigrationRefused naming each element that cannot.
    Processes that call activities chose at run time stay on their own version (each migrates by a plan
    of its own, ``migrate_called``)."""
    inner = workflow.inner
    own = _version(inner, None)
    mapped = _checked(workflow.bundle, target, waiting_elements(workflow), instructions,
                      _missing(inner, own[1:], target))
    targets = processes(target)

    def move() -> None:
        for sub in own:
            _move(sub, targets[sub.spec.name], mapped)
        inner.subprocess_specs = target.subprocess_specs

    return _moved(workflow, target, move)


def migrate_called(workflow: Workflow, source: str, source_bundle: ProcessBundle, target: str,
                   target_bundle: ProcessBundle, instructions: list[Instruction]) -> Workflow:
    """The workflow with the processes its call activities chose at run time under spec name ``source``
    moved onto ``target_bundle`` (spec name ``target``), as Camunda 7 migrates a called process instance by
    a plan for its own definition; the calling process stays on its version and runs on."""
    inner = workflow.inner
    chosen = _version(inner, source)
    mapped = _checked(source_bundle, target_bundle, waiting_elements(workflow, source), instructions,
                      _missing(inner, chosen, target_bundle))
    targets = processes(target_bundle)

    def move() -> None:
        for sub in chosen:
            caller = inner.get_task_from_id(sub.parent_task_id)
            if caller.internal_data.get(CALLED) == source:
                caller.internal_data[CALLED] = target  # the caller's reference: what its state loads with
            _move(sub, targets[sub.spec.name], mapped)

    return _moved(workflow, workflow.bundle, move)


def _missing(inner, subs: list, target: ProcessBundle) -> list[Refusal]:
    targets = processes(target)
    return [Refusal(caller, f"aangeroepen proces '{sub.spec.name}' bestaat niet in de doelversie")
            for caller, sub in _subworkflows(inner, subs) if sub.spec.name not in targets]


def _checked(source: ProcessBundle, target: ProcessBundle, waiting: set[str], instructions: list[Instruction],
             missing: list[Refusal]) -> dict[str, Instruction]:
    """The plan by source element, or MigrationRefused naming every element that cannot move."""
    refusals = check_instructions(source, target, instructions) + check_waiting(source, target, waiting,
                                                                                  instructions) + missing
    if refusals:
        raise MigrationRefused(refusals)
    return {i.source: i for i in instructions}


def _moved(workflow: Workflow, bundle: ProcessBundle, move: Callable[[], None]) -> Workflow:
    """The workflow after ``move``, written and read back against ``bundle``: a state that does not load is
    refused here, not later, and the instance stays as it was."""
    try:
        move()
        called = workflow.inner.called_processes
        return Workflow.load(bundle, Workflow(bundle, workflow.inner).dump(), called)
    except MigrationRefused:
        raise
    except Exception as error:  # noqa: BLE001 - whatever SpiffWorkflow raises, the instance stays as it was
        raise MigrationRefused([Refusal("", f"de toestand past niet op de doelversie: {error}")]) from error


def _move(workflow, spec, mapped: dict[str, Instruction]) -> None:
    """Swap each task's spec for its counterpart in ``spec``, then predict again what lies ahead."""
    workflow.spec = spec
    gone = []
    for task in list(workflow.tasks.values()):
        counterpart = _counterpart(task.task_spec, spec, mapped)
        if counterpart is None and task.has_state(ACTIVE):
            raise MigrationRefused([Refusal(task.task_spec.bpmn_id, f"het doelelement bestaat niet in proces "
                                                                    f"'{spec.name}' van de doelversie")])
        if counterpart is None:
            gone.append(task)
            continue
        instruction = mapped.get(getattr(task.task_spec, "bpmn_id", None) or "")
        task.task_spec = counterpart
        if instruction and instruction.update_event_trigger and task.has_state(TaskState.WAITING):
            task.internal_data.pop("event_value", None)  # armed again, from now, by the next engine step
            task.internal_data.pop("event_fired", None)
    for task in _tree_order(workflow):
        if task.id in workflow.tasks and task.has_state(ACTIVE | AHEAD):
            _predict_again(workflow, task)
    for task in gone:
        if task.id in workflow.tasks:
            _cut_out(workflow, task)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None


def _counterpart(old, spec, mapped: dict[str, Instruction]):
    """The target spec a task's spec becomes: by the plan for elements, by name for the rest (a start,
    the hidden split and join around an element with boundary events, the end of a process)."""
    bpmn_id = getattr(old, "bpmn_id", None)
    if bpmn_id and bpmn_id in mapped:
        return spec.task_specs.get(mapped[bpmn_id].target)
    name = old.name
    for suffix in (".BoundaryEventSplit", ".BoundaryEventJoin"):
        element = name.removesuffix(suffix)
        if name.endswith(suffix) and element in mapped:
            return spec.task_specs.get(mapped[element].target + suffix)
    return spec.task_specs.get(name)


def _predict_again(workflow, task) -> None:
    """Where what the source version predicted after a task (nothing of it ran yet) no longer follows
    the target's flow, drop it and predict the target's road instead; elsewhere leave it as it was."""
    ahead = [child for child in task.children if child.has_state(AHEAD)]
    specs = {child.task_spec for child in ahead}
    if not ahead or specs == set(task.task_spec.outputs):
        return
    for child in ahead:
        workflow._remove_task(child.id)
    task.task_spec._predict(task, mask=AHEAD | task.state)


def _tree_order(workflow) -> list:
    order, stack = [], [workflow.task_tree]
    while stack:
        task = stack.pop()
        order.append(task)
        stack.extend(reversed(task.children))
    return order


def _cut_out(workflow, task) -> None:
    """Remove a task whose element the target no longer has from the tree, keeping what followed it."""
    if task.has_state(TaskState.PREDICTED_MASK):
        workflow._remove_task(task.id)
        return
    parent = task.parent
    at = parent._children.index(task.id)
    parent._children[at:at + 1] = list(task._children)
    for child in task.children:
        child._parent = parent.id
    del workflow.tasks[task.id]


def _boundary_refusals(source: ProcessBundle, target: ProcessBundle, instruction: Instruction,
                       mapped: dict[str, Instruction]) -> list[Refusal]:
    """A boundary event that the target adds to a waiting task would never be armed: refuse it."""
    def events(bundle, element_id):
        for process in processes(bundle).values():
            split = process.task_specs.get(f"{element_id}.BoundaryEventSplit")
            if isinstance(split, BoundaryEventSplit):
                return {o.bpmn_id for o in split.outputs if isinstance(o, CatchingEvent)}
        return set()

    kept = {mapped[e].target for e in events(source, instruction.source) if e in mapped}
    added = events(target, instruction.target) - kept
    return [Refusal(instruction.source, f"de doelversie hangt grensgebeurtenis '{event}' aan "
                                        f"'{instruction.target}', die wachtende dossiers niet krijgen")
            for event in sorted(added)]


def _version(inner, called: str | None) -> list:
    """The workflows that run one version: the instance's own (``called`` None, the root first), or that of
    the process call activities chose at run time under spec name ``called``."""
    own = [inner] if called is None else []
    return own + [sub for sub in inner.subprocesses.values() if chosen_call(inner, sub) == called]


def _subworkflows(inner, subs: list):
    for sub in subs:
        owner = inner.get_task_from_id(sub.parent_task_id)
        yield owner.task_spec.bpmn_id, sub


def _kind(spec) -> str:
    return spec.__class__.__name__


class _KindRegistry:
    """What SpecDiff compares aligned specs by: their kind only (the engine stores no specs, so it has no
    converter for its own spec classes; the alignment is what a plan needs)."""

    def convert(self, spec) -> dict:
        return {"typename": _kind(spec)}


_KINDS = _KindRegistry()
