"""The read side: tasks, instances, their history, incidents and timers, from the derived rows and the
audit trail; Camunda's history queries in ``historic`` (services/history_queries.py). Only ``variables``
loads an instance's state — for its own page, never for a list."""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, Forbidden, NotFound
from engine.local_time import moment_text
from engine.services.access import Actor, is_candidate
from engine.services.access import visible_to as visible_condition
from engine.services.executor import CommandExecutor
from engine.services.history_queries import HistoryQueries
from engine.store.models import AuditEvent, HumanTask, Incident, Position, ProcessInstance, TaskCandidate, Timer


class Queries:
    def __init__(self, executor: CommandExecutor) -> None:
        self.executor = executor
        self.db = executor.db
        self.historic = HistoryQueries(executor.db)

    def tasks(self, group: str | None = None, user: str | None = None, assignee: str | None = None,
              instance_id: str | None = None, limit: int = 200, offset: int = 0,
              visible_to: Actor | None = None) -> list[HumanTask]:
        """Ready user tasks from the derived rows; ``user`` means assigned to or candidate for that user;
        ``visible_to`` keeps the tasks that actor may see (as ``task_for`` decides)."""
        query = _task_query(group, user, assignee, instance_id, visible_to)
        query = query.order_by(HumanTask.created_at, HumanTask.id).limit(limit).offset(offset)
        with self.db.reading() as session:
            return list(session.scalars(query))

    def task_count(self, group: str | None = None, user: str | None = None, assignee: str | None = None,
                   instance_id: str | None = None, visible_to: Actor | None = None) -> int:
        """How many tasks ``tasks`` would list without paging."""
        query = _task_query(group, user, assignee, instance_id, visible_to)
        with self.db.reading() as session:
            return session.scalar(select(func.count()).select_from(query.subquery()))

    def task(self, task_id: str) -> HumanTask:
        with self.db.reading() as session:
            task = session.get(HumanTask, task_id)
            if task is None:
                explain_missing_task(session, task_id)
            return task

    def task_for(self, task_id: str, actor: Actor) -> HumanTask:
        """A waiting task as its assignee or a candidate may see it; anyone else is refused."""
        task = self.task(task_id)
        if task.assignee != actor.user and not is_candidate(task, actor):
            raise Forbidden("je bent geen kandidaat voor deze taak")
        return task

    def instance(self, instance_id: str) -> ProcessInstance:
        with self.db.reading() as session:
            return existing_instance(session, instance_id)

    def variables(self, instance_id: str) -> dict:
        """One instance's variables (this loads its state: for its own page, never for a list); none once
        the history cleanup removed them."""
        with self.db.reading() as session:
            instance = existing_instance(session, instance_id)
            if instance.cleaned_at is not None:
                return {}
            return dict(self.executor.load_state(session, instance).data)

    def instances(self, status: str | None = None, definition_key: str | None = None,
                  business_key: str | None = None, limit: int = 200, offset: int = 0) -> list[ProcessInstance]:
        query = select(ProcessInstance)
        if status:
            query = query.where(ProcessInstance.status == status)
        if definition_key:
            query = query.where(ProcessInstance.definition_key == definition_key)
        if business_key:
            query = query.where(ProcessInstance.business_key == business_key)
        query = query.order_by(ProcessInstance.started_at.desc()).limit(limit).offset(offset)
        with self.db.reading() as session:
            return list(session.scalars(query))

    def positions(self, instance_id: str) -> list[Position]:
        with self.db.reading() as session:
            return list(session.scalars(select(Position).where(Position.instance_id == instance_id)
                                        .order_by(Position.process_key, Position.element_id)))

    def history(self, instance_id: str) -> list[AuditEvent]:
        with self.db.reading() as session:
            return list(session.scalars(
                select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)))

    def incidents(self, instance_id: str | None = None, open_only: bool = False) -> list[Incident]:
        query = select(Incident).order_by(Incident.id)
        if instance_id:
            query = query.where(Incident.instance_id == instance_id)
        if open_only:
            query = query.where(Incident.resolved_at.is_(None))
        with self.db.reading() as session:
            return list(session.scalars(query))

    def timers(self, instance_id: str | None = None) -> list[Timer]:
        query = select(Timer).order_by(Timer.due_at)
        if instance_id:
            query = query.where(Timer.instance_id == instance_id)
        with self.db.reading() as session:
            return list(session.scalars(query))



def existing_instance(session: Session, instance_id: str) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"instantie {instance_id} bestaat niet")
    return instance


def explain_missing_task(session: Session, task_id: str):
    done = session.scalars(select(AuditEvent).where(
        AuditEvent.task_id == task_id, AuditEvent.action == "task.completed")).first()
    if done is not None:
        raise Conflict(f"taak '{done.element_name}' is al afgerond door {done.actor} op {moment_text(done.at)}")
    raise NotFound(f"taak {task_id} bestaat niet of wacht niet meer")


def _task_query(group: str | None, user: str | None, assignee: str | None, instance_id: str | None,
                visible_to: Actor | None):
    query = select(HumanTask)
    if visible_to is not None:
        query = query.where(visible_condition(visible_to))
    if group:
        query = query.where(exists().where(and_(
            TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == "group", TaskCandidate.name == group)))
    if user:
        query = query.where(exists().where(and_(
            TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == "user", TaskCandidate.name == user)))
    if assignee:
        query = query.where(HumanTask.assignee == assignee)
    if instance_id:
        query = query.where(HumanTask.instance_id == instance_id)
    return query
