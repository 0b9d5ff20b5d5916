"""The external-task service, as Camunda 7's ExternalTaskService: workers fetch and lock the tasks of their
topics, then complete them, report a failure (retries; an incident at none left) or a BPMN error, extend or
give up their lock. Each call is one command; fetching reads the indexed ``external_task`` rows, and only
the instances of the tasks it locks are read, for their variables."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.orm import Session

from engine.bpmn.runtime import EngineStepError
from engine.errors import Conflict, NotFound
from engine.services.access import SYSTEM, Actor
from engine.services.executor import CommandExecutor, audit, status
from engine.services.inputs import check_text, check_variables
from engine.store.models import ExternalTask, ProcessDefinition, ProcessInstance, VariableInstance

POLL_PAUSE = 0.2  # seconds between looks at the table while a long poll waits
MAX_WAIT_MS = 60_000


@dataclass(frozen=True)
class Topic:
    """One topic a worker fetches: how long to lock, which variables to bring (None: all), and Camunda's
    filters — only tasks of this business key, these definitions (ids, keys, version tag) or of instances
    whose variables hold these values (JSON text, compared in the indexed variable rows)."""

    name: str
    lock_duration_ms: int
    variables: Sequence[str] | None = None
    business_key: str | None = None
    definition_ids: tuple[int, ...] = ()
    definition_keys: tuple[str, ...] = ()
    version_tag: str | None = None
    variable_values: tuple[tuple[str, str], ...] = ()

    def condition(self):
        """The rows of this topic that pass its filters."""
        found = [ExternalTask.topic == self.name]
        if self.business_key is not None:
            found.append(ExternalTask.business_key == self.business_key)
        if self.definition_ids:
            found.append(ExternalTask.definition_id.in_(self.definition_ids))
        if self.definition_keys:
            found.append(ExternalTask.definition_key.in_(self.definition_keys))
        if self.version_tag is not None:
            found.append(select(ProcessDefinition.id).where(ProcessDefinition.id == ExternalTask.definition_id,
                                                            ProcessDefinition.version_tag == self.version_tag).exists())
        for name, text in self.variable_values:
            found.append(select(VariableInstance.id).where(VariableInstance.instance_id == ExternalTask.instance_id,
                                                           VariableInstance.name == name,
                                                           VariableInstance.value == text).exists())
        return and_(*found)


@dataclass(frozen=True)
class LockedTask:
    task: ExternalTask
    variables: dict


class ExternalTaskService:
    def __init__(self, executor: CommandExecutor) -> None:
        self.executor = executor

    def fetch_and_lock(self, worker_id: str, max_tasks: int, topics: Sequence[Topic], use_priority: bool = False,
                       wait_ms: int = 0, actor: Actor = SYSTEM) -> list[LockedTask]:
        """Lock up to ``max_tasks`` free tasks of ``topics`` for ``worker_id``. With ``wait_ms`` (Camunda's
        ``asyncResponseTimeout``) an empty answer waits, looking at the table again, until tasks come."""
        check_text(worker_id, "workerId", 200)
        deadline = time.monotonic() + min(wait_ms, MAX_WAIT_MS) / 1000
        while True:
            locked = self._lock(worker_id, max_tasks, topics, use_priority, actor)
            if locked or time.monotonic() >= deadline:
                return locked
            time.sleep(min(POLL_PAUSE, max(deadline - time.monotonic(), 0)))

    def _lock(self, worker_id: str, max_tasks: int, topics: Sequence[Topic], use_priority: bool,
              actor: Actor) -> list[LockedTask]:
        by_name = {topic.name: topic for topic in topics}
        now = self.executor.now()
        with self.executor.transaction() as session:
            order = (ExternalTask.priority.desc(),) if use_priority else ()
            query = (select(ExternalTask).join(ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
                     .where(or_(false(), *(t.condition() for t in by_name.values())),
                            ProcessInstance.suspended == false(),
                            _free(now), or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0))
                     .order_by(*order, ExternalTask.created_at, ExternalTask.id).limit(max_tasks)
                     .with_for_update(skip_locked=True, of=ExternalTask))
            locked = []
            for task in session.scalars(query).all():
                expires = now + timedelta(milliseconds=by_name[task.topic].lock_duration_ms)
                # The condition repeats the query's: of two workers racing for a row, one updates it.
                taken = session.execute(update(ExternalTask).where(ExternalTask.id == task.id, _free(now))
                                        .values(worker_id=worker_id, lock_expires_at=expires))
                if taken.rowcount == 1:
                    session.refresh(task)
                    variables = self._variables(session, task, by_name[task.topic].variables)
                    audit(session, task.instance_id, now, actor, "external-task.locked", task.element_id, task.name,
                          task.id, {"worker": worker_id, "until": expires.isoformat()})
                    locked.append(LockedTask(task, variables))
            session.expunge_all()
            return locked

    def _variables(self, session: Session, task: ExternalTask, names: Sequence[str] | None) -> dict:
        if names is not None and not names:
            return {}  # a worker that asks for no variables costs no instance read
        instance = session.get(ProcessInstance, task.instance_id)
        data = self.executor.load_state(session, instance).task_data(task.id)
        return {k: v for k, v in data.items() if names is None or k in names}

    def complete(self, task_id: str, worker_id: str, variables: dict | None = None, actor: Actor = SYSTEM) -> None:
        variables = variables or {}
        check_variables(variables)
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance, task = self._held(session, task_id, worker_id, now)
            workflow = self.executor.load(session, instance)
            workflow.complete_external_task(task_id, variables, now)
            audit(session, instance.id, now, actor, "external-task.completed", task.element_id, task.name, task_id,
                  {"worker": worker_id, "variables": variables})
            self.executor.advance(session, instance, workflow, actor, now)

    def failure(self, task_id: str, worker_id: str, message: str, details: str | None = None,
                retries: int = 0, retry_timeout_ms: int = 0, actor: Actor = SYSTEM) -> None:
        """A worker could not do the task: it may be fetched again after ``retry_timeout_ms`` while
        ``retries`` are left; at none left an incident opens, which an operator can retry."""
        check_text(message, "errorMessage")
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance, task = self._held(session, task_id, worker_id, now)
            task.retries, task.error_message, task.error_details = max(retries, 0), message, details
            task.lock_expires_at = now + timedelta(milliseconds=max(retry_timeout_ms, 0))
            audit(session, instance.id, now, actor, "external-task.failed", task.element_id, task.name, task_id,
                  {"worker": worker_id, "message": message, "retries": task.retries})
            if task.retries == 0:
                error = EngineStepError(f"{task.name}: {message}", task.element_id, task_id)
                self.executor.record_incident(session, instance, error, actor, now)
                instance.status = status(session, instance, completed=False)

    def bpmn_error(self, task_id: str, worker_id: str, code: str, message: str | None = None,
                   variables: dict | None = None, actor: Actor = SYSTEM) -> None:
        """A business error the model handles: the error boundary event on the task that catches ``code``."""
        variables = variables or {}
        check_variables(variables)
        check_text(code, "errorCode", 200)
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance, task = self._held(session, task_id, worker_id, now)
            workflow = self.executor.load(session, instance)
            if not workflow.throw_bpmn_error(task_id, code, variables, now):
                raise Conflict(f"geen foutgrensgebeurtenis op '{task.name}' vangt foutcode '{code}'")
            audit(session, instance.id, now, actor, "external-task.bpmn-error", task.element_id, task.name, task_id,
                  {"worker": worker_id, "code": code, "message": message, "variables": variables})
            self.executor.advance(session, instance, workflow, actor, now)

    def extend_lock(self, task_id: str, worker_id: str, new_duration_ms: int, actor: Actor = SYSTEM) -> None:
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance, task = self._held(session, task_id, worker_id, now)
            task.lock_expires_at = now + timedelta(milliseconds=new_duration_ms)
            audit(session, instance.id, now, actor, "external-task.lock-extended", task.element_id, task.name,
                  task_id, {"worker": worker_id, "until": task.lock_expires_at.isoformat()})

    def unlock(self, task_id: str, actor: Actor = SYSTEM) -> None:
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance, task = self._row(session, task_id)
            task.worker_id, task.lock_expires_at = None, None
            audit(session, instance.id, now, actor, "external-task.unlocked", task.element_id, task.name, task_id)

    def tasks(self, topic: str | None = None, worker_id: str | None = None, locked: bool | None = None,
              instance_id: str | None = None, retries_left: bool | None = None, first: int = 0,
              limit: int | None = None) -> list[tuple[ExternalTask, bool]]:
        """External tasks from the derived rows, each with whether its instance is suspended."""
        now = self.executor.now()
        query = (select(ExternalTask, ProcessInstance.suspended)
                 .join(ProcessInstance, ProcessInstance.id == ExternalTask.instance_id)
                 .order_by(ExternalTask.created_at, ExternalTask.id).offset(first).limit(limit))
        for column, value in ((ExternalTask.topic, topic), (ExternalTask.worker_id, worker_id),
                              (ExternalTask.instance_id, instance_id)):
            if value is not None:
                query = query.where(column == value)
        if locked is not None:
            query = query.where(~_free(now) if locked else _free(now))
        if retries_left is not None:
            left = or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0)
            query = query.where(left if retries_left else ~left)
        with self.executor.db.reading() as session:
            return [(task, suspended) for task, suspended in session.execute(query)]

    # --- the shared checks -----------------------------------------------------------------------
    def _row(self, session: Session, task_id: str) -> tuple[ProcessInstance, ExternalTask]:
        instance_id = session.execute(select(ExternalTask.instance_id).where(ExternalTask.id == task_id)).scalar()
        if instance_id is None:
            raise NotFound(f"external task {task_id} bestaat niet of wacht niet meer")
        instance = self.executor.lock(session, instance_id)
        task = session.execute(select(ExternalTask).where(ExternalTask.id == task_id)
                               .execution_options(populate_existing=True)).scalar_one_or_none()
        if task is None:
            raise NotFound(f"external task {task_id} bestaat niet of wacht niet meer")
        return instance, task

    def _held(self, session: Session, task_id: str, worker_id: str, now: datetime) -> tuple[ProcessInstance,
                                                                                           ExternalTask]:
        """The task, if ``worker_id`` holds its lock now; a lock that expired is no longer held."""
        instance, task = self._row(session, task_id)
        if task.worker_id != worker_id or task.lock_expires_at is None:
            raise Conflict(f"external task {task_id} is niet vergrendeld door worker '{worker_id}'")
        if task.lock_expires_at <= now:
            raise Conflict(f"het slot van worker '{worker_id}' op external task {task_id} is verlopen")
        return instance, task


def _free(now: datetime):
    return or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at <= now)


def restore_retries(session: Session, task_id: str | None) -> None:
    """An operator retried the incident of a task that ran out of retries: workers may fetch it once more."""
    if task_id is not None:
        session.execute(update(ExternalTask).where(ExternalTask.id == task_id, ExternalTask.retries == 0)
                        .values(retries=1, lock_expires_at=None))
