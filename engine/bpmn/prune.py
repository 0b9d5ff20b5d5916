"""Cut a workflow's finished past out of its SpiffWorkflow task tree.

Each pass through a loop adds its tasks below the previous pass, so an instance that reworked 200 times
holds ~600 tasks that every cold load deserializes and every tree walk passes. Who did what and when is
kept in GROS's own tables (historic tasks, audit events, variables, positions); SpiffWorkflow needs a
finished task only while something can still reach back to it. In SpiffWorkflow 3.2 that is:

- the parent of an unfinished task: a task copies its parent's data when it becomes ready, a join when it
  fires, and a boundary event is found beside its activity under their common parent;
- ``last_task``: the latest variables (``Workflow.data``) and, in a subprocess, what it hands back;
- a waiting parallel or inclusive gateway: it counts the other arrivals (its finished instances that are
  not its ancestors) by their parents, and merges their data when it fires;
- the hidden join of an activity with boundary events (or of several start events): it looks up its split
  among its ancestors;
- a parallel or inclusive gateway that fires walks up from its later instances to the nearest task of
  each of its inputs (a gateway that both starts and repeats a loop finds the start event that way);
- a call activity or embedded subprocess: its workflow is kept in ``subprocesses`` under its task id.

The cut keeps the lowest common ancestor of the unfinished tasks and what they reach, with its subtree,
the nearest ancestor of each gateway input and the tree's root (SpiffWorkflow's ``Start``), hung one under
the other; everything else goes, with the workflows of the subprocesses it ran. It runs in the top
workflow and in each running subprocess, at every save that can drop a task: one behaviour for every
instance (every test runs through it), and a gateway in a loop meets no arrival of an earlier round,
which SpiffWorkflow would count. It costs ~20–30 µs a save on a short tree. What lies below that ancestor
stays: a loop inside one branch of an open parallel region keeps its passes until the region joins.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from .serializer import FINISHED, TEXT_ATTRIBUTE


def prune(top: BpmnWorkflow) -> None:
    """Cut the finished past of ``top`` and of its running subprocesses."""
    _cut(top, top)
    for subprocess in list(top.subprocesses.values()):
        if not subprocess.completed and subprocess.parent_task_id in top.subprocesses:  # not dropped with its caller
            _cut(top, subprocess)


def _cut(top, workflow) -> None:
    root = workflow.task_tree
    if _all_under_last_task(workflow):  # as after a start: nothing to cut, and no ancestor to look for
        return
    lowest = _lowest_common_ancestor(_reached(workflow))
    if lowest is None or lowest is root:
        return
    chain = [*reversed(_walked_through(workflow, lowest)), lowest]
    kept = {*_subtree(lowest), *chain, root}  # the tasks themselves: their UUIDs hash in Python
    gone = [task_id for task_id, task in workflow.tasks.items() if task not in kept]
    if not gone:
        return
    for task_id in gone:
        del workflow.tasks[task_id]
    _drop_subprocesses(top, gone)
    for parent, child in pairwise([root, *chain]):
        parent._children, child._parent = [child.id], parent.id
    for task in (root, *chain):  # their written text names the old parent and children
        task.__dict__.pop(TEXT_ATTRIBUTE, None)


def _all_under_last_task(workflow) -> bool:
    """Whether ``last_task`` is the root or its only child: every other task lies below it, and the lowest
    common ancestor (``last_task`` or above) keeps them all."""
    last, root = workflow.last_task, workflow.task_tree
    return last is root or (last is not None and root._children == [last.id])


def _walked_through(workflow, lowest) -> list:
    """The ancestors of ``lowest`` a gateway walking up may still take as an input's arrival: the nearest
    task of each input of a parallel or inclusive gateway, nearest first."""
    inputs = {spec for join in workflow.spec.task_specs.values() if isinstance(join, UnstructuredJoin)
              for spec in join.inputs}
    found = []
    for task in _ancestors(lowest):
        if task.task_spec in inputs and task.parent is not None:  # the root stays anyway
            inputs.discard(task.task_spec)
            found.append(task)
    return found


def _reached(workflow) -> list:
    """The unfinished tasks and the finished ones they may still read."""
    tasks = workflow.tasks.values()
    unfinished = [task for task in tasks if not task._state & FINISHED]
    reached = [*unfinished, *(task.parent for task in unfinished)]  # no parent: left out below
    for task in unfinished:
        spec = task.task_spec
        if isinstance(spec, Join) and spec.split_task:
            reached.append(_ancestor(task, spec.split_task))
    for waiting in (task for task in unfinished if task._state == TaskState.WAITING
                    and isinstance(task.task_spec, UnstructuredJoin)):
        ancestors = set(_ancestors(waiting))
        arrived = [task for task in tasks if task.task_spec is waiting.task_spec and task._state & FINISHED
                   and task not in ancestors]
        reached += [*arrived, *(task.parent for task in arrived)]
    if workflow.last_task is not None:
        reached.append(workflow.last_task)
    return [task for task in reached if task is not None]


def _lowest_common_ancestor(tasks: list):
    if not tasks:
        return None
    path = [tasks[0], *_ancestors(tasks[0])]
    path.reverse()  # root first
    depth = {task: n for n, task in enumerate(path)}  # by the task itself: its UUID hashes in Python
    lowest = len(path) - 1
    for task in tasks[1:]:
        climbed = []
        while task not in depth:
            climbed.append(task)
            task = task.parent
        depth.update(dict.fromkeys(climbed, depth[task]))  # they meet the path there: a later climb stops at them
        lowest = min(lowest, depth[task])
    return path[lowest]


def _ancestors(task) -> Iterator:
    """The ancestors of ``task``, its parent first (no recursion: an old tree may be deeper than the stack)."""
    while (task := task.parent) is not None:
        yield task


def _ancestor(task, spec_name: str):
    return next((ancestor for ancestor in _ancestors(task) if ancestor.task_spec.name == spec_name), None)


def _subtree(task) -> list:
    found, pending = [], [task]
    while pending:
        task = pending.pop()
        found.append(task)
        pending.extend(task.children)
    return found


def _drop_subprocesses(top, task_ids: list) -> None:
    """The workflows the dropped tasks ran, and those their own tasks ran in turn."""
    pending = [task_id for task_id in task_ids if task_id in top.subprocesses] if top.subprocesses else []
    while pending:
        subprocess = top.subprocesses.pop(pending.pop())
        pending += [task_id for task_id in subprocess.tasks if task_id in top.subprocesses]
