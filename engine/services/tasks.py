"""The task service: people's work on user tasks — claim, release, hand over, complete — each checked
against the task's candidates and, on completion, against the rules of its form."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.runtime import TaskStateError
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.forms import FormDefinition, form_from_form_data, validate_submission
from engine.services.access import Actor, authorize, is_candidate, may_complete
from engine.services.executor import CommandExecutor, audit
from engine.services.inputs import check_text, check_variables
from engine.services.queries import explain_missing_task
from engine.services.repository import RepositoryService
from engine.store.models import HumanTask, ProcessInstance


@dataclass(frozen=True)
class Completion:
    instance_id: str
    status: str
    next_task_ids: list[str]


class TaskService:
    def __init__(self, executor: CommandExecutor, repository: RepositoryService) -> None:
        self.executor = executor
        self.repository = repository

    def claim(self, task_id: str, actor: Actor) -> None:
        self._assign(task_id, actor, actor.user, "task.claimed")

    def unclaim(self, task_id: str, actor: Actor) -> None:
        self._assign(task_id, actor, None, "task.unclaimed")

    def assign(self, task_id: str, actor: Actor, to: Actor) -> None:
        """Hand a task over to a colleague who is a candidate too."""
        self._assign(task_id, actor, to.user, "task.assigned", to=to)

    def _assign(self, task_id: str, actor: Actor, user: str | None, action: str, to: Actor | None = None) -> None:
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance, task = self._locked_task(session, task_id)
            claimed_by_other = task.assignee and task.assignee != actor.user
            if action == "task.claimed" and claimed_by_other and is_candidate(task, actor):
                raise Conflict(f"taak is al geclaimd door {task.assignee}")
            taking_over = claimed_by_other and action != "task.claimed"
            if taking_over and not self.executor.roles.oversees(actor):
                raise Forbidden(f"taak is geclaimd door {task.assignee}: alleen die, het secretariaat of het "
                                "management mag ze overdragen of vrijgeven")
            if not taking_over:
                authorize(task, actor)
            if to is not None and not is_candidate(task, to):
                raise Forbidden(f"{to.user} is geen kandidaat voor deze taak")
            workflow = self.executor.load(session, instance)
            workflow.set_assignee(task_id, user)
            audit(session, instance.id, now, actor, action, task.element_id, task.name, task_id,
                  {"assignee": user} if user else None)
            self.executor.save(session, instance, workflow, now)

    def complete(self, task_id: str, actor: Actor, variables: dict | None = None) -> Completion:
        """Complete a READY user task for a candidate or its assignee, after the form's own rules."""
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance, task = self._locked_task(session, task_id)
            authorize(task, actor)
            workflow = self.executor.load(session, instance)
            data = self._validated(session, instance, task, variables or {}, workflow.task_data(task_id))
            try:
                workflow.complete_user_task(task_id, data, now)
            except TaskStateError as error:
                raise Conflict(str(error)) from error
            audit(session, instance.id, now, actor, "task.completed", task.element_id, task.name, task_id, data)
            ready = self.executor.advance(session, instance, workflow, actor, now)
            next_ids = [t.id for t in ready if may_complete(t, actor)]
            return Completion(instance.id, instance.status, next_ids)

    def form(self, task_id: str) -> FormDefinition | None:
        """The form a task shows (for pages that render it), or None."""
        with self.executor.db.reading() as session:
            task = session.get(HumanTask, task_id)
            if task is None:
                raise NotFound(f"taak {task_id} bestaat niet of wacht niet meer")
            return self._form_of(session, session.get(ProcessInstance, task.instance_id), task)

    def _locked_task(self, session: Session, task_id: str) -> tuple[ProcessInstance, HumanTask]:
        instance_id = self.executor.task_instance(task_id) or session.execute(
            select(HumanTask.instance_id).where(HumanTask.id == task_id)).scalar()
        if instance_id is None:
            explain_missing_task(session, task_id)
        instance = self.executor.lock(session, instance_id)
        task = self.executor.held_task(instance, task_id) or session.execute(
            select(HumanTask).where(HumanTask.id == task_id).execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if task is None:
            explain_missing_task(session, task_id)
        return instance, task

    def _validated(self, session: Session, instance: ProcessInstance, task: HumanTask, variables: dict,
                   shown: dict) -> dict:
        """The submission after the form's rules; ``shown`` is what the form showed (readonly fields)."""
        form = self._form_of(session, instance, task)
        if form is None:
            check_variables(variables)
            return variables
        check_text(variables, "gegevens")
        clean, errors = validate_submission(form, variables, current=shown)
        if errors:
            raise InvalidData(f"{len(errors)} veld(en) ongeldig in '{task.name}'", errors)
        return clean

    def _form_of(self, session: Session, instance: ProcessInstance, task: HumanTask) -> FormDefinition | None:
        if task.form_ref:
            return self.repository.camunda_form(session, instance.definition_id, task.form_ref)
        if task.form_data:
            return form_from_form_data(task.form_data)
        return None
