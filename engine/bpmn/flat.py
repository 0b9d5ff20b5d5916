"""A ``BpmnWorkflow`` that answers "which tasks are in state S" and "which tasks run element E" from its
flat task map.

SpiffWorkflow walks the whole task tree for those questions, several times per command (the ready tasks in
``do_engine_steps``, the waiting ones after each completed task, a parallel gateway's earlier visits), so a
command on an instance with a long history paid for every task it ever ran. The walk also stops at depth
1000: an instance that looped ~500 times no longer saw its ready gateway and stood still. Scanning the
map and putting the few matches in the walk's order gives the same answer at any depth, for less.
"""

from __future__ import annotations

import logging

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

FEW = 16  # up to this many matches are ordered by their paths; more by one walk of the map
MAX_DEPTH = 1000  # how deep SpiffWorkflow's walk descends below the task it starts from
SPIFF_LOG = logging.getLogger("spiff.workflow")


class FlatBpmnWorkflow(BpmnWorkflow):
    def get_tasks(self, first_task=None, **kwargs) -> list:
        state = kwargs.get("state", TaskState.ANY_MASK)
        # The plain questions only: a definite state (ready, waiting, …), or an element in any state.
        # For those the walk descends everywhere, so its answer is the whole map's.
        plain = set(kwargs) == {"state"} and not state & ~TaskState.DEFINITE_MASK or set(kwargs) == {"spec_name"}
        if first_task is not None and set(kwargs) == {"spec_name"} and self._alone(first_task):
            return self._below(first_task, kwargs["spec_name"])
        if first_task is not None or not plain:
            return super().get_tasks(first_task, **kwargs)
        name = kwargs.get("spec_name")
        found = [task for workflow in self._searched(state) for task in workflow.tasks.values()
                 if task._state & state and (name is None or task.task_spec.name == name)]
        return self._in_tree_order(found)

    def _alone(self, task) -> bool:
        """Whether the walk from ``task`` stays in this workflow's map: no subprocess to descend into."""
        return task.workflow is self and not self.subprocesses

    def _below(self, first_task, name: str) -> list:
        """The tasks of element ``name`` in ``first_task``'s subtree (itself included), as the walk from it
        finds them: up to its depth limit (``MAX_DEPTH`` below it). A catching event asks this each time it
        runs (to reset its later instances), and the walk visited every task below it to answer."""
        found = []
        for task in self.tasks.values():
            if task.task_spec.name == name:
                depth, above = 0, task
                while above is not None and above is not first_task:
                    above, depth = above.parent, depth + 1
                if above is not None and depth <= MAX_DEPTH:
                    found.append(task)
        return self._in_tree_order(found)

    def own_tasks(self, spec_class: type) -> list:
        """This workflow's own tasks (not its subprocesses') of a ``spec_class`` element, in the walk's order."""
        return self._in_tree_order([task for task in self.tasks.values() if isinstance(task.task_spec, spec_class)])

    def collect_log_extras(self, dct: dict | None = None) -> dict:
        """SpiffWorkflow builds the details of its workflow's INFO messages (created, completed) whether they
        are logged or not, walking the whole tree for a list of task ids: a third of a new workflow's cost.
        Built only for a message that is logged."""
        if not SPIFF_LOG.isEnabledFor(logging.INFO):
            return {}
        return super().collect_log_extras(dct)

    def update_waiting_tasks(self) -> None:
        waiting = [task for task in self.tasks.values() if task._state == TaskState.WAITING]
        for task in self._in_tree_order(waiting):
            task.task_spec._update(task)

    def _searched(self, state: int) -> list:
        """This workflow and the subprocesses the walk enters: all of them for finished states too, else
        those whose calling task has not finished."""
        return [self, *(w for w in self.subprocesses.values()
                        if state > TaskState.FINISHED_MASK or not self._caller_finished(w))]

    def _caller_finished(self, subprocess) -> bool:
        caller = self.get_task_from_id(subprocess.parent_task_id)
        return caller is None or caller.has_state(TaskState.FINISHED_MASK)

    def _in_tree_order(self, tasks: list) -> list:
        if len(tasks) <= 1:
            return tasks
        if len(tasks) <= FEW:
            return sorted(tasks, key=self._tree_path)
        order = {task_id: n for n, task_id in enumerate(self._walk())}
        return sorted(tasks, key=lambda task: order[task.id])

    def _tree_path(self, task) -> tuple:
        """Child indexes from the root; a subprocess's tasks come right after the task that runs it,
        before that task's children, as the walk visits them."""
        path = []
        while task.parent is not None:
            parent = task.parent
            path.append(parent._children.index(task.id))
            task = parent
        path.reverse()
        if task.workflow is self:
            return tuple(path)
        return (*self._tree_path(self.get_task_from_id(task.workflow.parent_task_id)), -1, *path)

    def _walk(self):
        """Every task id depth first, a subprocess's tree right after its calling task (no recursion: the
        tree of a long history is deeper than Python's stack)."""
        pending = [self.task_tree]
        while pending:
            task = pending.pop()
            yield task.id
            children = [task.workflow.tasks[child] for child in task._children]
            subprocess = self.subprocesses.get(task.id)
            if subprocess is not None:
                children.insert(0, subprocess.task_tree)
            pending.extend(reversed(children))
